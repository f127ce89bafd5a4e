/** Starts the assistant: configuration, core, then the adapters the configuration enables (the console when none). */
import { ConfigError, loadConfig } from './config.js';
import { createCore } from './core.js';
import { FilingsFileError } from './filings.js';
import { createLogger } from './log.js';
import { consoleChannel, runConsole } from '../adapters/console/console.adapter.js';
import { startTelegram } from '../adapters/telegram/telegram.adapter.js';
import { startSlack } from '../adapters/slack/slack.adapter.js';
import { startReminders } from './reminders/service.js';
import { HttpServer } from './server.js';
import { stopSignal, stopWithin } from './shutdown.js';
import type { RunningAdapter } from './adapter.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const platforms = Boolean(config.telegram || config.slack);
  // The console demo keeps stdout for the chat; only warnings reach stderr there.
  const logger = createLogger({ level: platforms ? 'info' : 'warn' });
  let core;
  try {
    core = await createCore(config, { logger });
  } catch (error) {
    // A bad filings file or an unusable store: say what is wrong, without a stack trace.
    process.stderr.write(`cannot start: ${error instanceof FilingsFileError ? error.message : (error as Error).message}\n`);
    return 1;
  }

  if (!platforms) {
    core.channels.add(consoleChannel());
    await runConsole({ handle: (a) => core.runner.handle(a), greeting: 'beian-assistant console (demo). Try /start, /link 13800138000, /lookup VE-2026-000101, /help.\n' });
    await core.close();
    return 0;
  }
  const server = new HttpServer(logger);
  const adapters: RunningAdapter[] = [];
  if (config.telegram) adapters.push(await startTelegram(core, server));
  if (config.slack) adapters.push(await startSlack(core, server));
  const reminders = await startReminders(core, server, adapters);
  const port = await server.listen(config.port);
  logger.info('listening', { port, adapters: adapters.map((a) => a.name) });
  const signal = await stopSignal(logger);
  await stopWithin({
    logger,
    signal,
    graceMs: config.shutdownGraceMs,
    services: [reminders, ...adapters],
    closers: [
      { name: 'http', close: () => server.close() },
      { name: 'store', close: () => core.close() },
    ],
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

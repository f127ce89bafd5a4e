/** Starts the assistant: configuration, core, then the adapters the configuration enables (the console when none). */
import { ConfigError, loadConfig } from './config.js';
import { createCore } from './core.js';
import { FilingsFileError } from './filings.js';
import { createLogger } from './log.js';
import { consoleChannel, runConsole } from '../adapters/console/console.adapter.js';
import { startTelegram, type TelegramDeps } from '../adapters/telegram/telegram.adapter.js';
import { startSlack, type SlackDeps } from '../adapters/slack/slack.adapter.js';
import { startSlackAlerts } from '../adapters/slack/slack.alerts.js';
import { startReminders } from './reminders/service.js';
import { HttpServer } from './server.js';
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
  const telegramDeps: TelegramDeps = { config, handle: (a) => core.runner.handle(a), people: core.people, store: core.store, logger, metrics: core.metrics, channels: core.channels };
  if (config.telegram) adapters.push(await startTelegram(telegramDeps, server));
  // Each part gets only what it uses, built before whatever uses it: the team's alert channel, then
  // the reminder service (which posts to it and provides the nudger), then the Slack adapter.
  const slackDeps: SlackDeps = { config, clock: core.clock, logger, store: core.store, filings: core.filings, people: core.people, calendar: core.calendar };
  const alerts = config.slack ? startSlackAlerts(slackDeps) : undefined;
  if (alerts) core.teamAlerts.current = alerts;
  const reminders = await startReminders(core, server, adapters);
  const nudge = core.nudger.current;
  if (config.slack) adapters.push(await startSlack({ ...slackDeps, ...(nudge ? { nudge } : {}) }, server));
  const port = await server.listen(config.port);
  logger.info('listening', { port, adapters: adapters.map((a) => a.name) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('stopping');
  await reminders.stop();
  for (const adapter of adapters) await adapter.stop();
  alerts?.stop();
  await server.close();
  await core.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

/** Starts the assistant: configuration, core, then the adapters the configuration enables (the console when none). */
import { ConfigError, loadConfig } from './config.js';
import { loadDotEnv } from './env.js';
import { createCore } from './core.js';
import { FilingsFileError } from './filings.js';
import { createLogger } from './log.js';
import { CONSOLE_CAPABILITIES, consoleChannel, runConsole } from '../adapters/console/console.adapter.js';
import { startTelegram, type TelegramDeps } from '../adapters/telegram/telegram.adapter.js';
import { TELEGRAM_CAPABILITIES } from '../adapters/telegram/telegram.translate.js';
import type { SlackDeps } from '../adapters/slack/slack.adapter.js';
import { route } from '../flows/router.js';
import { mountHttpRoutes } from './http/http.routes.js';
import { startReminders } from './reminders/service.js';
import { HttpServer } from './server.js';
import { stopSignal, stopWithin } from './shutdown.js';
import type { RunningAdapter } from './adapter.js';

async function main(): Promise<number> {
  loadDotEnv();
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
    core = await createCore(config, { logger, route });
  } catch (error) {
    // A bad filings file or an unusable store: say what is wrong, without a stack trace.
    process.stderr.write(`cannot start: ${error instanceof FilingsFileError ? error.message : (error as Error).message}\n`);
    return 1;
  }

  if (!platforms) {
    core.channels.add(consoleChannel());
    await runConsole({ handle: (a) => core.runner.handle(a, CONSOLE_CAPABILITIES), greeting: 'beian-assistant console (demo). Try /start, /link 13800138000, /lookup VE-2026-000101, /help.\n' });
    await core.close();
    return 0;
  }
  const server = new HttpServer(logger);
  const adapters: RunningAdapter[] = [];
  const telegramDeps: TelegramDeps = { config, handle: (a) => core.runner.handle(a, TELEGRAM_CAPABILITIES), people: core.people, store: core.store, logger, metrics: core.metrics, channels: core.channels };
  if (config.telegram) adapters.push(await startTelegram(telegramDeps, server));
  // Each part gets only what it uses, built before whatever uses it: the team's alert channel, then
  // the reminder service (which posts to it), then the Slack adapter (which nudges through the core's nudger).
  const slackDeps: SlackDeps = { config, clock: core.clock, logger, store: core.store, filings: core.filings, people: core.people, calendar: core.calendar };
  // Bolt takes a third of the start-up's module loading (issue 12): load the Slack adapter only when it is configured.
  const slack = config.slack ? { ...(await import('../adapters/slack/slack.adapter.js')), ...(await import('../adapters/slack/slack.alerts.js')) } : undefined;
  const alerts = slack?.startSlackAlerts(slackDeps);
  const { reminderOffsets, defaultLocale, eventsSecret } = config;
  const reminders = await startReminders({ ...core, reminderOffsets, defaultLocale, teamAlerts: alerts });
  if (slack) adapters.push(await slack.startSlack({ ...slackDeps, ...(core.nudge ? { nudge: core.nudge } : {}) }, server));
  mountHttpRoutes(server, { ...core, eventsSecret, components: () => [...adapters, reminders] });
  const port = await server.listen(config.port, config.host);
  core.metrics.watchEventLoop();
  logger.info('listening', { host: config.host, port, adapters: adapters.map((a) => a.name) });
  const signal = await stopSignal(logger);
  await stopWithin({
    logger,
    signal,
    graceMs: config.shutdownGraceMs,
    services: [reminders, ...adapters],
    closers: [
      { name: 'slack alerts', close: async () => alerts?.stop() },
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

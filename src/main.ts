/** Starts the assistant: configuration, core, then the adapters the configuration enables (the console when none). */
import { type Config, enabledPlatforms, loadConfig } from './config.js';
import { loadDotEnv } from './env.js';
import { createCore, type Core } from './core.js';
import { createLogger } from './log.js';
import { openBackend } from './backends/backend.js';
import { startFailureText } from './start.errors.js';
import { openDemo, runConsoleDemo } from '../adapters/console/console.main.js';
import { startTelegram, type TelegramDeps } from '../adapters/telegram/telegram.adapter.js';
import { TELEGRAM_CAPABILITIES } from '../adapters/telegram/telegram.translate.js';
import type { SlackDeps } from '../adapters/slack/slack.adapter.js';
import type { FeishuDeps } from '../adapters/feishu/feishu.adapter.js';
import { FEISHU_CAPABILITIES, FEISHU_LIMITS } from '../adapters/feishu/feishu.platform.js';
import { route } from '../flows/router.js';
import { mountHttpRoutes } from './http/http.routes.js';
import { startReminders, type RunningReminders } from './reminders/service.js';
import { runHeadless } from './headless.js';
import { HttpServer } from './server.js';
import { exitAfter, SHUTDOWN_MARGIN_MS, stopSignal, stopWithin, type Stoppable } from './shutdown.js';
import { combineAlerts, type RunningAdapter } from './adapter.js';
import { Outbox, telegramLimits } from './outbox/outbox.service.js';
import { unreachableAlerter } from './outbox/unreachable.alert.js';
import type { Logger } from './log.js';

/** Stops intake (the adapters and reminders) first, then gives the outbox what is left of the grace to send what they stored. */
function intakeThenOutbox(parts: RunningAdapter[], outbox: Outbox, logger: Logger): Stoppable {
  return {
    name: 'intake and outbox',
    async stop(graceMs = 0) {
      const started = performance.now();
      await Promise.all(parts.map((p) => p.stop(graceMs).catch((error: unknown) => logger.error('stop failed', { part: p.name, error }))));
      await outbox.stop(Math.max(0, graceMs - (performance.now() - started)));
    },
  };
}

/** After the port opened: imports a new filings file (logging its progress), starts the reminders (their catch-up tick), then the first retention sweep. */
async function settleThenCatchUp(core: Core, reminders: RunningReminders, logger: Logger): Promise<void> {
  try {
    await core.filings.settle();
    await reminders.begin();
    await core.retention.sweep();
  } catch (error) {
    logger.error('start-up work after the port opened failed', { error });
  }
}

// Whether a failed start also writes its stack trace (LOG_LEVEL=debug); known once the configuration is read.
let traces = false;

async function main(): Promise<number> {
  loadDotEnv();
  const config = loadConfig();
  traces = config.logLevel === 'debug';
  const platforms = enabledPlatforms(config).length > 0;
  // No platform: EVENTS_SECRET alone starts headless (the hook, no chat); otherwise the console demo on its own clock.
  const consoleDemo = !platforms && !config.eventsSecret;
  // The console demo keeps stdout for the chat; only warnings reach stderr there, as plain text for the person reading them.
  const logger = createLogger(consoleDemo ? { level: config.logLevel ?? 'warn', format: 'text' } : { level: config.logLevel ?? 'info' });
  // Caught from here on, not only once the start is done: with no listener a SIGTERM during the start
  // would kill the process by signal (and npm would die by it too). One that comes early stops the app as soon as it is up.
  const stop = consoleDemo ? undefined : stopSignal(logger);
  // Bounded from the signal on, so a start that hangs (a platform that does not answer) cannot outlive it either.
  void stop?.then(() => exitAfter(logger, config.shutdownGraceMs + SHUTDOWN_MARGIN_MS));
  // The demo clock resumes a saved demo's time, which the store holds: the console opens the backend first.
  const backend = consoleDemo ? openBackend(config.storeUrl) : undefined;
  const demo = backend ? await openDemo(backend.state) : undefined;
  // A demo saved by an older version is set aside: this one keeps its state in a fresh namespace of the same backend.
  const demoParts = backend && demo ? { clock: demo.clock, backend: { ...backend, state: demo.store }, calendarShown: true } : {};
  // With a platform, writing a new filings file into the backend and the first retention sweep wait until the port is open (issue 12).
  const core = await createCore(config, { logger, route, deferStart: platforms, ...demoParts });

  if (demo) {
    await runConsoleDemo(core, demo.clock, { tty: process.stdin.isTTY === true, setAside: demo.setAside });
    await core.close();
    return 0;
  }
  // Not the console demo, so `stop` was set up above; `??` only satisfies the type checker.
  const stopped = stop ?? stopSignal(logger);
  if (!platforms) {
    // Closes the HTTP server and the store itself on SIGTERM or SIGINT.
    await runHeadless(core, logger, stopped);
    return 0;
  }
  return runPlatforms(config, core, logger, stopped);
}

/** Runs the configured platforms (Telegram, Slack, Feishu) with the durable outbox, reminders and the HTTP routes, until `stop` resolves. */
async function runPlatforms(config: Config, core: Core, logger: Logger, stop: Promise<NodeJS.Signals>): Promise<number> {
  const { backend } = core;
  const limits = { ...telegramLimits(config.outbox.maxPerSecond), feishu: FEISHU_LIMITS };
  const tuning = { maxRetryAfterMs: config.outbox.maxRetryAfterMs, leaseMs: config.outbox.leaseMs };
  const outbox = new Outbox({ store: backend.outbox, limiter: backend.rateLimiter(limits, { reserveMs: config.platformTimeoutMs }), metrics: core.metrics, logger, limits, tuning });
  const server = new HttpServer(logger);
  const adapters: RunningAdapter[] = [];
  const telegramDeps: TelegramDeps = { config, turn: (a) => core.runner.run(a, TELEGRAM_CAPABILITIES), people: core.people, store: core.store, outbox, logger, metrics: core.metrics, channels: core.channels };
  if (config.telegram) adapters.push(await startTelegram(telegramDeps, server));
  // Each part gets only what it uses, built before whatever uses it: the team's alert channel, then
  // the reminder service (which posts to it), then the Slack adapter (which nudges through the core's nudger).
  const slackDeps: SlackDeps = { config, clock: core.clock, logger, store: core.store, filings: core.filings, people: core.people, calendar: core.calendar };
  // Bolt takes a third of the start-up's module loading (issue 12): load the Slack adapter only when it is configured.
  const slack = config.slack ? { ...(await import('../adapters/slack/slack.adapter.js')), ...(await import('../adapters/slack/slack.alerts.js')) } : undefined;
  const feishuDeps: FeishuDeps = { ...slackDeps, config, turn: (a) => core.runner.run(a, FEISHU_CAPABILITIES), metrics: core.metrics, channels: core.channels };
  const feishu = config.feishu ? await import('../adapters/feishu/feishu.adapter.js') : undefined;
  const alerts = combineAlerts([slack?.startSlackAlerts(slackDeps, outbox), feishu?.startFeishuAlerts(feishuDeps, outbox)]);
  const { reminderOffsets, defaultLocale, eventsSecret } = config;
  const reminders = await startReminders({ ...core, reminderOffsets, defaultLocale, teamAlerts: alerts }, { lease: backend.leader('reminders'), index: backend.dueIndex(), deferred: true });
  if (slack) adapters.push(await slack.startSlack({ ...slackDeps, ...(core.nudge ? { nudge: core.nudge } : {}) }, server, outbox));
  if (feishu) adapters.push(await feishu.startFeishu({ ...feishuDeps, ...(core.nudge ? { nudge: core.nudge } : {}) }, server, outbox));
  outbox.onUnreachable(unreachableAlerter({ people: core.people, filings: core.filings, clock: core.clock, teamAlerts: alerts, logger }));
  // Every Sender is registered by now: what the last run left pending goes out first, most urgent first.
  outbox.start();
  mountHttpRoutes(server, { ...core, eventsSecret, outbox, components: () => [...adapters, reminders] });
  const port = await server.listen(config.port, config.host);
  core.metrics.watchEventLoop();
  logger.info('listening', { host: config.host, port, adapters: adapters.map((a) => a.name) });
  // Requests are taken from here on (a turn waits for the filings to settle); the rest of the start shares the loop (issue 12).
  void settleThenCatchUp(core, reminders, logger);
  const signal = await stop;
  await stopWithin({
    logger,
    signal,
    graceMs: config.shutdownGraceMs,
    services: [intakeThenOutbox([reminders, ...adapters], outbox, logger)],
    closers: [
      { name: 'team alerts', close: async () => alerts?.stop() },
      { name: 'http', close: () => server.close() },
      { name: 'store', close: () => core.close() },
    ],
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(startFailureText(error, traces));
    process.exit(1);
  },
);

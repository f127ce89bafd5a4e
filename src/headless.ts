/**
 * Starting with EVENTS_SECRET but no platform (issue 11 §6, issue 13): the filing-event hook,
 * /healthz and /metrics are served so filing state stays current in the store, but the reminder
 * scheduler is not run. With no channel a reminder reaches nobody, yet the scheduler would still
 * mark it sent: a later start with Telegram or Slack (or another instance on the same store) would
 * then never send it. Left unmarked, those reminders go out at that start's catch-up instead.
 */
import type { Core } from './core.js';
import { mountHttpRoutes } from './http/http.routes.js';
import type { Logger } from './log.js';
import { HttpServer } from './server.js';
import { stopWithin } from './shutdown.js';

/** Why the headless start runs no reminders, as logged at start. */
export const HEADLESS_NOTE =
  'no platform configured (TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN): applicant reminders and team alerts cannot be delivered, so the reminder scheduler is not run here (it would mark as sent reminders nobody received); serving POST /hooks/filing-events, /healthz and /metrics so filing state stays current for when a platform is connected';

/** Serves the hook, /healthz and /metrics until `stop` (the first SIGTERM or SIGINT) resolves, then stops in order. */
export async function runHeadless(core: Core, logger: Logger, stop: Promise<NodeJS.Signals>): Promise<void> {
  const { config } = core;
  const server = new HttpServer(logger);
  mountHttpRoutes(server, { ...core, eventsSecret: config.eventsSecret, components: () => [] });
  const port = await server.listen(config.port, config.host);
  logger.warn(HEADLESS_NOTE, { reminders: false, hook: Boolean(config.eventsSecret) });
  logger.info('listening', { host: config.host, port, adapters: [] });
  const signal = await stop;
  await stopWithin({
    logger,
    signal,
    graceMs: config.shutdownGraceMs,
    services: [],
    closers: [
      { name: 'http', close: () => server.close() },
      { name: 'store', close: () => core.close() },
    ],
  });
}

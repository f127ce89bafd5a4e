/** Mounts the core's own HTTP routes on the shared server: /healthz, /metrics and (with a secret) /hooks/filing-events. */
import type { RunningAdapter } from '../adapter.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { HttpServer } from '../server.js';
import type { Clock } from '../clock.js';
import { calendarStatus, type WorkCalendar } from '../rules/workday.rules.js';
import type { StateStore } from '../store/state-store.js';
import { filingEventsHandler, type FilingEventsDeps } from './filing-events.hook.js';
import { healthHandler, metricsHandler, type OutboxProbe } from './health.routes.js';

/** What the routes need: the store and metrics, the filing-event hook's parts, and the components /healthz reports. */
export interface HttpRoutesDeps extends FilingEventsDeps {
  store: StateStore;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** The working-day calendar, whose coverage /healthz reports. */
  calendar: WorkCalendar;
  /** The configuration's METRICS_TOKEN: when set, /metrics answers only with that bearer token. */
  config?: { metricsToken?: string };
  /** EVENTS_SECRET: without it the filing-event hook is not mounted. */
  eventsSecret?: string;
  /** The durable outbox, whose depth, oldest age and parked messages /healthz reports. */
  outbox?: OutboxProbe;
  /** The running adapters and services, read at each /healthz request (some start after the routes are mounted). */
  components: () => RunningAdapter[];
}

/** Mounts /healthz, /metrics and, when a secret is set, POST /hooks/filing-events. */
export function mountHttpRoutes(server: HttpServer, deps: HttpRoutesDeps): void {
  server.route(
    'GET',
    '/healthz',
    healthHandler(deps.store, deps.components, () => calendarStatus(deps.calendar, deps.clock.now()), deps.outbox),
  );
  server.route('GET', '/metrics', metricsHandler(deps.metrics, deps.config?.metricsToken));
  if (deps.eventsSecret) {
    const handle = filingEventsHandler(deps, deps.eventsSecret);
    server.route('POST', '/hooks/filing-events', async (req, res) => {
      await handle(req, res);
    });
  } else deps.logger.info('filing events endpoint off (EVENTS_SECRET unset)');
}

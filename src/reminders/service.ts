/** Reminders, filing events, health and metrics (issue 6): mounts the routes, runs the scheduler, sets core.nudger. */
import type { RunningAdapter } from '../adapter.js';
import type { Core } from '../core.js';
import type { HttpServer } from '../server.js';
import { filingEventsHandler } from '../http/filing-events.hook.js';
import { healthHandler, metricsHandler } from '../http/health.routes.js';
import { ReminderScheduler, type SchedulerOptions, type TickReport } from './reminders.scheduler.js';

/** How often the scheduler ticks by default; a stage is at most this late plus the outbox's pacing. */
export const DEFAULT_TICK_MS = 15_000;

/** Options for tests: the tick interval (0: no timer, the test calls tick()) and scheduler options. */
export interface RemindersOptions extends SchedulerOptions {
  intervalMs?: number;
}

/** The running service: a RunningAdapter with a handle on its scheduler. */
export interface RunningReminders extends RunningAdapter {
  scheduler: ReminderScheduler;
  /** Runs one tick and waits for its sends. */
  tick(): Promise<TickReport>;
}

/** Mounts /healthz, /metrics and (with EVENTS_SECRET) /hooks/filing-events; starts the reminder scheduler; sets core.nudger. */
export async function startReminders(core: Core, server: HttpServer, adapters: RunningAdapter[], opts: RemindersOptions = {}): Promise<RunningReminders> {
  const intervalMs = opts.intervalMs ?? DEFAULT_TICK_MS;
  const scheduler = new ReminderScheduler(core, opts);
  await scheduler.start();
  core.nudger.current = scheduler.nudge;

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = false;
  let again = false;
  const schedule = (delay: number) => {
    if (stopped || intervalMs <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), delay);
    timer.unref();
  };
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        await scheduler.dispatch().catch((error) => core.logger.error('reminder tick failed', { error }));
      } while (again && !stopped);
    } finally {
      running = false;
      schedule(intervalMs);
    }
  };
  // A new cycle's notice should not wait for the next interval; a kick during a tick runs one more right after it.
  const kick = () => {
    if (running) again = true;
    else schedule(0);
  };

  core.filings.onChange(() => {
    if (!stopped) kick();
  });
  core.people.onReachable((phoneKey) => {
    if (stopped) return;
    scheduler.personReachable(phoneKey);
    kick();
  });

  const self: RunningReminders = {
    name: 'reminders',
    scheduler,
    tick: () => scheduler.tick(),
    async health() {
      const last = scheduler.lastTickAt;
      if (intervalMs <= 0) return { ok: true, detail: `${scheduler.indexed} filings indexed` };
      // Two missed intervals plus a slow tick: the scheduler is stuck.
      const stale = !last || core.clock.now().valueOf() - last.valueOf() > 4 * intervalMs + 60_000;
      return { ok: !stale, detail: `${scheduler.indexed} filings indexed; last tick ${last ? last.toISOString() : 'never'}` };
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (core.nudger.current === scheduler.nudge) core.nudger.current = undefined;
      await scheduler.stop();
    },
  };

  server.route('GET', '/healthz', healthHandler(core.store, () => [...adapters, self]));
  server.route('GET', '/metrics', metricsHandler(core.metrics));
  if (core.config.eventsSecret) {
    const handle = filingEventsHandler(core, core.config.eventsSecret);
    server.route('POST', '/hooks/filing-events', async (req, res) => {
      await handle(req, res);
    });
  } else core.logger.info('filing events endpoint off (EVENTS_SECRET unset)');

  // Catch up at once after a start: only the latest due stage per person (R5).
  schedule(0);
  return self;
}

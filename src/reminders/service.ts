/**
 * The reminder service (issue 6): runs the scheduler on a timer, kicked early by filing changes and newly reachable people.
 * (`startReminders` is a little over 80 lines: the timer, the kick, the lease and `begin` share a few flags of one closure.)
 */
import type { RunningAdapter } from '../adapter.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Dayjs } from '../time.js';
import type { LeaderLease } from '../backends/backend.js';
import { ReminderScheduler, type SchedulerDeps, type SchedulerOptions, type TickReport } from './reminders.scheduler.js';

/** How often the scheduler ticks by default; a stage is at most this late plus the outbox's pacing. */
export const DEFAULT_TICK_MS = 15_000;

/** Options for tests: the tick interval (0: no timer, the test calls tick()) and scheduler options. */
export interface RemindersOptions extends SchedulerOptions {
  intervalMs?: number;
  /** Several instances: only the holder of this lease ticks; the others stand by and take over when it lapses. */
  lease?: LeaderLease;
  /**
   * Leave indexing the open filings, the catch-up tick and the timer to `begin()`: main opens the
   * port first, so a start on many filings serves /healthz and lookups before it plans them (issue 12).
   */
  deferred?: boolean;
}

/** The running service: a RunningAdapter with a handle on its scheduler. */
export interface RunningReminders extends RunningAdapter {
  scheduler: ReminderScheduler;
  /** Runs one tick and waits for its sends. */
  tick(): Promise<TickReport>;
  /** Indexes the open filings, runs the catch-up tick and the timer from then on (at start unless `deferred`; again is a no-op). */
  begin(): Promise<void>;
}

/** Starts the reminder scheduler over the parts it uses (the team's alerts only when given) and catches up at once. */
export async function startReminders(deps: SchedulerDeps, opts: RemindersOptions = {}): Promise<RunningReminders> {
  const intervalMs = opts.intervalMs ?? DEFAULT_TICK_MS;
  const scheduler = new ReminderScheduler(deps, opts);
  const startedAt = deps.clock.now();
  const { lease } = opts;
  const idle: TickReport = { due: 0, planned: 0, dispatched: 0 };
  // Renewed (or tried) before every tick, and on its own timer below, so a tick never runs on a lapsed lease's word.
  const leads = leaseGate(lease, deps.logger);

  let timer: NodeJS.Timeout | undefined;
  let begun = false;
  let stopped = false;
  let running = false;
  let again = false;
  const schedule = (delay: number) => {
    // Before begin() a change needs no tick of its own: the catch-up tick will look at every due filing.
    if (stopped || !begun || intervalMs <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), delay);
    timer.unref();
  };
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        if (await leads()) await scheduler.dispatch().catch((error) => deps.logger.error('reminder tick failed', { error }));
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

  deps.filings.onChange(() => {
    if (!stopped) kick();
  });
  deps.people.onReachable((phoneKey) => {
    if (stopped) return;
    scheduler.personReachable(phoneKey);
    kick();
  });

  let leaseTimer: NodeJS.Timeout | undefined;
  if (lease) {
    // A standby that takes the lease ticks at once; the holder keeps it renewed between ticks.
    leaseTimer = setInterval(() => {
      const was = lease.held;
      void leads().then((holds) => holds && !was && kick());
    }, lease.renewEveryMs);
    leaseTimer.unref();
  }

  const self: RunningReminders = {
    name: 'reminders',
    scheduler,
    tick: async () => ((await leads()) ? scheduler.tick() : idle),
    async begin() {
      if (begun) return;
      await scheduler.start();
      begun = true;
      // Catch up at once after a start: only the latest due stage per person (R5).
      schedule(0);
    },
    health: () => reminderHealth({ scheduler, lease, intervalMs, clock: deps.clock, startedAt }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(leaseTimer);
      await scheduler.stop();
      // Handed over at once rather than after the lease: the next instance's try takes it.
      await lease?.release().catch((error) => deps.logger.warn('reminder lease release failed', { error }));
    },
  };

  if (!opts.deferred) await self.begin();
  return self;
}

/** Whether this instance may tick now: always without a lease; with one, after renewing or trying to take it (logged when it changes). */
function leaseGate(lease: LeaderLease | undefined, logger: Logger): () => Promise<boolean> {
  return async () => {
    if (!lease) return true;
    const was = lease.held;
    const holds = await lease.hold().catch((error) => {
      logger.error('reminder lease check failed', { error });
      return false;
    });
    if (holds !== was) logger.info(holds ? 'reminders: this instance is the dispatcher now' : 'reminders: standing by', {});
    return holds;
  };
}

/** The service's /healthz answer: standing by, or how many filings are indexed and whether the ticks keep coming. */
async function reminderHealth(o: { scheduler: ReminderScheduler; lease?: LeaderLease; intervalMs: number; clock: Clock; startedAt: Dayjs }): Promise<{ ok: boolean; detail: string }> {
  const last = o.scheduler.lastTickAt;
  if (o.lease && !o.lease.held) return { ok: true, detail: 'standing by: another instance dispatches reminders' };
  if (o.intervalMs <= 0) return { ok: true, detail: `${o.scheduler.indexed} filings indexed` };
  // Two missed intervals plus a slow tick: the scheduler is stuck. A fresh start (its catch-up tick still running) is not.
  const stale = o.clock.now().valueOf() - (last ?? o.startedAt).valueOf() > 4 * o.intervalMs + 60_000;
  return { ok: !stale, detail: `${o.scheduler.indexed} filings indexed; last tick ${last ? last.toISOString() : 'never'}` };
}

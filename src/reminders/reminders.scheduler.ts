/**
 * The reminder scheduler (RULES R5, R6): reminders are derived from the filings, never stored as jobs.
 * A time index holds each open filing's next due instant; a tick takes only the due filings, works
 * out who needs what now, and enqueues it earliest deadline first under ids that make a repeat a no-op.
 * (About 400 lines since the shared index of issue 10 and the confirmed notices of issue 19; the
 * pending returned and confirmed notices' jobs are the part to move out next.)
 */
import type { TeamAlerts } from '../adapter.js';
import type { Clock } from '../clock.js';
import type { Filing } from '../filings/filing.js';
import type { FilingSource } from '../filings/filings.port.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { userKey, type People } from '../people.js';
import type { ReminderOffset } from '../rules/reminder.rules.js';
import { isSchedulable } from '../rules/schedule.rules.js';
import { requiredVerifiers } from '../rules/verifiers.rules.js';
import type { WorkCalendar } from '../rules/workday.rules.js';
import type { StateStore } from '../store/state-store.js';
import { instant, type Dayjs } from '../time.js';
import { loopYielder } from '../loop.yield.js';
import { confirmedJobKey, planFiling, returnedJobKey, type PlannerDeps, type Work } from './reminders.planner.js';
import { MARKER_TTL_MS, REMINDERS_NAMESPACE, SentMarkers } from './sent.markers.js';
import { TimeIndex, type DueIndex } from './time.index.js';
import { sendToUser, type UserSenderDeps } from './user.sender.js';

// How long the hand-off loop of a tick holds the event loop at a time.
const HAND_OFF_SLICE_MS = 2;

/** A reminder is "late" when sent more than this after its stage was due (the remindersLate metric). */
export const LATE_AFTER_MS = 60_000;

/** Scheduler options; everything has a production default. */
export interface SchedulerOptions {
  /** How long after a failed send to try again. */
  retryMs?: number;
  /** Attempts per marker before it is given up. */
  maxAttempts?: number;
  /** The backend's time index; an in-process heap by default. */
  index?: DueIndex;
}

/** What the scheduler reads, sends through and records to; `teamAlerts` only when a team channel is configured. */
export interface SchedulerDeps extends UserSenderDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  reminderOffsets: ReminderOffset[];
  teamAlerts?: TeamAlerts;
}

/** What one tick did. */
export interface TickReport {
  /** Filings taken from the time index. */
  due: number;
  /** Recipients (people and team alerts) found needing something. */
  planned: number;
  /** Units not stored before, so messages handed to a channel. */
  dispatched: number;
}

/** The phones the filing system has confirmed in this change, within the same cycle. */
function newlyConfirmed(filing: Filing, previous: Filing | undefined): string[] {
  const cycle = filing.cycle;
  const before = previous?.cycle;
  if (!cycle || before?.number !== cycle.number) return [];
  return Object.keys(cycle.verified).filter((phone) => !before.verified[phone]);
}

const RETURNED_JOB = /^retjob:(.+):(\d+)$/;
const CONFIRMED_JOB = /^cfjob:([^:]+):(\d+):/;

/** The scheduler: a time index over the filings, sent markers in the store, EDF dispatch through the channels. */
export class ReminderScheduler {
  private readonly index: DueIndex;
  private readonly markers: SentMarkers;
  private readonly store: StateStore;
  private readonly planner: PlannerDeps;
  private readonly retryMs: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly writes = new Set<Promise<unknown>>();
  private chain: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopped = false;
  /** When the last tick finished, for /healthz. */
  lastTickAt?: Dayjs;

  constructor(
    private readonly deps: SchedulerDeps,
    opts: SchedulerOptions = {},
  ) {
    this.store = deps.store.namespace(REMINDERS_NAMESPACE);
    this.planner = { people: deps.people, reminderOffsets: deps.reminderOffsets, calendar: deps.calendar, store: this.store, hasTeam: Boolean(deps.teamAlerts) };
    this.index = opts.index ?? new TimeIndex();
    this.markers = new SentMarkers(this.store, opts.maxAttempts ?? 3);
    this.retryMs = opts.retryMs ?? 60_000;
  }

  /** Indexes every filing in an open window and the pending returned notices, and follows filing changes from now on. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Followed before anything is awaited: main opens the port first, and a filing returned while this
    // indexes would otherwise never get its return notice. Indexing one twice is harmless.
    this.deps.filings.onChange((filing, previous) => this.onChange(filing, previous));
    const now = this.deps.clock.now();
    await this.deps.filings.settle();
    // Thousands of open filings after a start on a large file: requests get in between (issue 12).
    const pause = loopYielder();
    for await (const filing of this.deps.filings.toIndexAtStart()) {
      this.reindex(filing, now);
      await pause();
    }
    for await (const key of this.store.keys('retjob:')) {
      const m = RETURNED_JOB.exec(key);
      const filing = m ? await this.deps.filings.get(m[1]!) : undefined;
      if (filing?.status === 'returned' && (filing.cycle?.number ?? 0) === Number(m![2])) this.index.set(filing.id, now.valueOf());
      else await this.store.delete(key);
    }
    for await (const key of this.store.keys('cfjob:')) {
      const m = CONFIRMED_JOB.exec(key);
      const filing = m ? await this.deps.filings.get(m[1]!) : undefined;
      if (filing?.cycle?.number === Number(m?.[2])) this.index.set(filing.id, now.valueOf());
      else await this.store.delete(key);
    }
  }

  /**
   * Someone became reachable on a phone (linked it, or switched reminders on again): their open
   * filings are looked at now, so they get the stage due now rather than waiting for the next one.
   */
  personReachable(phoneKey: string): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const reindex = async () => {
      for (const filing of await this.deps.filings.byPhoneKey(phoneKey)) if (filing.status === 'verifying') this.reindex(filing, now);
    };
    this.track(this.writes, reindex());
  }

  /** Stops following changes and waits for the tick, the pending notices being stored and the sends in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
    await Promise.allSettled([...this.writes]);
    await this.settled();
  }

  /** How many filings are in the time index. */
  get indexed(): number {
    return this.index.size;
  }

  /** The next instant something is due, if any. */
  nextDueAt(): number | undefined {
    return this.index.peek();
  }

  /** Runs one tick and waits until every send it started has settled (tests and the benchmark call this). */
  async tick(): Promise<TickReport> {
    const report = await this.dispatch();
    await this.settled();
    return report;
  }

  /**
   * Takes the due filings, plans their work, and hands the messages to the channels in
   * EDF order without waiting for delivery: a paced outbox may take minutes, and a later tick must be
   * able to add a more urgent reminder meanwhile. Ticks run one at a time.
   */
  dispatch(): Promise<TickReport> {
    const run = this.chain.then(() => this.runTick());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every send started so far has settled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private onChange(filing: Filing, previous: Filing | undefined): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    // A filing that has just been returned (by filing.returned, or a status change to returned) is told once.
    if (filing.status === 'returned' && previous && previous.status !== 'returned') {
      // Persist the pending notice before the tick looks for it, so a crash after the event was accepted cannot lose it.
      const cycle = filing.cycle?.number ?? 0;
      this.track(this.writes, this.store.set(returnedJobKey(filing.id, cycle), { at: now.toISOString() }, MARKER_TTL_MS));
      this.index.set(filing.id, now.valueOf());
      return;
    }
    this.reindex(filing, now);
    const confirmed = newlyConfirmed(filing, previous);
    if (confirmed.length > 0) this.track(this.writes, this.noteConfirmed(filing, confirmed, now));
  }

  /**
   * The people linked to a phone the filing system has just confirmed are told once (issue 19 §13).
   * The job is stored before the tick looks for it, so a crash after the event was accepted cannot
   * lose the notice; a phone nobody has linked gets no job at all.
   */
  private async noteConfirmed(filing: Filing, phones: string[], now: Dayjs): Promise<void> {
    let owed = false;
    for (const phone of phones) {
      if ((await this.deps.people.reachable(phone)).length === 0) continue;
      await this.store.set(confirmedJobKey(filing.id, filing.cycle!.number, this.deps.people.keyOf(phone)), { at: now.toISOString() }, MARKER_TTL_MS);
      owed = true;
    }
    if (owed) this.index.set(filing.id, now.valueOf());
  }

  /** Puts a filing in the time index at `now` when it may need something, or takes it out. */
  private reindex(filing: Filing, now: Dayjs): void {
    const cycle = filing.cycle;
    // A returned filing is indexed only while its notices are pending; that entry is the tick's to manage.
    if (filing.status === 'returned') return;
    if (filing.status !== 'verifying' || !cycle) {
      this.index.delete(filing.id);
      return;
    }
    const reportedAt = instant(cycle.reportedAt);
    const pending = requiredVerifiers(filing).verifiers.some((v) => !cycle.verified[v.phone]);
    if (!pending || !isSchedulable(reportedAt, now)) {
      this.index.delete(filing.id);
      return;
    }
    this.index.set(filing.id, Math.max(now.valueOf(), reportedAt.valueOf()));
  }

  private async runTick(): Promise<TickReport> {
    await Promise.allSettled([...this.writes]);
    const now = this.deps.clock.now();
    const ids = await this.index.popDue(now.valueOf());
    const work: Work[] = [];
    // A catch-up tick after a start plans for every open filing; requests must get in meanwhile.
    const pause = loopYielder();
    const returnedIds = new Set<string>();
    // A filing with work keeps its place (its bump, in a shared index) until that work is stored: moved on to its next stage
    // first, a leader that died in between would leave the planned but unstored reminder for no one to find until then.
    const settleLater = new Map<string, number | undefined>();
    const soon = new Set<string>();
    for (const id of ids) {
      // Fresh: a filing changed on another instance a moment ago must not be planned from an older copy.
      const filing = await this.deps.filings.get(id, { fresh: true });
      if (!filing) {
        this.index.reschedule(id, undefined);
        continue;
      }
      if (filing.status === 'returned') returnedIds.add(id);
      await pause();
      try {
        const planned = await planFiling(this.planner, filing, now);
        work.push(...planned.work);
        if (planned.work.length > 0) settleLater.set(id, planned.next);
        else this.index.reschedule(id, planned.next);
      } catch (error) {
        this.deps.logger.error('reminder planning failed', { filingId: id, error });
        this.index.reschedule(id, now.valueOf() + this.retryMs);
      }
    }
    // Earliest deadline first: a 1 h reminder must never wait behind 12 h ones, here or in a paced outbox.
    work.sort((a, b) => a.priority - b.priority || (a.kind === 'alert' ? 0 : 1) - (b.kind === 'alert' ? 0 : 1));
    const deliveries: Promise<boolean>[] = [];
    let dispatched = 0;
    // Handing a burst over, the outbox is sending the first of it meanwhile: short slices, so its
    // sends are not held up behind this loop (at 1,000/s, 10 ms slices cost a third of the pace).
    const handOff = loopYielder(HAND_OFF_SLICE_MS);
    for (const item of work) {
      await handOff();
      let attempt: number | undefined;
      try {
        attempt = await this.markers.attempt(item.key);
      } catch (error) {
        this.deps.logger.error('marker read failed', { filingId: item.filingId, error });
        soon.add(item.filingId);
        continue;
      }
      if (attempt === undefined) {
        // Already sent: a confirmed notice's pending job ends with it.
        if (item.kind === 'person' && item.job) this.track(this.writes, this.store.delete(item.job));
        continue;
      }
      dispatched += 1;
      const delivery = this.deliver(item, attempt).then(async (finished) => {
        if (!finished) soon.add(item.filingId);
        else if (item.kind === 'person' && item.job) await this.store.delete(item.job);
        return finished;
      });
      deliveries.push(delivery);
      this.track(this.inFlight, delivery);
    }
    this.track(
      this.inFlight,
      Promise.allSettled(deliveries).then(() => this.settle(settleLater, soon)),
    );
    const returned = work.filter((w) => (w.kind === 'person' ? w.stage === 'returned' : w.alert === 'returned'));
    if (returned.length > 0 || returnedIds.size > 0)
      this.track(
        this.inFlight,
        Promise.allSettled(deliveries).then(() => this.endReturnedJobs(ids, returned)),
      );
    this.lastTickAt = now;
    return { due: ids.length, planned: work.length, dispatched };
  }

  /** After a tick's work is stored: each filing that had work to its next due time, or a retry's time if sooner. */
  private settle(settleLater: Map<string, number | undefined>, soon: Set<string>): void {
    const retryAt = this.deps.clock.now().valueOf() + this.retryMs;
    for (const [id, next] of settleLater) this.index.reschedule(id, soon.has(id) ? Math.min(next ?? retryAt, retryAt) : next);
  }

  /** Deletes the pending returned notice of each returned filing whose notices are all sent (or given up); any retry keeps it. */
  private async endReturnedJobs(ids: string[], returned: Work[]): Promise<void> {
    for (const id of ids) {
      const filing = await this.deps.filings.get(id);
      if (filing?.status !== 'returned') continue;
      let finished = true;
      for (const w of returned) if (w.filingId === id && (await this.markers.get(w.key))?.s !== 'sent') finished = false;
      if (finished) await this.store.delete(returnedJobKey(id, filing.cycle?.number ?? 0));
    }
  }

  /**
   * Enqueues one unit for every recipient and records it; true when finished (stored, or given up),
   * false when it will be tried again. A recipient stored on an earlier attempt is enqueued again
   * under the same id, a no-op. The channel calls start before the first await, so their order is
   * the dispatch loop's EDF order.
   */
  private async deliver(item: Work, attempt: number): Promise<boolean> {
    let failed = 0;
    if (item.kind === 'person') {
      const results = await Promise.allSettled(
        item.users.map((u) => sendToUser(this.deps, u, item.reply, item.priority, { filingId: item.filingId, kind: `reminder:${item.stage}`, id: `${item.key}:${userKey(u.ref.channel, u.ref.userId)}` })),
      );
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') {
          if (r.value) this.countReminder(item);
        } else {
          failed += 1;
          this.deps.logger.warn('reminder send failed', { filingId: item.filingId, stage: item.stage, channel: item.users[i]!.ref.channel, attempt, error: r.reason });
        }
      });
    } else {
      const filing = await this.deps.filings.get(item.filingId);
      const alerts = this.deps.teamAlerts;
      try {
        if (filing && alerts && (await alerts.alert(item.alert, filing))) this.deps.metrics.alertsSent.inc({ kind: item.alert });
      } catch (error) {
        failed += 1;
        this.deps.logger.warn('team alert failed', { filingId: item.filingId, kind: item.alert, attempt, error });
      }
    }
    try {
      if (failed === 0) {
        await this.markers.sent(item.key, attempt);
        return true;
      }
      if (await this.markers.failed(item.key, attempt)) return false;
      this.deps.logger.error('reminder given up', { filingId: item.filingId, marker: item.kind === 'person' ? item.stage : item.alert, attempts: attempt });
      return true;
    } catch (error) {
      // Unrecorded: a later tick plans the unit again, and what was stored is a no-op in the outbox.
      this.deps.logger.error('marker update failed', { filingId: item.filingId, error });
      return false;
    }
  }

  private countReminder(item: Extract<Work, { kind: 'person' }>): void {
    this.deps.metrics.remindersSent.inc({ stage: item.stage });
    if (item.dueAt !== undefined && this.deps.clock.now().valueOf() - item.dueAt > LATE_AFTER_MS) this.deps.metrics.remindersLate.inc({ stage: item.stage });
  }

  private track(set: Set<Promise<unknown>>, promise: Promise<unknown>): void {
    const p = promise.catch((error) => this.deps.logger.error('reminder task failed', { error }));
    set.add(p);
    void p.finally(() => set.delete(p));
  }
}

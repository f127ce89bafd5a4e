/**
 * The reminder scheduler (RULES R5, R6): reminders are derived from the filings, never stored as jobs.
 * A time index holds each open filing's next due instant; a tick takes only the due filings, works
 * out who needs what now, claims a sent marker for each, and sends earliest deadline first.
 */
import { randomUUID } from 'node:crypto';
import type { ConversationRef, Locale, Reply } from '../activity.js';
import type { AlertKind } from '../adapter.js';
import type { Core } from '../core.js';
import type { Filing } from '../filing.js';
import { userKey, type UserRecord } from '../people.js';
import { cycleState, type ExtraConfirmations } from '../rules/cycle.rules.js';
import { dueStage } from '../rules/reminder.rules.js';
import { reReportedBy } from '../rules/recovery.rules.js';
import { phonesOf, requiredVerifiers } from '../rules/verifiers.rules.js';
import { renderReply, type Nudger } from '../runner.js';
import type { StateStore } from '../store/state-store.js';
import { chinaDate, instant, type Dayjs } from '../time.js';
import { nudgeReply, returnedReply, stageReply } from './reminders.messages.js';
import { isSchedulable, nextDueAfter, teamAlertDue } from '../rules/schedule.rules.js';
import { alertMarker, MARKER_TTL_MS, personMarker, SentMarkers, type Claim } from './sent.markers.js';
import { TimeIndex } from './time.index.js';

/** A reminder is "late" when sent more than this after its stage was due (the remindersLate metric). */
export const LATE_AFTER_MS = 60_000;

/** Scheduler options; everything has a production default. */
export interface SchedulerOptions {
  /** This incarnation's id, written into the markers it claims (a fresh one per start by default). */
  boot?: string;
  /** How long after a failed send to try again. */
  retryMs?: number;
  /** Attempts per marker before it is given up. */
  maxAttempts?: number;
}

/** What one tick did. */
export interface TickReport {
  /** Filings taken from the time index. */
  due: number;
  /** Recipients (people and team alerts) found needing something. */
  planned: number;
  /** Markers claimed, so messages handed to a channel. */
  dispatched: number;
}

type Reachable = UserRecord & { ref: ConversationRef };

/** One unit of work: a person's stage (or returned notice), or a team alert. `priority` is the deadline it serves (EDF). */
type Work =
  | { kind: 'person'; key: string; filingId: string; stage: string; dueAt?: number; priority: number; users: Reachable[]; reply: Reply }
  | { kind: 'alert'; key: string; filingId: string; alert: AlertKind; priority: number };

/** After a return the applicants are told once; this pending job survives a restart until they are. */
function returnedJobKey(filingId: string, cycle: number): string {
  return `retjob:${filingId}:${cycle}`;
}

const RETURNED_JOB = /^retjob:(.+):(\d+)$/;

/** The scheduler: a time index over the filings, sent markers in the store, EDF dispatch through the channels. */
export class ReminderScheduler {
  readonly boot: string;
  private readonly index = new TimeIndex();
  private readonly markers: SentMarkers;
  private readonly store: StateStore;
  private readonly retryMs: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly writes = new Set<Promise<unknown>>();
  private chain: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopped = false;
  /** When the last tick finished, for /healthz. */
  lastTickAt?: Dayjs;

  constructor(
    private readonly core: Core,
    opts: SchedulerOptions = {},
  ) {
    this.boot = opts.boot ?? randomUUID();
    this.store = core.store.namespace('reminders');
    this.markers = new SentMarkers(this.store, this.boot, opts.maxAttempts ?? 3);
    this.retryMs = opts.retryMs ?? 60_000;
  }

  /** Indexes every filing and the pending returned notices, and follows filing changes from now on. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const now = this.core.clock.now();
    for (const filing of this.core.filings.all()) this.reindex(filing, now);
    for await (const key of this.store.keys('retjob:')) {
      const m = RETURNED_JOB.exec(key);
      const filing = m ? this.core.filings.get(m[1]!) : undefined;
      if (filing?.status === 'returned' && (filing.cycle?.number ?? 0) === Number(m![2])) this.index.set(filing.id, now.valueOf());
      else await this.store.delete(key);
    }
    this.core.filings.onChange((filing, previous) => this.onChange(filing, previous));
  }

  /**
   * Someone became reachable on a phone (linked it, or switched reminders on again): their open
   * filings are looked at now, so they get the stage due now rather than waiting for the next one.
   */
  personReachable(phoneKey: string): void {
    if (this.stopped) return;
    const now = this.core.clock.now();
    for (const filing of this.core.filings.byPhoneKey(phoneKey)) if (filing.status === 'verifying') this.reindex(filing, now);
  }

  /** Stops following changes and waits for the tick and the sends in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
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
   * Takes the due filings, plans and claims their work, and hands the messages to the channels in
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

  /** The Nudger for core.nudger: "please verify" to each linked, pending verifier except `excludeKey`; how many were reached. */
  readonly nudge: Nudger = async (filing, opts) => {
    const now = this.core.clock.now();
    const state = cycleState(filing, now, await this.core.people.confirmations(filing));
    if (!state?.open) return 0;
    const reply = nudgeReply(filing, opts.kind, state.deadline, now);
    let reached = 0;
    for (const verifier of state.pending) {
      if (opts.excludeKey && this.core.people.keyOf(verifier.phone) === opts.excludeKey) continue;
      const users = await this.core.people.reachable(verifier.phone);
      const results = await Promise.allSettled(users.map((u) => this.sendTo(u, reply, state.deadline.valueOf())));
      if (results.some((r) => r.status === 'fulfilled' && r.value)) reached += 1;
    }
    return reached;
  };

  private onChange(filing: Filing, previous: Filing | undefined): void {
    if (this.stopped) return;
    const now = this.core.clock.now();
    // A filing that has just been returned (by filing.returned, or a status change to returned) is told once.
    if (filing.status === 'returned' && previous && previous.status !== 'returned') {
      // Persist the pending notice before the tick looks for it, so a crash after the event was accepted cannot lose it.
      const cycle = filing.cycle?.number ?? 0;
      this.track(this.writes, this.store.set(returnedJobKey(filing.id, cycle), { at: now.toISOString() }, MARKER_TTL_MS));
      this.index.set(filing.id, now.valueOf());
      return;
    }
    this.reindex(filing, now);
  }

  /** Puts a filing in the time index at `now` when it may need something, or takes it out. */
  private reindex(filing: Filing, now: Dayjs): void {
    const cycle = filing.cycle;
    // A returned filing is indexed only while its notices are pending; that entry is the tick's to manage.
    if (filing.status === 'returned') return;
    if (filing.status !== 'verifying' || !cycle) return this.index.delete(filing.id);
    const reportedAt = instant(cycle.reportedAt);
    const pending = requiredVerifiers(filing).verifiers.some((v) => !cycle.verified[v.phone]);
    if (!pending || !isSchedulable(reportedAt, now)) return this.index.delete(filing.id);
    this.index.set(filing.id, Math.max(now.valueOf(), reportedAt.valueOf()));
  }

  private async runTick(): Promise<TickReport> {
    await Promise.allSettled([...this.writes]);
    const now = this.core.clock.now();
    const ids = this.index.popDue(now.valueOf());
    const work: Work[] = [];
    for (const [i, id] of ids.entries()) {
      const filing = this.core.filings.get(id);
      if (!filing) continue;
      // A catch-up tick after a start plans every open filing; let requests (webhooks, /healthz) in now and then.
      if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
      try {
        const planned = await this.plan(filing, now);
        work.push(...planned.work);
        if (planned.next !== undefined) this.index.setEarlier(id, planned.next);
      } catch (error) {
        this.core.logger.error('reminder planning failed', { filingId: id, error });
        this.index.setEarlier(id, now.valueOf() + this.retryMs);
      }
    }
    // Earliest deadline first: a 1 h reminder must never wait behind 12 h ones, here or in a paced outbox.
    work.sort((a, b) => a.priority - b.priority || (a.kind === 'alert' ? 0 : 1) - (b.kind === 'alert' ? 0 : 1));
    const deliveries: Promise<boolean>[] = [];
    let dispatched = 0;
    for (const item of work) {
      let claim: Claim | undefined;
      try {
        claim = await this.markers.claim(item.key);
      } catch (error) {
        this.core.logger.error('marker claim failed', { filingId: item.filingId, error });
        this.index.setEarlier(item.filingId, now.valueOf() + this.retryMs);
        continue;
      }
      if (!claim) continue;
      dispatched += 1;
      const delivery = this.deliver(item, claim);
      deliveries.push(delivery);
      this.track(this.inFlight, delivery);
    }
    const returned = work.filter((w) => (w.kind === 'person' ? w.stage === 'returned' : w.alert === 'returned'));
    if (returned.length > 0 || ids.some((id) => this.core.filings.get(id)?.status === 'returned'))
      this.track(this.inFlight, Promise.allSettled(deliveries).then(() => this.endReturnedJobs(ids, returned)));
    this.lastTickAt = now;
    return { due: ids.length, planned: work.length, dispatched };
  }

  /** Deletes the pending returned notice of each returned filing whose notices are all sent (or given up); any retry keeps it. */
  private async endReturnedJobs(ids: string[], returned: Work[]): Promise<void> {
    for (const id of ids) {
      const filing = this.core.filings.get(id);
      if (filing?.status !== 'returned') continue;
      let finished = true;
      for (const w of returned) if (w.filingId === id && (await this.markers.get(w.key))?.s !== 'sent') finished = false;
      if (finished) await this.store.delete(returnedJobKey(id, filing.cycle?.number ?? 0));
    }
  }

  /**
   * Who needs what for this filing at `now`, and when to look at it next. Reads only what it must:
   * reachability first (most verifiers never link), confirmations only for reachable people or an alert.
   */
  private async plan(filing: Filing, now: Dayjs): Promise<{ work: Work[]; next?: number }> {
    if (filing.status === 'returned') return { work: await this.planReturned(filing, now) };
    const cycle = filing.cycle;
    if (filing.status !== 'verifying' || !cycle) return { work: [] };
    const system = cycleState(filing, now)!;
    if (system.pending.length === 0) return { work: [] };
    const { people, config } = this.core;
    const reportedAt = system.reportedAt;
    const deadline = system.deadline;
    const next = nextDueAfter(reportedAt, config.reminderOffsets, now);
    let extra: ExtraConfirmations | undefined;
    const confirmations = async () => (extra ??= await people.confirmations(filing));
    const work: Work[] = [];

    const stage = dueStage(reportedAt, config.reminderOffsets, now);
    if (stage) {
      for (const verifier of system.pending) {
        const users = await people.reachable(verifier.phone);
        if (users.length === 0) continue;
        const known = await confirmations();
        // Verified by a team member's call, or by the person's own report: no more reminders (R5).
        if (known.team?.[verifier.phone] || known.self?.[verifier.phone]) continue;
        work.push({
          kind: 'person',
          key: personMarker(filing.id, cycle.number, stage.id, people.keyOf(verifier.phone)),
          filingId: filing.id,
          stage: stage.id,
          dueAt: stage.dueAt.valueOf(),
          priority: deadline.valueOf(),
          users,
          reply: stageReply(filing, stage.id, verifier.phone, deadline, now),
        });
      }
    }

    const alert = this.core.teamAlerts.current ? teamAlertDue(reportedAt, now) : undefined;
    if (alert && cycleState(filing, now, await confirmations())!.pending.length > 0)
      work.push({ kind: 'alert', key: alertMarker(filing.id, cycle.number, alert), filingId: filing.id, alert, priority: deadline.valueOf() });
    return { work, next };
  }

  /** R6: tell everyone linked to the filing (principals and the emergency contact) and the team, once per cycle. */
  private async planReturned(filing: Filing, now: Dayjs): Promise<Work[]> {
    const cycle = filing.cycle?.number ?? 0;
    if ((await this.store.get(returnedJobKey(filing.id, cycle))) === undefined) return [];
    const reply = returnedReply(filing, reReportedBy(chinaDate(now), this.core.calendar));
    // A return has no deadline of its own; the next report comes within about a day, so it ranks like a fresh notice.
    const priority = now.valueOf() + 86_400_000;
    const work: Work[] = [];
    for (const phone of phonesOf(filing)) {
      const users = await this.core.people.reachable(phone);
      if (users.length === 0) continue;
      work.push({ kind: 'person', key: personMarker(filing.id, cycle, 'returned', this.core.people.keyOf(phone)), filingId: filing.id, stage: 'returned', priority, users, reply });
    }
    if (this.core.teamAlerts.current) work.push({ kind: 'alert', key: alertMarker(filing.id, cycle, 'returned'), filingId: filing.id, alert: 'returned', priority });
    return work;
  }

  /**
   * Sends one claimed unit and settles its marker; true when finished (sent or given up), false when
   * it will be retried. The channel calls start before the first await, so their order is the
   * dispatch loop's EDF order.
   */
  private async deliver(item: Work, claim: Claim): Promise<boolean> {
    const done = [...claim.done];
    let failed = 0;
    if (item.kind === 'person') {
      const targets = item.users.filter((u) => !done.includes(userKey(u.ref.channel, u.ref.userId)));
      const results = await Promise.allSettled(targets.map((u) => this.sendTo(u, item.reply, item.priority)));
      results.forEach((r, i) => {
        const u = targets[i]!;
        if (r.status === 'fulfilled') {
          done.push(userKey(u.ref.channel, u.ref.userId));
          if (r.value) this.countReminder(item);
        } else {
          failed += 1;
          this.core.logger.warn('reminder send failed', { filingId: item.filingId, stage: item.stage, channel: u.ref.channel, attempt: claim.n, error: r.reason });
        }
      });
    } else {
      const filing = this.core.filings.get(item.filingId);
      const alerts = this.core.teamAlerts.current;
      try {
        if (filing && alerts && (await alerts.alert(item.alert, filing))) this.core.metrics.alertsSent.inc({ kind: item.alert });
        done.push('team');
      } catch (error) {
        failed += 1;
        this.core.logger.warn('team alert failed', { filingId: item.filingId, kind: item.alert, attempt: claim.n, error });
      }
    }
    try {
      if (failed === 0) {
        await this.markers.sent(claim, done);
        return true;
      }
      if (await this.markers.retry(claim, done)) {
        this.index.setEarlier(item.filingId, this.core.clock.now().valueOf() + this.retryMs);
        return false;
      }
      this.core.logger.error('reminder given up', { filingId: item.filingId, marker: item.kind === 'person' ? item.stage : item.alert, attempts: claim.n });
      return true;
    } catch (error) {
      // The marker stays `sending`: the next incarnation treats it as in doubt and sends again (see SentMarkers).
      this.core.logger.error('marker update failed', { filingId: item.filingId, error });
      return false;
    }
  }

  /** Sends a reply to one linked user in their locale; false when their platform is not running here. */
  private async sendTo(user: Reachable, reply: Reply, priority: number): Promise<boolean> {
    const channel = this.core.channels.get(user.ref.channel);
    if (!channel) return false;
    const locale: Locale = user.locale ?? this.core.config.defaultLocale;
    await channel.send(user.ref, [renderReply(reply, locale)], { priority });
    return true;
  }

  private countReminder(item: Extract<Work, { kind: 'person' }>): void {
    this.core.metrics.remindersSent.inc({ stage: item.stage });
    if (item.dueAt !== undefined && this.core.clock.now().valueOf() - item.dueAt > LATE_AFTER_MS) this.core.metrics.remindersLate.inc({ stage: item.stage });
  }

  private track(set: Set<Promise<unknown>>, promise: Promise<unknown>): void {
    const p = promise.catch((error) => this.core.logger.error('reminder task failed', { error }));
    set.add(p);
    void p.finally(() => set.delete(p));
  }
}

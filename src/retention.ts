/**
 * Retention (issue 11 §4, PIPL's minimization): a person's records go RETENTION_DAYS after their
 * last activity, or 30 days after every filing naming them has closed, whichever is first; a
 * closed filing's state goes 30 days after it closed. Store TTLs are the backstop (they run on the
 * wall clock); this sweep judges on the injected clock, at start and then hourly.
 */
import type { Clock } from './clock.js';
import { CLOSED_KEEP_MS, CLOSED_STATUSES, type FilingSource } from './filings/filings.port.js';
import type { Logger } from './log.js';
import { loopYielder } from './loop.yield.js';
import type { People, UserRecord } from './people.js';

/** How often the sweep runs, by the injected clock. */
export const SWEEP_EVERY_MS = 3_600_000;
// How often the timer looks at the injected clock; the sweep itself runs only once an hour has passed there.
const CHECK_EVERY_MS = 60_000;

/** What the sweep reads and deletes. */
export interface RetentionDeps {
  clock: Clock;
  filings: FilingSource;
  people: People;
  logger: Logger;
  /** Several instances: takes this hour's sweep (true) or leaves it to the instance that took it; one process sweeps always. */
  claimSweep?: () => Promise<boolean>;
}

/** What one sweep removed. */
export interface SweepReport {
  users: number;
  phones: number;
  filings: number;
}

/** The running sweep: `tick()` sweeps when an hour has passed on the clock since the last one; `sweep()` sweeps now. */
export interface RunningRetention {
  sweep(): Promise<SweepReport>;
  tick(): Promise<SweepReport | undefined>;
  stop(): void;
}

// Whether every filing naming this phone key closed at least 30 days ago (and there is one).
async function allClosedLongAgo(deps: RetentionDeps, phoneKey: string, now: number): Promise<boolean> {
  const filings = await deps.filings.byPhoneKey(phoneKey);
  if (filings.length === 0) return false;
  for (const f of filings) {
    const at = CLOSED_STATUSES.has(f.status) ? await deps.filings.closedAt(f.id) : undefined;
    if (at === undefined || now - Date.parse(at) < CLOSED_KEEP_MS) return false;
  }
  return true;
}

// Why a user's records go now, or undefined while they stay.
async function expiryOf(deps: RetentionDeps, user: UserRecord, now: number): Promise<'inactive' | 'filings-closed' | undefined> {
  if (user.seen && now - Date.parse(user.seen) >= deps.people.retentionMs) return 'inactive';
  if (user.phoneKey && (await allClosedLongAgo(deps, user.phoneKey, now))) return 'filings-closed';
  return undefined;
}

/**
 * One sweep at the clock's now: dates filings found closed with no known closing time, deletes the
 * users whose time is up (with their link, counters and sessions), phone records nobody links any
 * more, and closed filings past their 30 days (with the team's confirmations for them). People are
 * judged before filings go, so the filings that date their expiry are still there to read.
 */
export async function sweepRetention(deps: RetentionDeps): Promise<SweepReport> {
  const now = deps.clock.now();
  const nowMs = now.valueOf();
  const report: SweepReport = { users: 0, phones: 0, filings: 0 };
  // A first start on a large file dates tens of thousands of closed filings; requests must get in meanwhile (issue 12).
  const pause = loopYielder();
  for await (const f of deps.filings.all()) {
    if (!CLOSED_STATUSES.has(f.status) || (await deps.filings.closedAt(f.id))) continue;
    await deps.filings.markClosed(f.id, now.toISOString());
    await pause();
  }
  for await (const { channel, userId, user } of deps.people.users()) {
    await pause();
    // A record from before retention has no `seen`: its clock starts now rather than it going at once.
    if (!user.seen) {
      await deps.people.touch(channel, userId, now.toDate());
      continue;
    }
    if (!(await expiryOf(deps, user, nowMs))) continue;
    await deps.people.forget(channel, userId);
    report.users += 1;
  }
  report.phones = await deps.people.sweepPhones(now.toDate());
  for await (const f of deps.filings.all()) {
    await pause();
    const at = await deps.filings.closedAt(f.id);
    if (!CLOSED_STATUSES.has(f.status) || at === undefined || nowMs - Date.parse(at) < CLOSED_KEEP_MS) continue;
    await deps.filings.drop(f.id);
    await deps.people.forgetFiling(f.id);
    report.filings += 1;
  }
  if (report.users + report.phones + report.filings > 0) deps.logger.info('retention sweep', { ...report });
  return report;
}

/**
 * Sweeps once now (or, with `sweepNow: false`, leaves the first sweep to the caller: main runs it
 * once the port is open), then checks the clock every minute and sweeps again when an hour has passed on it.
 */
export async function startRetention(deps: RetentionDeps, opts: { timer?: boolean; sweepNow?: boolean } = {}): Promise<RunningRetention> {
  let last = deps.clock.now().valueOf();
  let running: Promise<SweepReport> | undefined;
  const sweep = async (): Promise<SweepReport> => {
    // One sweep at a time: a slow one is not overlapped by the next check.
    if (!running && deps.claimSweep && !(await deps.claimSweep())) return { users: 0, phones: 0, filings: 0 };
    running ??= sweepRetention(deps).finally(() => (running = undefined));
    return running;
  };
  const tick = async (): Promise<SweepReport | undefined> => {
    const now = deps.clock.now().valueOf();
    if (now - last < SWEEP_EVERY_MS) return undefined;
    last = now;
    return sweep();
  };
  if (opts.sweepNow !== false) await sweep();
  const timer = opts.timer === false ? undefined : setInterval(() => void tick().catch((error) => deps.logger.error('retention sweep failed', { error })), CHECK_EVERY_MS);
  timer?.unref();
  return { sweep, tick, stop: () => clearInterval(timer) };
}

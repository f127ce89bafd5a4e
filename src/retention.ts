/**
 * Retention (issue 11 §4, PIPL's minimization): a person's records go RETENTION_DAYS after their
 * last activity, or 30 days after every filing naming them has closed, whichever is first; a
 * closed filing's state goes 30 days after it closed. Store TTLs are the backstop (they run on the
 * wall clock); this sweep judges on the injected clock, at start and then hourly. A person it
 * retires leaves nothing behind that names them: not a reminder marker, an outbox row or a sent
 * id, nor an old page in the store's files (issue 22 §3).
 */
import type { ChannelId } from './activity.js';
import type { Backend } from './backends/backend.js';
import type { Clock } from './clock.js';
import { CLOSED_KEEP_MS, CLOSED_STATUSES, type FilingSource } from './filings/filings.port.js';
import type { Logger } from './log.js';
import { loopYielder } from './loop.yield.js';
import type { Forgotten } from './outbox/outbox.store.js';
import { userKey, type People, type UserRecord } from './people.js';
import { forgetPhoneMarkers } from './reminders/sent.markers.js';

/** How often the sweep runs, by the injected clock. */
export const SWEEP_EVERY_MS = 3_600_000;
// How often the timer looks at the injected clock; the sweep itself runs only once an hour has passed there.
const CHECK_EVERY_MS = 60_000;

/** What the sweep reads and deletes. */
export interface RetentionDeps {
  clock: Clock;
  filings: FilingSource;
  people: People;
  /** Where the rest of a retired person's traces are: reminder markers in the state, messages in the outbox, old pages in the files. */
  backend: Pick<Backend, 'state' | 'outbox' | 'scrub'>;
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

// A user the sweep deleted, as they were.
type RetiredUser = { channel: ChannelId; userId: string; user: UserRecord };

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
 * Deletes what else names the people a sweep retired: the reminder markers of phones nobody links
 * now, the messages waiting for their chats or naming them, and the sent ids naming them.
 */
async function eraseTraces(deps: RetentionDeps, retired: RetiredUser[], phoneKeys: ReadonlySet<string>): Promise<void> {
  const keys = new Set(phoneKeys);
  const chats: Forgotten['chats'][number][] = [];
  for (const { channel, userId, user } of retired) {
    keys.add(userKey(channel, userId));
    if (user.ref) chats.push({ channel: user.ref.channel, chatId: user.ref.conversationId });
  }
  await forgetPhoneMarkers(deps.backend.state, phoneKeys);
  await deps.backend.outbox.forget({ chats, keys });
}

/**
 * One sweep at the clock's now: dates filings found closed with no known closing time, deletes the
 * users whose time is up (with their link, counters, sessions, and every trace eraseTraces finds),
 * phone records nobody links any more, and closed filings past their 30 days (with the team's
 * confirmations for them); then has the backend overwrite what was deleted. People are judged
 * before filings go, so the filings that date their expiry are still there to read.
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
  const retired: RetiredUser[] = [];
  for await (const { channel, userId, user } of deps.people.users()) {
    await pause();
    // A record from before retention has no `seen`: its clock starts now rather than it going at once.
    if (!user.seen) {
      await deps.people.touch(channel, userId, now.toDate());
      continue;
    }
    if (!(await expiryOf(deps, user, nowMs))) continue;
    await deps.people.forget(channel, userId);
    retired.push({ channel, userId, user });
  }
  report.users = retired.length;
  const gonePhones = new Set(await deps.people.sweepPhones(now.toDate()));
  report.phones = gonePhones.size;
  // A retired user's phone went with them when nobody else links it.
  for (const { user } of retired) if (user.phoneKey && !(await deps.people.phone(user.phoneKey))) gonePhones.add(user.phoneKey);
  if (retired.length + gonePhones.size > 0) await eraseTraces(deps, retired, gonePhones);
  for await (const f of deps.filings.all()) {
    await pause();
    const at = await deps.filings.closedAt(f.id);
    if (!CLOSED_STATUSES.has(f.status) || at === undefined || nowMs - Date.parse(at) < CLOSED_KEEP_MS) continue;
    await deps.filings.drop(f.id);
    await deps.people.forgetFiling(f.id);
    report.filings += 1;
  }
  // Every sweep, not only one that retired someone: sent messages and expired rows leave old pages in the WAL too.
  await deps.backend.scrub();
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

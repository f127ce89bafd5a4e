/** What the assistant keeps about people: links (by phone key, never a full phone), settings, counters and confirmations. */
import type { ChannelId, ConversationRef, Locale } from './activity.js';
import type { Filing } from './filings/filing.js';
import type { ExtraConfirmations } from './rules/cycle.rules.js';
import { requiredVerifiers } from './rules/verifiers.rules.js';
import type { PhoneKeyer } from './privacy.js';
import type { StateStore } from './store/state-store.js';

/** One person on one platform. */
export interface UserRecord {
  v: 1;
  phoneKey?: string;
  phoneMasked?: string;
  locale?: Locale;
  stopped?: boolean;
  /** Where to reach them later (reminders). */
  ref?: ConversationRef;
  /** Conversations with stored flow state, so /forget can delete them. */
  conversations?: string[];
  /** The last activity (ISO, the injected clock): the record is deleted RETENTION_DAYS after it. */
  seen?: string;
}

/** One person's counters and self-reports for one filing cycle. */
export interface CycleFacts {
  resends?: number;
  wrong?: number;
  self?: string;
}

/** Everything tied to one phone (by key): who linked it, and per-cycle facts. */
export interface PhoneRecord {
  v: 1;
  users: string[];
  cycles: Record<string, CycleFacts>;
  /** Since when (ISO, the injected clock, set by the retention sweep) nobody links it: its facts go RETENTION_DAYS later. */
  unlinkedSince?: string;
}

/** A team member's confirmation by phone, audit-logged. */
export interface TeamConfirmation {
  at: string;
  by: string;
}

const MAX_CYCLES_KEPT = 50;
const DAY_MS = 86_400_000;
const SESSION_KEEP_MS = 7 * DAY_MS;
/** How long a person's records are kept after their last activity when no RETENTION_DAYS is given. */
export const DEFAULT_RETENTION_DAYS = 180;
// A turn refreshes `seen` at most this often, so a busy conversation is not a write per message.
const SEEN_RESOLUTION_MS = 3_600_000;

/** The user key of a platform user. */
export function userKey(channel: ChannelId, userId: string): string {
  return `${channel}:${userId}`;
}

/** The cycle key of a filing cycle. */
export function cycleKey(filingId: string, cycle: number): string {
  return `${filingId}#${cycle}`;
}

/** The store of people: users, phones, team confirmations and conversation sessions. */
export class People {
  private readonly reachableListeners: Array<(phoneKey: string) => void> = [];

  /** How long a person's records live after their last write (a backstop TTL; the retention sweep judges on the injected clock). */
  readonly retentionMs: number;

  constructor(
    private readonly store: StateStore,
    readonly keyOf: PhoneKeyer,
    opts: { retentionDays?: number } = {},
  ) {
    this.retentionMs = (opts.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  }

  /** Calls `listener` with a phone's key whenever someone becomes reachable on it (linked, or reminders on again). */
  onReachable(listener: (phoneKey: string) => void): void {
    this.reachableListeners.push(listener);
  }

  private becameReachable(phoneKey: string): void {
    for (const listener of this.reachableListeners) listener(phoneKey);
  }

  /** A user's record. */
  async user(channel: ChannelId, userId: string): Promise<UserRecord | undefined> {
    return this.store.get<UserRecord>(`user:${userKey(channel, userId)}`);
  }

  /** Changes a user's record under its lock. */
  async updateUser(channel: ChannelId, userId: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord> {
    const key = `user:${userKey(channel, userId)}`;
    return this.store.withLock(key, async () => {
      const next = change((await this.store.get<UserRecord>(key)) ?? { v: 1 });
      await this.store.set(key, next, this.retentionMs);
      return next;
    });
  }

  /**
   * Notes a person's activity at `now` (refreshing their record's expiry) and, on first contact,
   * the platform's locale; writes only when something changes. Returns the record.
   */
  async touch(channel: ChannelId, userId: string, now: Date, locale?: Locale): Promise<UserRecord> {
    const key = `user:${userKey(channel, userId)}`;
    return this.store.withLock(key, async () => {
      const user = (await this.store.get<UserRecord>(key)) ?? { v: 1 };
      const stale = !user.seen || now.valueOf() - Date.parse(user.seen) >= SEEN_RESOLUTION_MS;
      const newLocale = locale !== undefined && user.locale === undefined;
      if (!stale && !newLocale) return user;
      const next: UserRecord = { ...user, ...(stale ? { seen: now.toISOString() } : {}), ...(newLocale ? { locale } : {}) };
      await this.store.set(key, next, this.retentionMs);
      return next;
    });
  }

  /** Every stored user, as channel, user id and record (for the retention sweep). */
  async *users(): AsyncIterable<{ channel: ChannelId; userId: string; user: UserRecord }> {
    for await (const key of this.store.keys('user:')) {
      const user = await this.store.get<UserRecord>(key);
      const [channel, ...rest] = key.slice('user:'.length).split(':');
      if (user) yield { channel: channel as ChannelId, userId: rest.join(':'), user };
    }
  }

  /**
   * Deletes phone records no stored user links any more: at once when their users expired, and
   * RETENTION_DAYS after the sweep first finds one that its last user moved off (it keeps the
   * phone's counters meanwhile). Returns the keys of those that went.
   */
  async sweepPhones(now: Date): Promise<string[]> {
    const deleted: string[] = [];
    for await (const key of this.store.keys('phone:')) {
      const phoneKey = key.slice('phone:'.length);
      const rec = await this.phone(phoneKey);
      if (!rec) continue;
      if (rec.users.length === 0) {
        if (await this.sweepUnlinked(phoneKey, rec, now)) deleted.push(phoneKey);
        continue;
      }
      const live: string[] = [];
      for (const u of rec.users) if ((await this.store.get(`user:${u}`)) !== undefined) live.push(u);
      if (live.length === rec.users.length) continue;
      await this.updatePhone(phoneKey, (r) => {
        const users = r.users.filter((u) => live.includes(u));
        return users.length === 0 ? undefined : { ...r, users };
      });
      if (live.length === 0) deleted.push(phoneKey);
    }
    return deleted;
  }

  // An unlinked record's clock starts when a sweep first sees it, like a user record from before retention.
  private async sweepUnlinked(phoneKey: string, rec: PhoneRecord, now: Date): Promise<boolean> {
    if (rec.unlinkedSince && now.valueOf() - Date.parse(rec.unlinkedSince) < this.retentionMs) return false;
    let gone = false;
    await this.updatePhone(phoneKey, (r) => {
      if (r.users.length > 0) return r;
      if (!r.unlinkedSince) return { ...r, unlinkedSince: now.toISOString() };
      gone = now.valueOf() - Date.parse(r.unlinkedSince) >= this.retentionMs;
      return gone ? undefined : r;
    });
    return gone;
  }

  /** Deletes the team's confirmations for every cycle of a filing (when the filing itself goes). */
  async forgetFiling(filingId: string): Promise<void> {
    for await (const key of this.store.keys(`team:${filingId}#`)) await this.store.delete(key);
  }

  /** A phone's record. */
  async phone(phoneKey: string): Promise<PhoneRecord | undefined> {
    return this.store.get<PhoneRecord>(`phone:${phoneKey}`);
  }

  private async updatePhone(phoneKey: string, change: (rec: PhoneRecord) => PhoneRecord | undefined): Promise<void> {
    const key = `phone:${phoneKey}`;
    await this.store.withLock(key, async () => {
      const next = change((await this.store.get<PhoneRecord>(key)) ?? { v: 1, users: [], cycles: {} });
      if (next) await this.store.set(key, next, this.retentionMs);
      else await this.store.delete(key);
    });
  }

  /** Links a user to a phone (moving them off any phone they had), and remembers where to reach them. */
  async link(ref: ConversationRef, phone: string, masked: string): Promise<void> {
    const phoneKey = this.keyOf(phone);
    const me = userKey(ref.channel, ref.userId);
    const before = await this.user(ref.channel, ref.userId);
    // The phone left behind keeps its counters: a resend budget is per phone per cycle, whoever links it (issue 19 §5).
    if (before?.phoneKey && before.phoneKey !== phoneKey) await this.unlinkPhone(before.phoneKey, me, { keepFacts: true });
    await this.updatePhone(phoneKey, ({ unlinkedSince: _, ...rec }) => ({ ...rec, users: rec.users.includes(me) ? rec.users : [...rec.users, me] }));
    const user = await this.updateUser(ref.channel, ref.userId, (u) => ({ ...u, phoneKey, phoneMasked: masked, ref }));
    if (!user.stopped) this.becameReachable(phoneKey);
  }

  /** Switches a user's reminders off (/stop) or on again. */
  async setStopped(channel: ChannelId, userId: string, stopped: boolean): Promise<void> {
    const user = await this.updateUser(channel, userId, (u) => ({ ...u, stopped }));
    if (!stopped && user.phoneKey) this.becameReachable(user.phoneKey);
  }

  /** Takes a user off a phone; with nobody left on it, the record goes unless `keepFacts` and it holds any. */
  private async unlinkPhone(phoneKey: string, me: string, opts: { keepFacts?: boolean } = {}): Promise<void> {
    await this.updatePhone(phoneKey, (rec) => {
      const users = rec.users.filter((u) => u !== me);
      if (users.length > 0 || (opts.keepFacts && Object.keys(rec.cycles).length > 0)) return { ...rec, users };
      return undefined;
    });
  }

  /** Adds one to a per-cycle counter of a phone. */
  async count(phoneKey: string, filingId: string, cycle: number, counter: 'resends' | 'wrong'): Promise<number> {
    let value = 0;
    await this.updatePhone(phoneKey, (rec) => {
      const key = cycleKey(filingId, cycle);
      const facts = rec.cycles[key] ?? {};
      value = (facts[counter] ?? 0) + 1;
      return { ...rec, cycles: prune({ ...rec.cycles, [key]: { ...facts, [counter]: value } }) };
    });
    return value;
  }

  /** Records a person's own report that they verified in a cycle. */
  async selfReport(phoneKey: string, filingId: string, cycle: number, at: string): Promise<void> {
    await this.updatePhone(phoneKey, (rec) => {
      const key = cycleKey(filingId, cycle);
      const facts = rec.cycles[key] ?? {};
      return { ...rec, cycles: prune({ ...rec.cycles, [key]: { ...facts, self: facts.self ?? at } }) };
    });
  }

  /** A phone's facts for one cycle. */
  async facts(phoneKey: string, filingId: string, cycle: number): Promise<CycleFacts> {
    return (await this.phone(phoneKey))?.cycles[cycleKey(filingId, cycle)] ?? {};
  }

  /** Records a team member's confirmation (by phone call) of one verifier in a cycle. */
  async teamConfirm(filingId: string, cycle: number, phoneKey: string, confirmation: TeamConfirmation): Promise<boolean> {
    const key = `team:${cycleKey(filingId, cycle)}`;
    return this.store.withLock(key, async () => {
      const map = (await this.store.get<Record<string, TeamConfirmation>>(key)) ?? {};
      if (map[phoneKey]) return false;
      await this.store.set(key, { ...map, [phoneKey]: confirmation }, 30 * 86_400_000);
      return true;
    });
  }

  /** Team confirmations and self-reports for the filing's current cycle, by phone (for cycleState). */
  async confirmations(filing: Filing): Promise<ExtraConfirmations> {
    const cycle = filing.cycle?.number;
    if (cycle === undefined) return {};
    const team = (await this.store.get<Record<string, TeamConfirmation>>(`team:${cycleKey(filing.id, cycle)}`)) ?? {};
    const out: Required<ExtraConfirmations> = { team: {}, self: {} };
    for (const v of requiredVerifiers(filing).verifiers) {
      const key = this.keyOf(v.phone);
      if (team[key]) out.team[v.phone] = team[key].at;
      const self = (await this.facts(key, filing.id, cycle)).self;
      if (self) out.self[v.phone] = self;
    }
    return out;
  }

  /** The users linked to a phone who can be reached and have not switched reminders off. */
  async reachable(phone: string): Promise<Array<UserRecord & { ref: ConversationRef }>> {
    const rec = await this.phone(this.keyOf(phone));
    if (!rec) return [];
    const out: Array<UserRecord & { ref: ConversationRef }> = [];
    for (const key of rec.users) {
      const [channel, ...rest] = key.split(':');
      const user = await this.user(channel as ChannelId, rest.join(':'));
      if (user?.ref && !user.stopped) out.push(user as UserRecord & { ref: ConversationRef });
    }
    return out;
  }

  /** A conversation's stored flow state. */
  async session<T>(channel: ChannelId, conversationId: string): Promise<T | undefined> {
    return this.store.get<T>(`session:${channel}:${conversationId}`);
  }

  /** Saves or clears a conversation's flow state (kept a week, a flow older than that being stale anyway, and never past RETENTION_DAYS). */
  async saveSession<T>(channel: ChannelId, conversationId: string, state: T | undefined): Promise<void> {
    const key = `session:${channel}:${conversationId}`;
    if (state === undefined) await this.store.delete(key);
    else await this.store.set(key, state, Math.min(SESSION_KEEP_MS, this.retentionMs));
  }

  /** Deletes everything about a user: their link (and the phone's counters if nobody else linked it), sessions and settings. */
  async forget(channel: ChannelId, userId: string): Promise<void> {
    const user = await this.user(channel, userId);
    if (user?.phoneKey) await this.unlinkPhone(user.phoneKey, userKey(channel, userId));
    for (const conversation of new Set([...(user?.conversations ?? []), ...(user?.ref ? [user.ref.conversationId] : [])])) await this.saveSession(channel, conversation, undefined);
    await this.store.delete(`user:${userKey(channel, userId)}`);
  }

  /** The lock key of a conversation: one turn at a time. */
  static conversationLock(channel: ChannelId, conversationId: string): string {
    return `lock:conv:${channel}:${conversationId}`;
  }
}

function prune(cycles: Record<string, CycleFacts>): Record<string, CycleFacts> {
  const keys = Object.keys(cycles);
  if (keys.length <= MAX_CYCLES_KEPT) return cycles;
  return Object.fromEntries(keys.slice(-MAX_CYCLES_KEPT).map((k) => [k, cycles[k]!]));
}

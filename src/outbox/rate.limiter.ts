/**
 * Send-rate limits measured over a sliding log of sends, not a bucket that refills to a burst: any
 * window of `windowMs` (half-open, [t, t + windowMs)) holds at most `max` calls as the platform
 * takes them in, for the bot as a whole and for each chat (issue 15 item 3). Each send is logged
 * at the latest instant its call may reach the platform: reserved before the call, its end after. An interface, so a Redis-backed limiter
 * shared by every instance can replace the in-process one (issue 10 item 4).
 */
import { DEFAULT_PLATFORM_TIMEOUT_MS } from '../config.js';
import type { OutboxChannel } from './outbox.types.js';

/** At most `max` sends in any `windowMs`. */
export interface WindowLimit {
  max: number;
  windowMs: number;
}

/** One platform's limits. */
export interface ChannelLimits {
  /** The whole bot (Telegram: about 30/s, so 25 with margin). */
  global: WindowLimit;
  /** One chat (Telegram: about 1/s; Slack: about 1/s per channel). */
  perChat: WindowLimit;
}

/** The platforms' published limits, with margin. Telegram allows a chat a short burst; we stay strict at 1/s. */
export const DEFAULT_CHANNEL_LIMITS: Partial<Record<OutboxChannel, ChannelLimits>> = {
  telegram: { global: { max: 25, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } },
  slack: { global: { max: 25, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } },
  console: { global: { max: Infinity, windowMs: 1000 }, perChat: { max: Infinity, windowMs: 1000 } },
};

/** A platform without limits of its own (one added without naming them) gets the strictest: 25/s for the bot, 1/s per chat. */
const FALLBACK_LIMITS: ChannelLimits = { global: { max: 25, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } };

/** One platform's limits from a table, or the strict fallback when the table has none for it. */
export function limitsOf(limits: Partial<Record<OutboxChannel, ChannelLimits>>, channel: OutboxChannel): ChannelLimits {
  return limits[channel] ?? FALLBACK_LIMITS;
}

/** Whether a send may start now (with a ticket to hand back when its call ended), and if not, which limit said no and when to ask again. */
export type Grant = { ok: true; ticket?: unknown } | { ok: false; scope: 'global' | 'chat'; retryAt: number /** The chat is held back by `block`, not by its pace. */; blocked?: boolean };

/** Options both limiters take besides the limits. */
export interface ReserveOptions {
  /**
   * How long a grant counts as in flight until `sent` reports its end (forever, if its process was
   * killed): the platform call's time limit, after which the call can no longer arrive.
   */
  reserveMs?: number;
}

/**
 * Decides when a send may start. A grant reserves its slot before the call: until `sent` reports
 * the call's end, the slot counts as if the platform received it as late as it still could (the
 * start plus `reserveMs`), so sends in flight, and those of an instance killed mid-call, count.
 */
export interface RateLimiter {
  /** Reserves a slot for one send to `chatId` when both the bot's and the chat's windows allow it (all or nothing). */
  acquire(channel: OutboxChannel, chatId: string, now: number): Promise<Grant>;
  /** Holds a chat back until `until` (a platform's retry_after, a back-off), whatever its window says. */
  block(channel: OutboxChannel, chatId: string, until: number): Promise<void>;
  /**
   * The call of a granted ticket ended at `at`, however it ended (a call made is a call counted, a
   * failed or timed-out one too): its slot now counts until `at` plus the window instead of its
   * reservation's end. Only the first report of a ticket counts.
   */
  sent(ticket: unknown, at: number): void;
}

/** One send's slot: the latest instant the platform may receive it (its reservation's end, then when its call ended). */
interface Slot {
  log: SlidingLog;
  at: number;
  settled: boolean;
}

/** The live slots of one limit, ordered by `at`: a slot counts while `at + windowMs` is ahead. */
class SlidingLog {
  private readonly slots: Slot[] = [];

  constructor(private readonly limit: WindowLimit) {}

  /** When one more send may start (now or later). */
  freeAt(now: number): number {
    if (!Number.isFinite(this.limit.max)) return now;
    this.prune(now);
    const n = this.slots.length;
    return n < this.limit.max ? now : this.slots[n - this.limit.max]!.at + this.limit.windowMs;
  }

  /** Takes a slot until `until` (the reservation's end); none is kept without a limit. */
  reserve(until: number): Slot | undefined {
    if (!Number.isFinite(this.limit.max)) return undefined;
    const slot: Slot = { log: this, at: until, settled: false };
    this.insert(slot);
    return slot;
  }

  /** Moves a slot to when its call ended (back in, if its reservation had already lapsed). */
  settle(slot: Slot, at: number): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.at = at;
    this.insert(slot);
  }

  /** The latest instant a slot counts from (for forgetting idle chats). */
  newest(): number {
    return this.slots.at(-1)?.at ?? -Infinity;
  }

  private insert(slot: Slot): void {
    let i = this.slots.length;
    while (i > 0 && this.slots[i - 1]!.at > slot.at) i -= 1;
    this.slots.splice(i, 0, slot);
  }

  private prune(now: number): void {
    let k = 0;
    while (k < this.slots.length && this.slots[k]!.at <= now - this.limit.windowMs) k += 1;
    if (k > 0) this.slots.splice(0, k);
  }
}

/** The in-process limiter: exact for one process; several instances need the shared one. */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly globals = new Map<OutboxChannel, SlidingLog>();
  private readonly chats = new Map<string, SlidingLog>();
  private readonly blocks = new Map<string, number>();
  private readonly limits: Partial<Record<OutboxChannel, ChannelLimits>>;
  private readonly reserveMs: number;
  private lastSweep = -Infinity;

  constructor(limits: Partial<Record<OutboxChannel, ChannelLimits>> = {}, opts: ReserveOptions = {}) {
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...limits };
    this.reserveMs = opts.reserveMs ?? DEFAULT_PLATFORM_TIMEOUT_MS;
  }

  async acquire(channel: OutboxChannel, chatId: string, now: number): Promise<Grant> {
    this.sweep(now);
    const key = `${channel}:${chatId}`;
    const blockedUntil = this.blocks.get(key);
    if (blockedUntil !== undefined) {
      if (blockedUntil > now) return { ok: false, scope: 'chat', retryAt: blockedUntil, blocked: true };
      this.blocks.delete(key);
    }
    const global = this.logOf(this.globals, channel, limitsOf(this.limits, channel).global);
    const globalAt = global.freeAt(now);
    if (globalAt > now) return { ok: false, scope: 'global', retryAt: globalAt };
    const chat = this.logOf(this.chats, key, limitsOf(this.limits, channel).perChat);
    const chatAt = chat.freeAt(now);
    if (chatAt > now) return { ok: false, scope: 'chat', retryAt: chatAt };
    const until = now + this.reserveMs;
    const ticket = [global.reserve(until), chat.reserve(until)].filter((slot): slot is Slot => slot !== undefined);
    return { ok: true, ticket };
  }

  sent(ticket: unknown, at: number): void {
    for (const slot of (ticket as Slot[] | undefined) ?? []) {
      if (slot.settled) continue;
      slot.settled = true;
      slot.log.settle(slot, at);
    }
  }

  async block(channel: OutboxChannel, chatId: string, until: number): Promise<void> {
    const key = `${channel}:${chatId}`;
    this.blocks.set(key, Math.max(until, this.blocks.get(key) ?? -Infinity));
  }

  private logOf<K>(map: Map<K, SlidingLog>, key: K, limit: WindowLimit): SlidingLog {
    let log = map.get(key);
    if (!log) {
      log = new SlidingLog(limit);
      map.set(key, log);
    }
    return log;
  }

  /** Forgets chats whose windows have passed, at most once a minute, so memory follows active chats only. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, log] of this.chats) {
      const channel = key.slice(0, key.indexOf(':')) as OutboxChannel;
      if (log.newest() + limitsOf(this.limits, channel).perChat.windowMs <= now) this.chats.delete(key);
    }
    for (const [key, until] of this.blocks) if (until <= now) this.blocks.delete(key);
  }
}

/**
 * Send-rate limits measured over a sliding log of send times, not a bucket that refills to a
 * burst: any window of `windowMs` (half-open, [t, t + windowMs)) holds at most `max` sends, for
 * the bot as a whole and for each chat (issue 15 item 3). An interface, so a Redis-backed limiter
 * shared by every instance can replace the in-process one (issue 10 item 4).
 */
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

/** Whether a send may start now (with a ticket to hand back when it finished), and if not, which limit said no and when to ask again. */
export type Grant = { ok: true; ticket?: unknown } | { ok: false; scope: 'global' | 'chat'; retryAt: number /** The chat is held back by `block`, not by its pace. */; blocked?: boolean };

/** Decides when a send may start. */
export interface RateLimiter {
  /** Takes a slot for one send to `chatId` when both the bot's and the chat's windows allow it (all or nothing). */
  acquire(channel: OutboxChannel, chatId: string, now: number): Promise<Grant>;
  /** Holds a chat back until `until` (a platform's retry_after, a back-off), whatever its window says. */
  block(channel: OutboxChannel, chatId: string, until: number): Promise<void>;
  /**
   * The send of a granted ticket finished at `at`: its slot counts from then, not from its start, so
   * the window holds where the platform receives the sends too, however long each one took.
   */
  sent?(ticket: unknown, at: number): void;
}

/** One slot in a sliding log, with the generation it was taken in (a slot reused since is left alone). */
interface SlotRef {
  log: SlidingLog;
  i: number;
  gen: number;
}

/** The last `max` send times in a ring: the oldest of them decides whether one more fits the window. */
class SlidingLog {
  private readonly times: number[];
  private readonly gens: number[];
  private next = 0;
  private gen = 0;

  constructor(private readonly limit: WindowLimit) {
    this.times = Number.isFinite(limit.max) ? new Array<number>(limit.max).fill(-Infinity) : [];
    this.gens = new Array<number>(this.times.length).fill(0);
  }

  /** When one more send may start (now or later). */
  freeAt(now: number): number {
    if (this.times.length === 0) return now;
    return Math.max(now, this.times[this.next]! + this.limit.windowMs);
  }

  record(now: number): SlotRef | undefined {
    if (this.times.length === 0) return undefined;
    const i = this.next;
    this.times[i] = now;
    this.gens[i] = ++this.gen;
    this.next = (i + 1) % this.times.length;
    return { log: this, i, gen: this.gen };
  }

  /** Moves a slot's time to when its send finished, unless the slot was taken again since. */
  settle(ref: SlotRef, at: number): void {
    if (this.gens[ref.i] === ref.gen) this.times[ref.i] = Math.max(this.times[ref.i]!, at);
  }

  /** The latest send time (for forgetting idle chats). */
  newest(): number {
    if (this.times.length === 0) return -Infinity;
    return this.times[(this.next + this.times.length - 1) % this.times.length]!;
  }
}

/** The in-process limiter: exact for one process; several instances need the shared one. */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly globals = new Map<OutboxChannel, SlidingLog>();
  private readonly chats = new Map<string, SlidingLog>();
  private readonly blocks = new Map<string, number>();
  private readonly limits: Partial<Record<OutboxChannel, ChannelLimits>>;
  private lastSweep = -Infinity;

  constructor(limits: Partial<Record<OutboxChannel, ChannelLimits>> = {}) {
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...limits };
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
    const ticket = [global.record(now), chat.record(now)].filter((r): r is SlotRef => r !== undefined);
    return { ok: true, ticket };
  }

  sent(ticket: unknown, at: number): void {
    for (const ref of (ticket as SlotRef[] | undefined) ?? []) ref.log.settle(ref, at);
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

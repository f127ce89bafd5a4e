/**
 * The shared RateLimiter (issue 10 item 4): one send budget for the whole bot across every instance
 * on one Redis. Each limit is a sliding log in a sorted set (one member per send, scored by the
 * latest instant the platform may receive it: reserved before the call, moved to the call's end
 * after), checked and recorded in one Lua script, so any window [t, t + windowMs) holds at most
 * `max` sends, for the bot and for each chat, whichever instance sent them, even one killed mid-call.
 *
 * Time comes from Redis (`TIME`) by default, so instances whose clocks differ still share one
 * window; the answer's `retryAt` is translated back into the caller's clock. `clock: 'caller'`
 * uses the `now` each caller passes instead (deterministic tests).
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './redis.connection.js';
import { RedisScript } from './redis.script.js';
import { DEFAULT_PLATFORM_TIMEOUT_MS } from '../../config.js';
import type { OutboxChannel } from '../../outbox/outbox.types.js';
import { DEFAULT_CHANNEL_LIMITS, limitsOf, type ChannelLimits, type Grant, type RateLimiter, type ReserveOptions } from '../../outbox/rate.limiter.js';

/**
 * KEYS: the bot's log, the chat's log, the chat's block. ARGV: now ('' = Redis TIME), member,
 * global max, global window, chat max, chat window (max -1 = unlimited), reservation ms.
 * Each entry is scored by the latest instant the platform may receive its send: a grant reserves
 * until now + the reservation, and SENT moves it to when the call ended.
 * Returns {granted 0/1, scope, retryAt, blocked 0/1, now}.
 */
const ACQUIRE = new RedisScript(`
local now = tonumber(ARGV[1])
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return {0, 'chat', tostring(blocked), 1, tostring(now)} end
local function freeAt(key, max, win)
  if max < 0 then return now end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  local n = redis.call('ZCARD', key)
  if n < max then return now end
  local oldest = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
  return tonumber(oldest[2]) + win
end
local gmax, gwin, cmax, cwin = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local reserve = tonumber(ARGV[7])
local g = freeAt(KEYS[1], gmax, gwin)
if g > now then return {0, 'global', tostring(g), 0, tostring(now)} end
local c = freeAt(KEYS[2], cmax, cwin)
if c > now then return {0, 'chat', tostring(c), 0, tostring(now)} end
-- The TTL only ever grows: it must outlive every reservation in the log, not only this one.
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
if gmax >= 0 then
  redis.call('ZADD', KEYS[1], now + reserve, ARGV[2])
  keep(KEYS[1], reserve + gwin)
end
if cmax >= 0 then
  redis.call('ZADD', KEYS[2], now + reserve, ARGV[2])
  keep(KEYS[2], reserve + cwin)
end
return {1, '', '0', 0, tostring(now)}
`);

/** KEYS: the chat's block. ARGV: until (on the limiter's clock), ttl. Keeps the later of the stored and the new block. */
const BLOCK = new RedisScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`);

/**
 * KEYS: the logs a grant was recorded in. ARGV: member, end time, ttl. Moves the grant's entry from
 * its reservation's end to when its call ended (back in, if the reservation had lapsed meanwhile).
 */
const SENT = new RedisScript(`
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[2], ARGV[1])
  if redis.call('PTTL', key) < tonumber(ARGV[3]) then redis.call('PEXPIRE', key, ARGV[3]) end
end
return 1
`);

/** What `sent` needs to find a grant again. */
interface Ticket {
  keys: string[];
  member: string;
  windowMs: number;
  settled: boolean;
}

/** Options for the shared limiter. */
export interface RedisLimiterOptions extends ReserveOptions {
  /** Root of the keys (the StateStore's, `beian` by default): keys live under `<root>.rate:`. */
  root?: string;
  limits?: Partial<Record<OutboxChannel, ChannelLimits>>;
  /** Whose clock measures the windows: Redis's (default, shared by all instances) or each caller's `now`. */
  clock?: 'redis' | 'caller';
}

/** One decision and the instant (on the limiter's clock) it was taken at. */
export interface TimedGrant {
  grant: Grant;
  /** When the send was granted or refused, on the clock the windows are measured with. */
  at: number;
}

/** A RateLimiter shared by every instance on one Redis. */
export class RedisRateLimiter implements RateLimiter {
  private readonly p: string;
  private readonly limits: Partial<Record<OutboxChannel, ChannelLimits>>;
  private readonly clock: 'redis' | 'caller';
  private readonly reserveMs: number;
  private readonly self = randomUUID().slice(0, 8);
  private count = 0;
  /** Redis clock minus caller clock, from the last decision (0 in caller mode). */
  private offset = 0;
  /** The caller's `now` at the last decision. */
  private lastNow = Date.now();

  constructor(
    private readonly connection: RedisConnection,
    opts: RedisLimiterOptions = {},
  ) {
    this.p = `${opts.root ?? 'beian'}.rate:`;
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...opts.limits };
    this.clock = opts.clock ?? 'redis';
    this.reserveMs = opts.reserveMs ?? DEFAULT_PLATFORM_TIMEOUT_MS;
  }

  async acquire(channel: OutboxChannel, chatId: string, now: number): Promise<Grant> {
    return (await this.take(channel, chatId, now)).grant;
  }

  /** `acquire`, also telling when the decision was taken on the limiter's clock (tests check the windows with it). */
  async take(channel: OutboxChannel, chatId: string, now: number): Promise<TimedGrant> {
    const { global, perChat } = limitsOf(this.limits, channel);
    const finite = (n: number) => (Number.isFinite(n) ? n : -1);
    this.count += 1;
    const keys = [`${this.p}${channel}:all`, `${this.p}${channel}:chat:${chatId}`, `${this.p}${channel}:block:${chatId}`];
    const args = [this.clock === 'redis' ? '' : now, `${this.self}:${this.count}`, finite(global.max), global.windowMs, finite(perChat.max), perChat.windowMs, this.reserveMs];
    const reply = (await this.connection.run('limiter', (c) => ACQUIRE.run(c, keys, args))) as [number, string, string, number, string];
    const at = Number(reply[4]);
    this.offset = this.clock === 'redis' ? at - now : 0;
    this.lastNow = now;
    if (reply[0] === 1) {
      const ticket: Ticket = { keys: keys.slice(0, 2), member: String(args[1]), windowMs: Math.max(global.windowMs, perChat.windowMs), settled: false };
      return { grant: { ok: true, ticket }, at };
    }
    const retryAt = Number(reply[2]) - this.offset;
    const grant: Grant = reply[3] === 1 ? { ok: false, scope: 'chat', retryAt, blocked: true } : { ok: false, scope: reply[1] as 'global' | 'chat', retryAt };
    return { grant, at };
  }

  /**
   * The call of a grant ended at `at`: its entries count until then plus the window (in Redis, on
   * the limiter's clock). Not awaited by the caller: a failure only leaves the entry at its
   * reservation's end, which is later, so it errs on the safe side.
   */
  sent(ticket: unknown, at: number): void {
    const t = ticket as Ticket | undefined;
    if (!t || t.settled) return;
    t.settled = true;
    void this.connection.run('limiter', (c) => SENT.run(c, t.keys, [t.member, at + this.offset, t.windowMs + 1000])).catch(() => undefined);
  }

  async block(channel: OutboxChannel, chatId: string, until: number): Promise<void> {
    // The block is stored on the limiter's clock; the offset comes from this instance's last decision.
    const key = `${this.p}${channel}:block:${chatId}`;
    // The TTL only cleans up: the stored instant decides, so a generous one is harmless.
    const ttl = Math.max(1, Math.ceil(until - this.lastNow)) + 1000;
    await this.connection.run('limiter', (c) => BLOCK.run(c, [key], [until + this.offset, ttl]));
  }
}

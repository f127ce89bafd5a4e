import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisRateLimiter, type RedisLimiterOptions } from '../../src/backends/redis/redis.limiter.js';
import { useRedisServer } from '../support/redis-server.js';
import { maxInWindow, T0 } from './support.js';

const redis = useRedisServer();

/** Two instances' limiters: two connections, one key root. */
function twoInstances(opts: RedisLimiterOptions = {}): [RedisRateLimiter, RedisRateLimiter] {
  const root = `t-${randomUUID()}`;
  const [a, b] = [redis.connection(), redis.connection()];
  return [new RedisRateLimiter(a, { root, ...opts }), new RedisRateLimiter(b, { root, ...opts })];
}

function byChat(grants: Array<{ chat: string; at: number }>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of grants) out.set(g.chat, [...(out.get(g.chat) ?? []), g.at]);
  return out;
}

/** A grant whose call ended at once (reported right away, as the dispatcher does when the platform answered). */
async function sendAt(limiter: RedisRateLimiter, chat: string, now: number) {
  const grant = await limiter.acquire('telegram', chat, now);
  if (grant.ok) limiter.sent(grant.ticket, now);
  return grant;
}

describe('RedisRateLimiter: one send budget for every instance (issue 10 item 4)', () => {
  it('two instances asking at once on one clock: ≤ 25 in every 1 s window for the bot, ≤ 1 per chat, and the budget is used in full', async () => {
    const [a, b] = twoInstances({ clock: 'caller' });
    const grants: Array<{ chat: string; at: number }> = [];
    // 3 s of requests every 5 ms from both instances at once, over 40 chats.
    for (let step = 0; step < 600; step++) {
      const now = T0 + step * 5;
      const asks = [a, b, a, b].map((limiter, k) => {
        const chat = `chat${(step * 4 + k) % 40}`;
        return limiter.take('telegram', chat, now).then((r) => {
          if (!r.grant.ok) return;
          // Each call ends at once, so its slot counts from its start, as the platform saw it.
          limiter.sent(r.grant.ticket, now);
          grants.push({ chat, at: now });
        });
      });
      await Promise.all(asks);
    }
    const times = grants.map((g) => g.at);
    expect(maxInWindow(times, 1000)).toBe(25);
    for (const [, chatTimes] of byChat(grants)) expect(maxInWindow(chatTimes, 1000)).toBe(1);
    // Not stricter than asked: the sliding log lets exactly 25 a second through over [T0, T0 + 3 s).
    expect(times).toHaveLength(75);
  });

  it('two instances on Redis’s own clock, eight concurrent askers each: every 1 s window of the recorded grant times holds ≤ 25, each chat ≤ 1', async () => {
    const [a, b] = twoInstances();
    const grants: Array<{ chat: string; at: number }> = [];
    let refusals = 0;
    const asker = async (limiter: RedisRateLimiter, k: number) => {
      for (let i = 0; i < 60; i++) {
        const chat = `chat${(k * 7 + i) % 30}`;
        const { grant, at } = await limiter.take('telegram', chat, Date.now());
        if (grant.ok) grants.push({ chat, at });
        if (grant.ok) limiter.sent(grant.ticket, Date.now());
        else refusals += 1;
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, k) => asker(k % 2 ? a : b, k)));
    expect(grants.length).toBeGreaterThanOrEqual(25);
    expect(refusals).toBeGreaterThan(0);
    expect(
      maxInWindow(
        grants.map((g) => g.at),
        1000,
      ),
    ).toBeLessThanOrEqual(25);
    for (const [, chatTimes] of byChat(grants)) expect(maxInWindow(chatTimes, 1000)).toBe(1);
  });

  it('a refusal says which limit and when to ask again, in the caller’s clock; a block set on one instance holds the chat on the other', async () => {
    const [a, b] = twoInstances({ clock: 'caller' });
    expect((await sendAt(a, 'p1', T0)).ok).toBe(true);
    expect(await b.acquire('telegram', 'p1', T0 + 400)).toEqual({ ok: false, scope: 'chat', retryAt: T0 + 1000 });
    expect((await sendAt(b, 'p1', T0 + 1000)).ok).toBe(true);
    await a.block('telegram', 'p2', T0 + 73_000);
    expect(await b.acquire('telegram', 'p2', T0 + 1000)).toEqual({ ok: false, scope: 'chat', retryAt: T0 + 73_000, blocked: true });
    expect((await sendAt(b, 'p2', T0 + 73_000)).ok).toBe(true);
    for (let i = 0; i < 24; i++) expect((await sendAt(a, `q${i}`, T0 + 73_100)).ok).toBe(true);
    expect(await b.acquire('telegram', 'q-last', T0 + 73_200)).toEqual({ ok: false, scope: 'global', retryAt: T0 + 74_000 });
    expect((await b.acquire('console', 'anyone', T0 + 73_200)).ok).toBe(true);
  });

  it('a slot counts from when its send finished: a send that took 800 ms holds its chat until 1 s after it ended, on every instance', async () => {
    const [a, b] = twoInstances({ clock: 'caller' });
    const grant = await a.acquire('telegram', 'slow', T0);
    expect(grant.ok).toBe(true);
    a.sent((grant as { ticket?: unknown }).ticket, T0 + 800);
    // sent() is not awaited by the dispatcher; a later call on the same connection runs after it.
    await a.acquire('telegram', 'other', T0 + 800);
    expect(await b.acquire('telegram', 'slow', T0 + 1500)).toEqual({ ok: false, scope: 'chat', retryAt: T0 + 1800 });
    expect((await b.acquire('telegram', 'slow', T0 + 1800)).ok).toBe(true);
  });

  it('sends in flight count on every instance: an unreported grant (its instance killed mid-call) holds its slot until its reservation ended plus the window', async () => {
    const [dying, survivor] = twoInstances({ clock: 'caller', reserveMs: 3000, limits: { telegram: { global: { max: 3, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } } } });
    for (const chat of ['a', 'b', 'c']) expect((await dying.acquire('telegram', chat, T0)).ok).toBe(true);
    // The dying instance never reports these calls' ends: each may reach the platform until T0 + 3000.
    expect(await survivor.acquire('telegram', 'd', T0 + 1000)).toEqual({ ok: false, scope: 'global', retryAt: T0 + 4000 });
    expect(await sendAt(survivor, 'a', T0 + 4000)).toMatchObject({ ok: true });
    // A reported end moves the slot there: a call that failed at T0 + 4200 still counts (a call made is a call counted).
    const e = await survivor.acquire('telegram', 'e', T0 + 4000);
    survivor.sent((e as { ticket?: unknown }).ticket, T0 + 4200);
    // sent() is not awaited; a later call on the same connection runs after it.
    await survivor.acquire('console', 'anyone', T0 + 4000);
    expect(await dying.acquire('telegram', 'e', T0 + 5100)).toEqual({ ok: false, scope: 'chat', retryAt: T0 + 5200 });
    expect((await dying.acquire('telegram', 'e', T0 + 5200)).ok).toBe(true);
  });

  it('on Redis’s clock, retryAt comes back in the caller’s clock, whatever that clock says', async () => {
    const [a] = twoInstances();
    const skewed = Date.now() - 3_600_000;
    expect((await sendAt(a, 'p', skewed)).ok).toBe(true);
    const refused = await a.acquire('telegram', 'p', skewed);
    expect(refused.ok).toBe(false);
    const retryAt = (refused as { retryAt: number }).retryAt;
    expect(retryAt).toBeGreaterThan(skewed);
    expect(retryAt).toBeLessThanOrEqual(skewed + 1000);
  });
});

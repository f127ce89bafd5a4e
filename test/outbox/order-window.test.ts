/** Two guarantees added when the outbox was wired in (issue 15 §2, §3): a chat's order across waits, and windows that hold where the platform receives. */
import { describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { Dispatcher } from '../../src/outbox/outbox.dispatcher.js';
import { SlidingWindowLimiter } from '../../src/outbox/rate.limiter.js';
import { FakePlatform, ManualTimers, T0 } from './support.js';

describe('Dispatcher: a chat keeps its order across waits', () => {
  it('a message enqueued while an earlier one of its chat waits (busy, then paced) never overtakes it', async () => {
    const timers = new ManualTimers();
    const platform = new FakePlatform(timers);
    const dispatcher = new Dispatcher({ store: new SqliteOutboxStore(':memory:'), senders: { telegram: platform }, timers, limiter: new SlidingWindowLimiter(), chatBusyRetryMs: 2000 });
    const reply = (id: string, deadline: number) => ({ id, channel: 'telegram' as const, chatId: 'c', payload: id, priority: 'interactive' as const, deadline });
    await dispatcher.enqueue([reply('a0', T0), reply('a1', T0)]);
    dispatcher.start();
    await timers.advance(500);
    await dispatcher.enqueue([reply('b0', T0 + 500)]);
    await timers.advance(5000);
    expect(platform.delivered()).toEqual(['a0', 'a1', 'b0']);
    await dispatcher.stop();
  });
});

describe('SlidingWindowLimiter: a slot is reserved before the call and counts until the call ended', () => {
  const limits = { telegram: { global: { max: 2, windowMs: 1000 }, perChat: { max: 10, windowMs: 1000 } } };

  it('a slow send holds its slot until it ended plus the window, so the platform never receives more than max in a window', async () => {
    const limiter = new SlidingWindowLimiter(limits, { reserveMs: 10_000 });
    const a = await limiter.acquire('telegram', 'a', 0);
    const b = await limiter.acquire('telegram', 'b', 0);
    expect(a.ok && b.ok).toBe(true);
    limiter.sent(b.ok ? b.ticket : undefined, 700);
    // The send to a took 600 ms: it may have arrived at 600, so a third send may start only at 1600.
    limiter.sent(a.ok ? a.ticket : undefined, 600);
    expect(await limiter.acquire('telegram', 'c', 1010)).toEqual({ ok: false, scope: 'global', retryAt: 1600 });
    const c = await limiter.acquire('telegram', 'c', 1600);
    expect(c.ok).toBe(true);
    limiter.sent(c.ok ? c.ticket : undefined, 1600);
    // Only the first report of a ticket counts: a late second one does not bring its slot back.
    limiter.sent(a.ok ? a.ticket : undefined, 5000);
    expect((await limiter.acquire('telegram', 'd', 1700)).ok).toBe(true);
  });

  it('sends in flight count: a call that never reports its end (its process killed) holds its slot until its reservation ended plus the window', async () => {
    const limiter = new SlidingWindowLimiter(limits, { reserveMs: 3000 });
    expect((await limiter.acquire('telegram', 'a', 0)).ok).toBe(true);
    expect((await limiter.acquire('telegram', 'b', 0)).ok).toBe(true);
    // Both calls may still reach the platform until 3000, so the window stays full until 4000.
    expect(await limiter.acquire('telegram', 'c', 1000)).toEqual({ ok: false, scope: 'global', retryAt: 4000 });
    expect(await limiter.acquire('telegram', 'c', 3999)).toMatchObject({ ok: false, retryAt: 4000 });
    expect((await limiter.acquire('telegram', 'c', 4000)).ok).toBe(true);
  });

  it('a call that failed or timed out still counts from when it ended; one that outlived its reservation counts from its end too', async () => {
    const limiter = new SlidingWindowLimiter(limits, { reserveMs: 500 });
    const a = await limiter.acquire('telegram', 'a', 0);
    const b = await limiter.acquire('telegram', 'b', 0);
    // a failed at 200 (a call made is a call counted); b hung past its reservation and ended at 2000.
    limiter.sent(a.ok ? a.ticket : undefined, 200);
    expect(await limiter.acquire('telegram', 'c', 1100)).toEqual({ ok: false, scope: 'global', retryAt: 1200 });
    limiter.sent(b.ok ? b.ticket : undefined, 2000);
    expect((await limiter.acquire('telegram', 'c', 2000)).ok).toBe(true);
    expect(await limiter.acquire('telegram', 'd', 2000)).toMatchObject({ ok: false, scope: 'global', retryAt: 3000 });
  });
});

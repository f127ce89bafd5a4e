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

describe('SlidingWindowLimiter: a slot counts from when its send finished', () => {
  it('a slow send holds its slot until it finished plus the window, so the platform never receives more than max in a window', async () => {
    const limiter = new SlidingWindowLimiter({ telegram: { global: { max: 2, windowMs: 1000 }, perChat: { max: 10, windowMs: 1000 } } });
    const a = await limiter.acquire('telegram', 'a', 0);
    const b = await limiter.acquire('telegram', 'b', 0);
    expect(a.ok && b.ok).toBe(true);
    // The send to a took 600 ms: it may have arrived at 600, so a third send may start only at 1600.
    limiter.sent(a.ok ? a.ticket : undefined, 600);
    expect(await limiter.acquire('telegram', 'c', 1010)).toEqual({ ok: false, scope: 'global', retryAt: 1600 });
    expect((await limiter.acquire('telegram', 'c', 1600)).ok).toBe(true);
    // A slot taken again since is not moved by a late report about its old send.
    limiter.sent(a.ok ? a.ticket : undefined, 5000);
    expect((await limiter.acquire('telegram', 'd', 1600)).ok).toBe(true);
    expect((await limiter.acquire('telegram', 'e', 2600)).ok).toBe(true);
  });
});

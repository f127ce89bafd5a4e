import { describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { Dispatcher, type DispatcherOptions, type DropReason, type Unreachable } from '../../src/outbox/outbox.dispatcher.js';
import type { OutboxStore } from '../../src/outbox/outbox.store.js';
import type { JsonValue, NewOutboxMessage, SendResult } from '../../src/outbox/outbox.types.js';
import { SlidingWindowLimiter } from '../../src/outbox/rate.limiter.js';
import { FakePlatform, hangingSender, ManualTimers, settle, T0 } from './support.js';

const HOUR = 3_600_000;
const CAP = 300_000;

function msg(id: string, chatId: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return { id, channel: 'telegram', chatId, payload: id, priority: 'proactive', deadline: T0 + HOUR, ...over };
}

type Script = (chatId: string, payload: JsonValue, nth: number) => SendResult;

function setup(o: { store?: OutboxStore; script?: Script; options?: Partial<DispatcherOptions>; timers?: ManualTimers } = {}) {
  const timers = o.timers ?? new ManualTimers();
  const platform = new FakePlatform(timers, o.script);
  const store = o.store ?? new SqliteOutboxStore(':memory:');
  const dropped: Array<[string, DropReason]> = [];
  const unreachable: Unreachable[] = [];
  const dispatcher = new Dispatcher({
    store,
    senders: { telegram: platform },
    timers,
    limiter: new SlidingWindowLimiter(),
    hooks: { onDropped: (m, reason) => dropped.push([m.id, reason]), onUnreachable: (info) => unreachable.push(info) },
    ...o.options,
  });
  return { timers, platform, store, dispatcher, dropped, unreachable };
}

describe('Dispatcher: order', () => {
  it('sends interactive replies first, then proactive messages earliest deadline first', async () => {
    const { timers, platform, dispatcher } = setup();
    await dispatcher.enqueue([
      msg('r12h', 'a', { deadline: T0 + 12 * HOUR }),
      msg('r1h', 'b', { deadline: T0 + HOUR }),
      msg('reply', 'c', { priority: 'interactive', deadline: T0 + 24 * HOUR }),
      msg('r4h', 'd', { deadline: T0 + 4 * HOUR }),
    ]);
    dispatcher.start();
    await timers.advance(0);
    expect(platform.delivered()).toEqual(['reply', 'r1h', 'r4h', 'r12h']);
    await dispatcher.stop();
  });

  it('a reply enqueued during a reminder burst goes out at the next window, ahead of the backlog', async () => {
    const { timers, platform, dispatcher } = setup();
    await dispatcher.enqueue(Array.from({ length: 100 }, (_, i) => msg(`r${i}`, `p${i}`, { deadline: T0 + i })));
    dispatcher.start();
    await timers.advance(100);
    await dispatcher.enqueue([msg('reply', 'asker', { priority: 'interactive', deadline: T0 + 100 })]);
    await timers.advance(1000);
    const at = platform.received.find((r) => r.payload === 'reply')!.at;
    expect(at - (T0 + 100)).toBeLessThanOrEqual(1000);
    expect(platform.delivered().indexOf('reply')).toBe(25);
    await timers.advance(5000);
    const reminders = platform.delivered().filter((p) => p !== 'reply');
    expect(reminders).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    await dispatcher.stop();
  });
});

describe('Dispatcher: a stored reply is sent at once', () => {
  it('an enqueue wakes an idle dispatcher: the reply is claimed and sent without the poll timer moving', async () => {
    const { timers, platform, dispatcher } = setup({ options: { pollMs: 60_000 } });
    dispatcher.start();
    await timers.advance(0);
    await settle();
    await dispatcher.enqueue([msg('reply', 'asker', { priority: 'interactive', deadline: T0 })]);
    await settle();
    expect(platform.received.map((r) => [r.payload, r.at])).toEqual([['reply', T0]]);
    await dispatcher.stop();
  });
});

describe('Dispatcher: calls that are no stored message share the budget', () => {
  it('a spare-only call is skipped while claimed messages wait for a slot; one that may wait takes the next slot, and no window holds more than 25 calls', async () => {
    const { timers, platform, dispatcher } = setup();
    await dispatcher.enqueue(Array.from({ length: 30 }, (_, i) => msg(`r${i}`, `p${i}`, { deadline: T0 + i })));
    dispatcher.start();
    await timers.advance(0);
    expect(platform.received).toHaveLength(25);
    const extra: number[] = [];
    const call = async () => void extra.push(timers.now());
    expect(await dispatcher.paced('telegram', 'asker', call, { waitMs: 0, spareOnly: true })).toBe(false);
    expect(await dispatcher.paced('telegram', 'asker', call, { waitMs: 0 })).toBe(false);
    const waiting = dispatcher.paced('telegram', 'asker', call, { waitMs: 2000 });
    await timers.advance(2000);
    expect(await waiting).toBe(true);
    expect(extra).toEqual([T0 + 1000]);
    expect(platform.delivered()).toHaveLength(30);
    const all = [...platform.received.map((r) => r.at), ...extra].sort((a, b) => a - b);
    for (const t of all) expect(all.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(25);
    await dispatcher.stop();
  });
});

describe('Dispatcher: claims waiting for a bot-wide window (issue 12)', () => {
  it('stay in hand across windows rather than being claimed again for every send, and still go out earliest deadline first', async () => {
    const store = new SqliteOutboxStore(':memory:');
    let claims = 0;
    const counting: OutboxStore = Object.assign(Object.create(store) as OutboxStore, {
      claim: (opts: Parameters<OutboxStore['claim']>[0]) => {
        claims += 1;
        return store.claim(opts);
      },
    });
    const timers = new ManualTimers();
    const platform = new FakePlatform(timers);
    // Sends that take 0–39 ms free the window's slots one at a time, as a real platform's answers do.
    let n = 0;
    const slow = {
      send: async (chatId: string, payload: JsonValue) => {
        const result = await platform.send(chatId, payload);
        await new Promise<void>((r) => timers.setTimeout(r, (n++ * 7) % 40));
        return result;
      },
    };
    const dispatcher = new Dispatcher({ store: counting, senders: { telegram: slow }, timers, limiter: new SlidingWindowLimiter() });
    await dispatcher.enqueue(Array.from({ length: 100 }, (_, i) => msg(`r${i}`, `p${i}`, { deadline: T0 + i })));
    dispatcher.start();
    await timers.advance(5000);
    expect(platform.delivered()).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    // 100 sends at 25/s in 32-message claims: a few claims a second, not one per freed slot.
    expect(claims).toBeLessThanOrEqual(25);
    await dispatcher.stop();
  });
});

describe('Dispatcher: rate limits over a sliding window', () => {
  it('never more than 25 sends in any 1 s window, and all 300 delivered once, earliest deadline first', async () => {
    const { timers, platform, dispatcher } = setup();
    // Deadlines shuffled so EDF is not just enqueue order.
    const deadlines = Array.from({ length: 300 }, (_, i) => (i * 7919) % 300);
    await dispatcher.enqueue(deadlines.map((d) => msg(`m${d}`, `chat${d}`, { deadline: T0 + d * 1000 })));
    dispatcher.start();
    for (let s = 0; s < 14; s++) await timers.advance(1000);
    expect(platform.received).toHaveLength(300);
    expect(new Set(platform.delivered()).size).toBe(300);
    expect(platform.maxInWindow(1000)).toBe(25);
    expect(platform.delivered()).toEqual(Array.from({ length: 300 }, (_, d) => `m${d}`));
    await dispatcher.stop();
  });

  it('the limiter grants at most max in any window, for any pattern of requests', async () => {
    const limiter = new SlidingWindowLimiter({ telegram: { global: { max: 5, windowMs: 1000 }, perChat: { max: 2, windowMs: 1000 } } });
    const granted: Array<{ at: number; chat: string }> = [];
    let now = T0;
    let seed = 42;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      now += (seed >>> 16) % 13;
      const chat = `c${(seed >>> 8) % 8}`;
      if ((await limiter.acquire('telegram', chat, now)).ok) granted.push({ at: now, chat });
    }
    const maxIn = (times: number[]) => Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(maxIn(granted.map((g) => g.at))).toBe(5);
    for (const chat of ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']) expect(maxIn(granted.filter((g) => g.chat === chat).map((g) => g.at))).toBeLessThanOrEqual(2);
  });

  it('one chat gets at most 1 message a second, in order, while other chats are not held up', async () => {
    const { timers, platform, dispatcher } = setup();
    await dispatcher.enqueue([0, 1, 2, 3, 4].map((n) => msg(`busy:${n}`, 'busy', { priority: 'interactive', deadline: T0 })));
    await dispatcher.enqueue(Array.from({ length: 10 }, (_, i) => msg(`other${i}`, `other${i}`)));
    dispatcher.start();
    await timers.advance(0);
    expect(platform.received.filter((r) => r.chatId.startsWith('other'))).toHaveLength(10);
    await timers.advance(10_000);
    const busy = platform.received.filter((r) => r.chatId === 'busy');
    expect(busy.map((r) => r.payload)).toEqual(['busy:0', 'busy:1', 'busy:2', 'busy:3', 'busy:4']);
    expect(platform.maxInWindow(1000, 'busy')).toBe(1);
    expect(busy.map((r) => r.at - T0)).toEqual([0, 1000, 2000, 3000, 4000]);
    await dispatcher.stop();
  });
});

describe('Dispatcher: rate-limit answers and failures', () => {
  it('a 429 with a small retry_after waits that long and resends; other chats go on', async () => {
    const script: Script = (chat, _p, nth) => (chat === 'x' && nth === 0 ? { kind: 'retry-after', retryAfterMs: 3000 } : { kind: 'ok' });
    const { timers, platform, dispatcher } = setup({ script });
    await dispatcher.enqueue([msg('x1', 'x'), msg('y1', 'y')]);
    dispatcher.start();
    await timers.advance(2999);
    expect(platform.delivered()).toEqual(['y1']);
    await timers.advance(1);
    expect(platform.delivered()).toEqual(['y1', 'x1']);
    expect(platform.received.filter((r) => r.chatId === 'x').map((r) => r.at - T0)).toEqual([0, 3000]);
    await dispatcher.stop();
  });

  it('a 429 asking for 73414 s waits at most the 5-minute cap, probes again, alerts once per message, and never holds up other chats', async () => {
    let xSends = 0;
    const script: Script = (chat) => (chat === 'x' && xSends++ < 3 ? { kind: 'retry-after', retryAfterMs: 73_414_000 } : { kind: 'ok' });
    const { timers, platform, dispatcher, unreachable, store } = setup({ script });
    await dispatcher.enqueue([msg('x-reminder', 'x', { meta: { filingId: 'VE-2026-000101', person: '张**', kind: 'reminder:4h' } })]);
    await dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => msg(`a${i}`, `a${i}`)));
    dispatcher.start();
    await timers.advance(10_000);
    await dispatcher.enqueue([msg('x-reply', 'x', { priority: 'interactive', deadline: T0 + 10_000 })]);
    await timers.advance(50_000);
    await dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => msg(`b${i}`, `b${i}`)));
    await timers.advance(1000);
    // Other chats: everything sent at once, 40 within a minute, while x waits.
    expect(platform.delivered()).toHaveLength(40);
    expect(await store.get('x-reminder')).toMatchObject({ lastError: '429 retry_after 73414s' });
    await timers.advance(CAP);
    expect(unreachable.map((u) => u.id)).toEqual(['x-reminder']);
    expect(unreachable[0]).toMatchObject({ channel: 'telegram', chatId: 'x', meta: { filingId: 'VE-2026-000101', person: '张**' } });
    expect(unreachable[0]!.failingForMs).toBeGreaterThanOrEqual(CAP);
    await timers.advance(CAP);
    expect(unreachable.map((u) => u.id)).toEqual(['x-reminder', 'x-reply']);
    await timers.advance(CAP);
    const x = platform.received.filter((r) => r.chatId === 'x');
    expect(x.map((r) => [r.payload, (r.at - T0) / 1000])).toEqual([
      ['x-reminder', 0],
      ['x-reply', 300],
      ['x-reply', 600],
      ['x-reply', 900],
      ['x-reminder', 901],
    ]);
    expect(unreachable).toHaveLength(2);
    expect((await dispatcher.stats()).pending).toBe(0);
    await dispatcher.stop();
  });

  it('a message past its expiry is dropped unsent and counted, also while parked', async () => {
    const script: Script = (chat, _p, nth) => (chat === 'x' && nth === 0 ? { kind: 'retry-after', retryAfterMs: 73_414_000 } : { kind: 'ok' });
    const { timers, platform, dispatcher, dropped } = setup({ script });
    await dispatcher.enqueue([msg('stale', 'y', { expiresAt: T0 - 1 }), msg('x-4h', 'x', { expiresAt: T0 + 200_000 })]);
    dispatcher.start();
    await timers.advance(3 * CAP);
    expect(platform.received.map((r) => r.payload)).toEqual(['x-4h']);
    expect(dropped).toEqual([
      ['stale', 'expired'],
      ['x-4h', 'expired'],
    ]);
    expect((await dispatcher.stats()).pending).toBe(0);
    await dispatcher.stop();
  });

  it('transient failures retry with doubling back-off; a permanent one or too many attempts drop the message', async () => {
    const script: Script = (chat, _p, nth) => {
      if (chat === 'flaky') return nth < 2 ? { kind: 'transient', error: 'ETIMEDOUT' } : { kind: 'ok' };
      if (chat === 'down') return { kind: 'transient', error: '502 Bad Gateway' };
      return chat === 'blocked' ? { kind: 'permanent', error: '403 bot was blocked by the user' } : { kind: 'ok' };
    };
    const { timers, platform, dispatcher, dropped } = setup({ script, options: { maxAttempts: 3 } });
    await dispatcher.enqueue([msg('f', 'flaky'), msg('d', 'down'), msg('b', 'blocked')]);
    dispatcher.start();
    await timers.advance(60_000);
    expect(platform.received.filter((r) => r.chatId === 'flaky').map((r) => r.at - T0)).toEqual([0, 1000, 3000]);
    expect(platform.received.filter((r) => r.chatId === 'down')).toHaveLength(3);
    expect(platform.received.filter((r) => r.chatId === 'blocked')).toHaveLength(1);
    expect(dropped.sort()).toEqual([
      ['b', 'failed'],
      ['d', 'failed'],
    ]);
    await dispatcher.stop();
  });

  it('a sender that throws counts as a transient failure', async () => {
    const timers = new ManualTimers();
    let calls = 0;
    const store = new SqliteOutboxStore(':memory:');
    const dispatcher = new Dispatcher({ store, timers, senders: { telegram: { send: async () => (calls++ === 0 ? Promise.reject(new Error('socket hang up')) : { kind: 'ok' }) } } });
    await dispatcher.enqueue([msg('t', 'chat')]);
    dispatcher.start();
    await timers.advance(999);
    expect(await store.get('t')).toMatchObject({ attempts: 1, lastError: 'socket hang up' });
    await timers.advance(1);
    expect(calls).toBe(2);
    expect((await store.stats(timers.now())).pending).toBe(0);
    await dispatcher.stop();
  });
});

describe('Dispatcher: chats whose platform calls hang', () => {
  const TIMEOUT = 10_000;
  const hungChats = Array.from({ length: 10 }, (_, i) => `hung${i}`);

  /** `timeoutMs` null: a Sender with no timeout of its own, whose hung calls never end. */
  function hanging(options: Partial<DispatcherOptions> = {}, o: { chats?: string[]; timeoutMs?: number | null } = {}) {
    const timers = new ManualTimers();
    const platform = new FakePlatform(timers);
    const hung = new Set(o.chats ?? hungChats);
    const store = new SqliteOutboxStore(':memory:');
    const sender = hangingSender(timers, platform, hung, o.timeoutMs === null ? undefined : (o.timeoutMs ?? TIMEOUT));
    const dispatcher = new Dispatcher({ store, timers, limiter: new SlidingWindowLimiter(), senders: { telegram: sender }, ...options });
    // A stop waits for the sends in flight, which end only at their timeout.
    const stop = async () => {
      const stopping = dispatcher.stop();
      await timers.advance(TIMEOUT);
      await stopping;
    };
    return { timers, platform, hung, store, dispatcher, stop };
  }

  it('ten hung chats (more than the 8 shared slots) do not hold up the others: all are answered before any hung send times out', async () => {
    const { timers, platform, dispatcher, stop } = hanging();
    // The hung chats' replies are the most urgent, so they take every shared slot first.
    await dispatcher.enqueue(hungChats.map((c, i) => msg(`h${i}`, c, { priority: 'interactive', deadline: T0 })));
    await dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => msg(`o${i}`, `other${i}`, { priority: 'interactive', deadline: T0 + 1 + i })));
    dispatcher.start();
    await timers.advance(0);
    expect(platform.received.map((r) => r.chatId)).toEqual(hungChats.slice(0, 8));
    await timers.advance(2000);
    const others = platform.received.filter((r) => r.chatId.startsWith('other'));
    expect(others.map((r) => r.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `o${i}`));
    expect(others.every((r) => r.result === 'ok' && r.at - T0 <= 2000)).toBe(true);
    // Every hung chat got its one send, and none has timed out yet.
    expect(platform.received.filter((r) => r.chatId.startsWith('hung')).map((r) => r.chatId)).toEqual(hungChats);
    expect(dispatcher.progress()).toMatchObject({ inFlight: 10, slow: 10 });
    await stop();
  });

  it('a send given up after its timeout frees its slot and is tried again later, and goes out once the chat answers', async () => {
    const { timers, platform, hung, store, dispatcher } = hanging();
    await dispatcher.enqueue(hungChats.map((c, i) => msg(`h${i}`, c)));
    dispatcher.start();
    await timers.advance(TIMEOUT);
    // The first eight gave up and wait for their retry; the last two started a second later, when the first eight turned slow.
    expect(dispatcher.progress()).toMatchObject({ inFlight: 2, slow: 2 });
    expect(await store.get('h0')).toMatchObject({ attempts: 1, lastError: `no answer within ${TIMEOUT} ms` });
    hung.clear();
    await timers.advance(3000);
    expect(platform.delivered().sort()).toEqual(hungChats.map((_, i) => `h${i}`).sort());
    for (const chat of hungChats) expect(platform.received.filter((r) => r.chatId === chat).map((r) => r.result)).toEqual(['transient', 'ok']);
    expect((await dispatcher.stats()).pending).toBe(0);
    await dispatcher.stop();
  });

  it('slow sends are bounded overall: never more than maxInFlight in flight, however many chats hang', async () => {
    const many = Array.from({ length: 30 }, (_, i) => msg(`m${i}`, `many${i}`));
    const { timers, platform, dispatcher, stop } = hanging({ maxInFlight: 12 }, { chats: many.map((m) => m.chatId) });
    await dispatcher.enqueue(many);
    dispatcher.start();
    await timers.advance(5000);
    expect(platform.received).toHaveLength(12);
    expect(dispatcher.progress()).toMatchObject({ inFlight: 12, slow: 12 });
    await stop();
  });

  it('reports itself stalled when no send finished for stallMs (half the lease) while work is due, and not when it is merely idle', async () => {
    const { timers, dispatcher } = hanging({ maxInFlight: 8, leaseMs: 60_000 }, { timeoutMs: null });
    dispatcher.start();
    await timers.advance(60_000);
    expect(dispatcher.progress().stalledMs).toBe(0);
    await dispatcher.enqueue([...hungChats.map((c, i) => msg(`h${i}`, c)), msg('waiting', 'other')]);
    await timers.advance(29_000);
    expect(dispatcher.progress().stalledMs).toBe(0);
    await timers.advance(2000);
    expect(dispatcher.progress()).toMatchObject({ inFlight: 8, slow: 8 });
    expect(dispatcher.progress().stalledMs).toBeGreaterThanOrEqual(30_000);
  });
});

describe('Dispatcher: idempotence and a clean stop', () => {
  it('the same id enqueued again, before or after it was sent, is sent once', async () => {
    const { timers, platform, dispatcher } = setup();
    expect(await dispatcher.enqueue([msg('update:7:0', 'c'), msg('update:7:0', 'c')])).toBe(1);
    dispatcher.start();
    await timers.advance(0);
    expect(await dispatcher.enqueue([msg('update:7:0', 'c')])).toBe(0);
    await timers.advance(5000);
    expect(platform.delivered()).toEqual(['update:7:0']);
    await dispatcher.stop();
  });

  it('stop(grace) sends until the grace ends, then leaves the rest stored for the next start', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const first = setup({ store });
    await first.dispatcher.enqueue(Array.from({ length: 100 }, (_, i) => msg(`m${i}`, `c${i}`, { deadline: T0 + i })));
    first.dispatcher.start();
    await first.timers.advance(0);
    const stopping = first.dispatcher.stop(1500);
    await first.timers.advance(5000);
    const summary = await stopping;
    expect(first.platform.received.every((r) => r.at <= T0 + 1500)).toBe(true);
    expect(first.platform.received).toHaveLength(50);
    expect(summary.pending).toBe(50);
    await first.timers.advance(5000);
    expect(first.platform.received).toHaveLength(50);
    // The next start picks up the rest, most urgent first, each exactly once.
    const second = setup({ store, timers: first.timers });
    second.dispatcher.start();
    await second.timers.advance(3000);
    expect([...first.platform.delivered(), ...second.platform.delivered()]).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    await second.dispatcher.stop();
  });

  it('stop with no grace waits for the sends in flight and hands unsent claims back at once', async () => {
    const { timers, platform, dispatcher, store } = setup({ options: { concurrency: 2 } });
    platform.hold = true;
    await dispatcher.enqueue([msg('a', 'a'), msg('b', 'b'), msg('c', 'c')]);
    dispatcher.start();
    await timers.advance(0);
    expect(platform.received).toHaveLength(2);
    let stopped = false;
    const stopping = dispatcher.stop(0).then((s) => {
      stopped = true;
      return s;
    });
    await timers.advance(0);
    expect(stopped).toBe(false);
    platform.releaseHeld();
    expect(await stopping).toEqual({ pending: 1 });
    expect((await store.claim({ now: timers.now(), limit: 10, leaseMs: 1000, owner: 'next' })).map((m) => m.id)).toEqual(['c']);
  });
});

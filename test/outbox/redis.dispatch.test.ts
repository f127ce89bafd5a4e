import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/outbox/outbox.dispatcher.js';
import { realTimers, type NewOutboxMessage, type Sender, type SendResult } from '../../src/outbox/outbox.types.js';
import { RedisRateLimiter } from '../../src/backends/redis/redis.limiter.js';
import { RedisOutboxStore } from '../../src/backends/redis/redis.outbox.js';
import { useRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { FakePlatform, maxInWindow } from './support.js';

const redis = useRedisServer();

/** One instance: its own connection, the shared outbox and limiter, a platform that records what it got. A call's time limit is under half the lease, as the start checks. */
function instance(root: string, leaseMs: number, sender?: Sender, concurrency = 4) {
  const connection = redis.connection();
  const store = new RedisOutboxStore(connection, { root });
  const platform = new FakePlatform(realTimers);
  const limiter = new RedisRateLimiter(connection, { root, reserveMs: leaseMs / 2 });
  const dispatcher = new Dispatcher({ store, senders: { telegram: sender ?? platform }, limiter, leaseMs, pollMs: 50, concurrency });
  return { connection, store, platform, dispatcher };
}

/** A platform that takes in each call `latencyMs` after it started (a slow network) and answers then; `receipts` gets the instant it took the call in. */
function latePlatform(receipts: number[], latencyMs: number): Sender & { started: number } {
  const platform = {
    started: 0,
    send: () => {
      platform.started += 1;
      return new Promise<SendResult>((resolve) =>
        setTimeout(() => {
          receipts.push(Date.now());
          resolve({ kind: 'ok' });
        }, latencyMs),
      );
    },
  };
  return platform;
}

function msg(i: number): NewOutboxMessage {
  return { id: `n${i}`, channel: 'telegram', chatId: `chat${i % 20}`, payload: { text: `notice ${i}` }, priority: 'proactive', deadline: Date.now() + 3_600_000 + i };
}

const texts = (platform: FakePlatform) => platform.delivered().map((p) => (p as { text: string }).text);

describe('The outbox shared on Redis by two instances (issue 10 item 4)', () => {
  it('messages enqueued on either instance are each sent once, by whichever instance claims them', async () => {
    const root = `t-${randomUUID()}`;
    const [a, b] = [instance(root, 30_000), instance(root, 30_000)];
    await a.dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => msg(i)));
    await b.dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => msg(i + 20)));
    a.dispatcher.start();
    b.dispatcher.start();
    await waitFor('40 deliveries', () => texts(a.platform).length + texts(b.platform).length >= 40);
    await Promise.all([a.dispatcher.stop(), b.dispatcher.stop()]);
    const all = [...texts(a.platform), ...texts(b.platform)];
    expect(all.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `notice ${i}`).sort());
    expect(texts(a.platform).length).toBeGreaterThan(0);
    expect(texts(b.platform).length).toBeGreaterThan(0);
  });

  it('an instance that dies mid-send: the other sends everything after the lease, repeating at most the sends that were in flight', async () => {
    const root = `t-${randomUUID()}`;
    const dying = instance(root, 1_000);
    dying.platform.hold = true;
    await dying.dispatcher.enqueue(Array.from({ length: 12 }, (_, i) => msg(i)));
    dying.dispatcher.start();
    await waitFor('the first sends to start', () => dying.platform.received.length >= 4);
    // The process is gone: its connection drops, its sends never finish, nothing is handed back.
    dying.connection.client.disconnect();
    const survivor = instance(root, 1_000);
    survivor.dispatcher.start();
    await waitFor('12 deliveries by the survivor', () => texts(survivor.platform).length >= 12);
    await survivor.dispatcher.stop();
    expect(texts(survivor.platform).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `notice ${i}`).sort());
    expect(dying.platform.received.length).toBeLessThanOrEqual(4);
    expect(await survivor.store.stats(Date.now())).toMatchObject({ pending: 0 });
    dying.platform.releaseHeld();
    await dying.dispatcher.stop().catch(() => undefined);
  });

  it('an instance killed with 25 slow calls in flight: its reservations still count, so the platform never takes in more than 25 calls in any 1 s window', async () => {
    const root = `t-${randomUUID()}`;
    const receipts: number[] = [];
    // The dying instance's calls are slow (taken in 800 ms after they started); the survivor's are quick.
    const slow = latePlatform(receipts, 800);
    const dying = instance(root, 2_000, slow, 25);
    await dying.dispatcher.enqueue(Array.from({ length: 60 }, (_, i) => ({ ...msg(i), chatId: `chat${i}` })));
    dying.dispatcher.start();
    await waitFor('25 calls in flight', () => slow.started >= 25);
    // The process is gone: its connection drops and it never reports its calls' ends, yet they reach the platform.
    dying.connection.client.disconnect();
    const survivor = instance(root, 2_000, latePlatform(receipts, 5), 25);
    survivor.dispatcher.start();
    // 60 messages: those the dying one never claimed, then the 32 it had claimed, once its lease ended.
    let pending = -1;
    const poll = setInterval(() => void survivor.store.stats(Date.now()).then((s) => (pending = s.pending)), 50);
    await waitFor('every message sent by the survivor', () => pending === 0 && receipts.length >= 85, 15_000).finally(() => clearInterval(poll));
    await survivor.dispatcher.stop();
    await dying.dispatcher.stop().catch(() => undefined);
    expect(slow.started).toBe(25);
    expect(maxInWindow(receipts, 1000)).toBeLessThanOrEqual(25);
  });
});

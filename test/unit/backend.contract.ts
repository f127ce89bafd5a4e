/** The Backend contract: one suite every backend (local in memory, local on a SQLite file, Redis) must pass, part by part. */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { describeStoreContract } from './store.contract.js';

/** A backend under test. */
export interface BackendUnderTest {
  name: string;
  /** A fresh, empty backend. */
  open(): Backend;
  /** Two instances on the same fresh data (a backend several instances share). */
  openPair?(): [Backend, Backend];
}

const NOW = Date.parse('2026-11-29T10:00:00+08:00');

function message(id: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return { id, channel: 'telegram', chatId: 'chat-1', payload: { text: id }, priority: 'proactive', deadline: NOW + 3_600_000, ...over };
}

/** Registers the contract's tests for one backend: its state (the StateStore contract), outbox, send budget, time index and leader lease. */
export function describeBackendContract(b: BackendUnderTest): void {
  const opened: Backend[] = [];
  afterAll(async () => {
    for (const backend of opened.splice(0)) await backend.close();
  });
  const open = () => {
    const backend = b.open();
    opened.push(backend);
    return backend;
  };
  const openPair = b.openPair
    ? () => {
        const pair = b.openPair!();
        opened.push(...pair);
        return pair;
      }
    : undefined;

  describeStoreContract({
    name: `${b.name} backend`,
    open: () => open().state,
    ...(openPair ? { openPair: () => openPair().map((x) => x.state) as [Backend['state'], Backend['state']] } : {}),
    locksAcrossConnections: Boolean(openPair),
  });

  describe(`Backend contract (${b.name})`, () => {
    it('R5 the outbox: an id enqueued twice is stored once, and once sent it stays a no-op', async () => {
      const { outbox } = open();
      expect(await outbox.enqueue([message('rem:VE-1:1:4h:p1:telegram:7')], NOW)).toBe(1);
      expect(await outbox.enqueue([message('rem:VE-1:1:4h:p1:telegram:7')], NOW)).toBe(0);
      const [claimed] = await outbox.claim({ now: NOW, limit: 10, leaseMs: 30_000, owner: 'test' });
      expect(claimed?.id).toBe('rem:VE-1:1:4h:p1:telegram:7');
      await outbox.ack(claimed!.id, NOW + 1);
      expect(await outbox.enqueue([message('rem:VE-1:1:4h:p1:telegram:7')], NOW + 2)).toBe(0);
      expect((await outbox.stats(NOW + 3)).pending).toBe(0);
      // The health probe writes, yet leaves nothing a claim or the stats would see.
      await expect(outbox.ping()).resolves.toBeUndefined();
      expect(await outbox.claim({ now: NOW + 4, limit: 10, leaseMs: 30_000, owner: 'test' })).toEqual([]);
      expect((await outbox.stats(NOW + 4)).pending).toBe(0);
    });

    it('issue 15 the send budget: a chat gets one send a second, and a block holds it back until its time', async () => {
      const limiter = open().rateLimiter();
      const now = Date.now();
      expect((await limiter.acquire('telegram', 'chat-a', now)).ok).toBe(true);
      const again = await limiter.acquire('telegram', 'chat-a', now);
      expect(again).toMatchObject({ ok: false, scope: 'chat' });
      if (!again.ok) expect(again.retryAt).toBeGreaterThan(now);
      expect((await limiter.acquire('telegram', 'chat-b', now)).ok).toBe(true);
      await limiter.block('telegram', 'chat-c', now + 60_000);
      expect(await limiter.acquire('telegram', 'chat-c', now)).toMatchObject({ ok: false, scope: 'chat', blocked: true });
    });

    it('R5 the time index pops what is due earliest first and takes a popped filing back only with a next time', async () => {
      const index = open().dueIndex();
      index.set('a', 3000);
      index.set('b', 1000);
      index.setEarlier('a', 2000);
      index.setEarlier('b', 5000);
      index.set('c', 9000);
      index.delete('c');
      expect(await index.popDue(2500)).toEqual(['b', 'a']);
      index.reschedule('b', undefined);
      index.reschedule('a', 7000);
      expect(await index.popDue(6999)).toEqual([]);
      expect(await index.popDue(7000)).toEqual(['a']);
    });

    it('the leader lease: taken, held, and released', async () => {
      const lease = open().leader('reminders');
      expect(await lease.hold()).toBe(true);
      expect(lease.held).toBe(true);
      expect(await lease.hold()).toBe(true);
      await lease.release();
    });

    if (openPair) {
      it('the leader lease across instances: one holds it, the other takes it once it is released', async () => {
        const [a, b] = openPair().map((x) => x.leader('reminders'));
        expect(await a!.hold()).toBe(true);
        expect(await b!.hold()).toBe(false);
        expect(b!.held).toBe(false);
        expect(await a!.release()).toBe(true);
        expect(await b!.hold()).toBe(true);
      });

      it('R5 the outbox across instances: an id enqueued on one is a no-op on the other', async () => {
        const [a, b] = openPair();
        expect(await a!.outbox.enqueue([message('alert:VE-2:1:at-risk')], NOW)).toBe(1);
        expect(await b!.outbox.enqueue([message('alert:VE-2:1:at-risk')], NOW)).toBe(0);
      });
    }
  });
}

/** The Backend contract: one suite every backend (local in memory, local on a SQLite file, Redis) must pass, part by part. */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, FilingsOpening } from '../../src/backends/backend.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
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

/** An opening of one filing under the content hash `hash`, counting how often its records were read. */
function filingsOpening(backend: Backend, hash: string): FilingsOpening & { reads: () => number } {
  let reads = 0;
  const records = () => {
    reads += 1;
    return [makeFiling()];
  };
  return { state: backend.state, source: { hash, records }, keyOf: (phone) => `k${phone.slice(-4)}`, reads: () => reads };
}

const returned = FilingEventSchema.parse({ eventId: 'e-contract', type: 'filing.returned', filingId: 'VE-TEST-0001', at: '2026-11-29T11:00:00+08:00', reason: 'sms_failed' });

function message(id: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return { id, channel: 'telegram', chatId: 'chat-1', payload: { text: id }, priority: 'proactive', deadline: NOW + 3_600_000, ...over };
}

/** Registers the contract's tests for one backend: its state (the StateStore contract), outbox, send budget, time index, leader lease and filings. */
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

    it('issue 22 the outbox forgets a retired person: messages for their chat or naming them, and remembered ids naming them', async () => {
      const { outbox } = open();
      const mine = 'tg:p:rem:VE-1:1:4h:PK1:telegram:2001:2001:0';
      const mineSent = 'tg:p:rem:VE-1:1:12h:PK1:telegram:2001:2001:0';
      const reply = 'tg:7:u5:0';
      const replySent = 'tg:7:u6:0';
      const other = 'tg:p:rem:VE-1:1:4h:PK2:telegram:2002:2002:0';
      const lookalike = 'tg:p:rem:VE-1:1:4h:PK1X:telegram:20011:20011:0';
      const chat = (chatId: string) => ({ chatId });
      await outbox.enqueue([message(mineSent, chat('2001')), message(replySent, { ...chat('2001'), priority: 'interactive' })], NOW);
      for (const m of await outbox.claim({ now: NOW, limit: 10, leaseMs: 30_000, owner: 'test' })) await outbox.ack(m.id, NOW);
      await outbox.enqueue([message(mine, chat('2001')), message(reply, { ...chat('2001'), priority: 'interactive' }), message(other, chat('2002')), message(lookalike, chat('20011'))], NOW);
      // One of them is in a sender's hands: it goes too.
      await outbox.claim({ now: NOW, limit: 1, leaseMs: 30_000, owner: 'test' });

      expect(await outbox.forget({ chats: [{ channel: 'telegram', chatId: '2001' }], keys: new Set(['PK1', 'telegram:2001']) })).toBe(3);
      expect(await outbox.get(mine)).toBeUndefined();
      expect(await outbox.get(reply)).toBeUndefined();
      expect((await outbox.get(other))?.chatId).toBe('2002');
      expect((await outbox.get(lookalike))?.chatId).toBe('20011');
      expect((await outbox.stats(NOW)).pending).toBe(2);
      // The remembered id that named them is gone; one that names nobody stays remembered.
      expect(await outbox.enqueue([message(mineSent, chat('2001'))], NOW)).toBe(1);
      expect(await outbox.enqueue([message(replySent, chat('2001'))], NOW)).toBe(0);
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

    it('the filings: the file is imported once per content, sealed; an event changes a filing, and a reopening reads no record and keeps the change', async () => {
      const backend = open();
      const opening = filingsOpening(backend, 'contract-1');
      const filings = await backend.openFilings(opening);
      await filings.settle();
      expect(opening.reads()).toBe(1);
      expect(await filings.count()).toBe(1);
      expect((await filings.get('VE-TEST-0001'))?.subject.principal.phone).toBe('138****8000#k8000');
      expect((await filings.apply(returned)).ok).toBe(true);
      const again = await backend.openFilings(opening);
      await again.settle();
      expect(opening.reads()).toBe(1);
      expect(await again.get('VE-TEST-0001', { fresh: true })).toMatchObject({ status: 'returned', returnReason: 'sms_failed' });
    });

    if (openPair) {
      it('the filings across instances: imported by one, read by the other without reading the file', async () => {
        const [a, b] = openPair();
        const first = filingsOpening(a!, 'contract-pair');
        await (await a!.openFilings(first)).settle();
        const second = filingsOpening(b!, 'contract-pair');
        const filings = await b!.openFilings(second);
        expect(second.reads()).toBe(0);
        expect((await filings.get('VE-TEST-0001'))?.id).toBe('VE-TEST-0001');
      });

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

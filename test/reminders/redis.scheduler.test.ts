import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import { RedisTimeIndex } from '../../src/backends/redis/redis.due.js';
import { RedisConnection } from '../../src/backends/redis/redis.connection.js';
import { openRedisBackend } from '../../src/backends/redis/redis.backend.js';
import { RedisLease } from '../../src/backends/redis/redis.lease.js';
import type { RedisStateStore } from '../../src/backends/redis/redis.state.js';
import { personMarker } from '../../src/reminders/sent.markers.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { reminderWorld, type ReminderWorld } from './fakes.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const MIN = 60_000;
const at = (msAfterReport: number) => instant(instant(REPORTED).valueOf() + msAfterReport).toISOString();
const ALICE_PHONE = '13800138000';
const BOB_PHONE = '13900139000';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

function connection(): RedisConnection {
  const c = RedisConnection.open(redis.url);
  closers.push(() => c.close());
  return c;
}

function label(text: string): string {
  const left = /(\d+) h (\d+) min left/.exec(text);
  const kind = /has sent the verification SMS/.test(text) ? 'notice' : /Reminder:/.test(text) ? 'stage' : 'other';
  return left ? `${kind} ${left[1]}h${left[2]}m` : kind;
}

describe('RedisTimeIndex (issue 10 item 3: the time index in Redis)', () => {
  it('keeps the earliest time, pops what is due earliest first, and drops what a tick rescheduled with no next time', async () => {
    const root = `t-${randomUUID()}`;
    const index = new RedisTimeIndex(connection(), { root, bumpMs: 60_000 });
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
    expect(index.size).toBe(1);
    expect(index.peek()).toBe(7000);
    expect(await index.popDue(7000)).toEqual(['a']);
  });

  it('a popped key the tick never rescheduled (the leader died) comes back after the bump, to any instance', async () => {
    const root = `t-${randomUUID()}`;
    const dying = new RedisTimeIndex(connection(), { root, bumpMs: 60_000 });
    const next = new RedisTimeIndex(connection(), { root, bumpMs: 60_000 });
    dying.set('VE-1', 1000);
    expect(await dying.popDue(1000)).toEqual(['VE-1']);
    expect(await next.popDue(60_999)).toEqual([]);
    expect(await next.popDue(61_000)).toEqual(['VE-1']);
  });

  it('a change applied on another instance during the tick wins over the tick’s later next time', async () => {
    const root = `t-${randomUUID()}`;
    const leader = new RedisTimeIndex(connection(), { root });
    const other = new RedisTimeIndex(connection(), { root });
    leader.set('VE-1', 1000);
    expect(await leader.popDue(1000)).toEqual(['VE-1']);
    other.set('VE-1', 1500);
    await other.flush();
    leader.reschedule('VE-1', 4 * HOUR);
    expect(await leader.popDue(1500)).toEqual(['VE-1']);
  });
});

describe('One reminder dispatcher across instances (issue 10 item 3)', () => {
  /** An instance: its own store connection on the shared prefix, the shared index, a lease on its own connection (so a test can cut it). */
  async function instance(keyPrefix: string, leaseMs: number): Promise<{ w: ReminderWorld; lease: RedisLease; leaseConnection: RedisConnection; store: RedisStateStore }> {
    const backend = openRedisBackend(redis.url, { keyPrefix });
    const store = backend.state as RedisStateStore;
    const leaseConnection = connection();
    const lease = new RedisLease(leaseConnection, `${keyPrefix}.leader:reminders`, leaseMs);
    const w = await reminderWorld({
      now: REPORTED,
      filings: [makeFiling()],
      backend,
      reminders: { lease, index: backend.dueIndex() },
    });
    closers.push(() => w.close());
    return { w, lease, leaseConnection, store };
  }

  it('two instances: one dispatches, each person gets each stage once; the leader dies and the other takes over within the lease, with nothing repeated or lost', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = await instance(keyPrefix, 600);
    const b = await instance(keyPrefix, 600);
    await a.w.link('alice', ALICE_PHONE);
    await a.w.link('bob', BOB_PHONE);
    const both = async (t: number) => {
      for (const x of [a, b]) x.w.clock.set(at(t));
      const reports = [await a.w.reminders.tick(), await b.w.reminders.tick()];
      return reports.filter((r) => r.due > 0).length;
    };
    for (let t = 0; t <= 12 * HOUR; t += 30 * MIN) expect(await both(t)).toBeLessThanOrEqual(1);
    expect(a.lease.held).toBe(true);
    expect(b.lease.held).toBe(false);
    // The leader dies: it can no longer renew its lease (its connection is gone) and no longer ticks.
    a.leaseConnection.client.disconnect();
    b.w.clock.set(at(13 * HOUR));
    // Within the lease (600 ms here, 20 s by default) plus one try; bounded generously, never asserted on time.
    for (const until = Date.now() + 10_000; !b.lease.held && Date.now() < until; await sleep(20)) await b.w.reminders.tick();
    expect(b.lease.held).toBe(true);
    for (let t = 13 * HOUR; t <= 24 * HOUR; t += 30 * MIN) {
      b.w.clock.set(at(t));
      await b.w.reminders.tick();
    }
    const got = (userId: string) => [...a.w.channel.to(userId), ...b.w.channel.to(userId)].map((m) => label(m.text));
    expect(got('alice')).toEqual(['notice 24h0m', 'stage 12h0m', 'stage 4h0m', 'stage 1h0m']);
    expect(got('bob')).toEqual(['notice 24h0m', 'stage 12h0m', 'stage 4h0m', 'stage 1h0m']);
    expect([a.w.channel.sent.length, b.w.channel.sent.length]).toEqual([4, 4]);
    expect(await b.w.reminders.health()).toMatchObject({ ok: true });
    expect(await a.w.reminders.health()).toEqual({ ok: true, detail: 'standing by: another instance dispatches reminders' });
  });

  it('the leader dies after claiming a notice but before storing it: the next leader finds the filing after the bump and sends it, once', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = await instance(keyPrefix, 600);
    const b = await instance(keyPrefix, 600);
    // A's send does not complete before it dies: the notice is claimed and stored nowhere.
    const hung: Array<() => void> = [];
    a.w.channel.send = () =>
      new Promise<void>((resolve) => {
        hung.push(resolve);
      });
    closers.push(async () => {
      for (const resolve of hung) resolve();
    });
    await a.w.link('alice', ALICE_PHONE);
    for (const x of [a, b]) x.w.clock.set(at(MIN));
    expect((await a.w.reminders.scheduler.dispatch()).dispatched).toBe(1);
    await sleep(50);
    a.leaseConnection.client.disconnect();
    a.store.connection.client.disconnect();
    // Past the popped filing's bump (60 s): had the tick moved it on to its 12 h stage before the send was stored, nobody would look before then.
    for (let t = 3 * MIN; b.w.channel.sent.length === 0 && t < 60 * MIN; t += MIN) {
      b.w.clock.set(at(t));
      await b.w.reminders.tick();
      await sleep(100);
    }
    expect(b.w.channel.to('alice').map((m) => label(m.text).split(' ')[0])).toEqual(['notice']);
    await b.w.reminders.tick();
    expect(b.w.channel.sent).toHaveLength(1);
  });

  it('a notice the old leader stored but never recorded (it died in between) is planned again by the next one: the shared outbox keeps it once', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = await instance(keyPrefix, 600);
    const b = await instance(keyPrefix, 600);
    await a.w.link('alice', ALICE_PHONE);
    for (const x of [a, b]) x.w.clock.set(at(MIN));
    // The old leader stores the notice in the outbox, then dies before it records it or moves the filing on.
    const stored = a.w.channel.send.bind(a.w.channel);
    let died!: () => void;
    const dead = new Promise<void>((resolve) => (died = resolve));
    closers.push(async () => died());
    a.w.channel.send = async (...args) => {
      await stored(...args);
      await dead;
    };
    expect((await a.w.reminders.scheduler.dispatch()).dispatched).toBe(1);
    await waitFor('the notice to be stored', () => a.w.channel.sent.length === 1);
    a.leaseConnection.client.disconnect();
    a.store.connection.client.disconnect();
    expect(await b.w.core.store.namespace('reminders').get(personMarker('VE-TEST-0001', 1, 'notice', b.w.core.people.keyOf(ALICE_PHONE)))).toBeUndefined();
    // Past the popped filing's bump (60 s), the next leader finds it and plans the notice again.
    b.w.clock.set(at(3 * MIN));
    expect((await b.w.reminders.scheduler.tick()).dispatched).toBe(1);
    expect(b.w.channel.sent).toEqual([]);
    expect((await b.w.core.backend.outbox.stats(Date.now())).pending).toBe(1);
  });

  it('a new cycle reported through the standby instance is announced by the leader: the filing and the time index are shared', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = await instance(keyPrefix, 20_000);
    const b = await instance(keyPrefix, 20_000);
    await a.w.link('alice', ALICE_PHONE);
    for (const x of [a, b]) x.w.clock.set(at(25 * HOUR));
    await a.w.reminders.tick();
    a.w.channel.clear();
    const next = at(26 * HOUR);
    const event = FilingEventSchema.parse({ eventId: 'r-2', type: 'filing.reported', at: next, filingId: 'VE-TEST-0001' });
    expect((await b.w.core.filings.apply(event)).ok).toBe(true);
    for (const x of [a, b]) x.w.clock.set(next);
    expect((await b.w.reminders.tick()).due).toBe(0);
    expect((await a.w.reminders.tick()).dispatched).toBeGreaterThan(0);
    expect(a.w.channel.to('alice').map((m) => label(m.text))).toEqual(['notice 24h0m']);
    expect(b.w.channel.sent).toEqual([]);
  });

  it('a clean stop hands the lease over at once', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = await instance(keyPrefix, 20_000);
    const b = await instance(keyPrefix, 20_000);
    await a.w.reminders.tick();
    expect(a.lease.held).toBe(true);
    await b.w.reminders.tick();
    expect(b.lease.held).toBe(false);
    await a.w.reminders.stop();
    await sleep(1);
    await b.w.reminders.tick();
    expect(b.lease.held).toBe(true);
  });
});

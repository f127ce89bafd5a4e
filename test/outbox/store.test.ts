import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxStore } from '../../src/outbox/outbox.store.js';
import { OutboxInputError, OutboxPrivacyError, type NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { RedisOutboxStore } from '../../src/backends/redis/redis.outbox.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { RedisConnection } from '../../src/backends/redis/redis.connection.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { T0 } from './support.js';

// A real redis-server for the Redis backend; each store gets its own key root.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const dirs: string[] = [];
const connections: RedisConnection[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const c of connections.splice(0)) await c.close();
});

function redisOutbox(opts: { keepDoneMs?: number } = {}): RedisOutboxStore {
  const connection = RedisConnection.open(redis.url);
  connections.push(connection);
  return new RedisOutboxStore(connection, { root: `t-${randomUUID()}`, ...opts });
}

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-store-'));
  dirs.push(dir);
  return join(dir, 'outbox.sqlite');
}

function msg(id: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return { id, channel: 'telegram', chatId: `chat-${id}`, payload: { text: `hello ${id}` }, priority: 'proactive', deadline: T0 + 3_600_000, ...over };
}

const claimAt = (store: OutboxStore, now: number, limit = 100, leaseMs = 30_000) => store.claim({ now, limit, leaseMs, owner: 'test' });

const backends: Array<[string, (opts?: { keepDoneMs?: number }) => OutboxStore]> = [
  ['sqlite in memory', (opts) => new SqliteOutboxStore(':memory:', opts)],
  ['sqlite', (opts) => new SqliteOutboxStore(tempFile(), opts)],
  ['redis', (opts) => redisOutbox(opts)],
];

describe.each(backends)('OutboxStore contract (%s)', (_name, open) => {
  it('claims interactive first, then earliest deadline, then enqueue order', async () => {
    const store = open();
    await store.enqueue([msg('late', { deadline: T0 + 9000 }), msg('soon', { deadline: T0 + 1000 }), msg('reply-1', { priority: 'interactive', deadline: T0 + 50_000 })], T0);
    await store.enqueue([msg('reply-2', { priority: 'interactive', deadline: T0 + 50_000 }), msg('soon-2', { deadline: T0 + 1000 })], T0);
    const ids = (await claimAt(store, T0)).map((m) => m.id);
    expect(ids).toEqual(['reply-1', 'reply-2', 'soon', 'soon-2', 'late']);
    await store.close();
  });

  it('respects notBefore and the limit, and reports when the next one falls due', async () => {
    const store = open();
    await store.enqueue([msg('now'), msg('later', { notBefore: T0 + 5000, deadline: T0 })], T0);
    expect((await claimAt(store, T0)).map((m) => m.id)).toEqual(['now']);
    expect(await store.nextDueAt(T0)).toBe(T0 + 5000);
    expect((await claimAt(store, T0 + 5000, 1)).map((m) => m.id)).toEqual(['later']);
    await store.close();
  });

  it('a claim is a lease: hidden while it holds, claimable again after it (a crashed sender)', async () => {
    const store = open();
    await store.enqueue([msg('a')], T0);
    expect(await claimAt(store, T0, 10, 30_000)).toHaveLength(1);
    expect(await claimAt(store, T0 + 29_999)).toHaveLength(0);
    expect(await store.nextDueAt(T0 + 1)).toBe(T0 + 30_000);
    const again = await claimAt(store, T0 + 30_000);
    expect(again.map((m) => m.id)).toEqual(['a']);
    expect((await store.stats(T0 + 30_000)).leased).toBe(1);
    await store.close();
  });

  it('enqueuing a known id is a no-op, while pending and after it was sent', async () => {
    const store = open();
    expect(await store.enqueue([msg('u1:0'), msg('u1:1')], T0)).toBe(2);
    expect(await store.enqueue([msg('u1:0', { payload: { text: 'changed' } })], T0)).toBe(0);
    const [first] = await claimAt(store, T0, 1);
    expect(first!.payload).toEqual({ text: 'hello u1:0' });
    await store.ack('u1:0', T0 + 10);
    expect(await store.enqueue([msg('u1:0')], T0 + 20)).toBe(0);
    expect((await store.stats(T0 + 20)).pending).toBe(1);
    await store.close();
  });

  it('a finished id is forgotten after the retention', async () => {
    const store = open({ keepDoneMs: 1000 });
    await store.enqueue([msg('x')], T0);
    await claimAt(store, T0);
    await store.drop('x', 'expired', T0);
    expect(await store.enqueue([msg('x')], T0 + 500)).toBe(0);
    expect(await store.enqueue([msg('x')], T0 + 120_000)).toBe(1);
    await store.close();
  });

  it('a batch is all or none: one bad message stores nothing, with a clear error', async () => {
    const store = open();
    await expect(store.enqueue([msg('ok'), msg('bad', { deadline: Number.NaN })], T0)).rejects.toThrow(OutboxInputError);
    await expect(store.enqueue([msg('ok'), msg('', {})], T0)).rejects.toThrow(/id must be/);
    expect((await store.stats(T0)).pending).toBe(0);
    await store.close();
  });

  it('R8: refuses a full phone number or an ID number in the payload or meta', async () => {
    const store = open();
    await expect(store.enqueue([msg('p', { payload: { text: '请联系 13800138000' } })], T0)).rejects.toThrow(OutboxPrivacyError);
    await expect(store.enqueue([msg('i', { meta: { person: '11010519491231002X' } })], T0)).rejects.toThrow(/ID number/);
    expect(await store.enqueue([msg('m', { payload: { text: '138****8000' }, meta: { person: '张**', filingId: 'VE-2026-000101' } })], T0)).toBe(1);
    await store.close();
  });

  it('reschedule keeps the record, releases the lease and stores the failure', async () => {
    const store = open();
    await store.enqueue([msg('r', { expiresAt: T0 + 99_000, meta: { filingId: 'VE-1', person: '张**' } })], T0);
    await claimAt(store, T0);
    await store.reschedule('r', { notBefore: T0 + 2000, reason: '429 retry_after 2s', failed: true, attempts: 1, failingSince: T0, alerted: true });
    expect(await claimAt(store, T0 + 1999)).toHaveLength(0);
    const [m] = await claimAt(store, T0 + 2000);
    expect(m).toMatchObject({ id: 'r', attempts: 1, lastError: '429 retry_after 2s', failingSince: T0, alerted: true, expiresAt: T0 + 99_000, meta: { filingId: 'VE-1', person: '张**' } });
    await store.reschedule('r', { notBefore: T0 + 3000, reason: 'paced' });
    expect(await store.get('r')).toMatchObject({ lastError: '429 retry_after 2s', notBefore: T0 + 3000 });
    await store.close();
  });

  it('release hands claims back at once; stats count by class and age', async () => {
    const store = open();
    await store.enqueue([msg('a', { priority: 'interactive' }), msg('b')], T0);
    await store.enqueue([msg('c')], T0 + 5000);
    const claimed = await claimAt(store, T0 + 5000);
    await store.release(claimed.map((m) => m.id));
    expect((await claimAt(store, T0 + 5000)).map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(await store.stats(T0 + 6000)).toEqual({ pending: 3, byClass: { interactive: 1, proactive: 2 }, leased: 3, oldestAgeMs: 6000 });
    await store.close();
  });
});

describe('SqliteOutboxStore', () => {
  it('creates its file with mode 0600 and claims through the urgency index', async () => {
    const file = tempFile();
    const store = new SqliteOutboxStore(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.explainClaim()).toMatch(/USING (COVERING )?INDEX outbox_urgency/);
    expect(store.explainClaim()).not.toMatch(/TEMP B-TREE/);
    await store.close();
  });

  it('a write while another connection holds an exclusive lock fails loudly after busy_timeout, and nothing is half-stored', async () => {
    const file = tempFile();
    const store = new SqliteOutboxStore(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    await expect(store.enqueue([msg('blocked')], T0)).rejects.toThrow(/locked|busy/i);
    other.exec('ROLLBACK');
    other.close();
    expect(await store.get('blocked')).toBeUndefined();
    expect(await store.enqueue([msg('blocked')], T0)).toBe(1);
    await store.close();
  });

  it('ping writes: it rejects while another connection holds the write lock (a read would pass in WAL mode), and passes once released', async () => {
    const file = tempFile();
    const store = new SqliteOutboxStore(file, { busyTimeoutMs: 50 });
    await expect(store.ping()).resolves.toBeUndefined();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.stats(T0)).resolves.toMatchObject({ pending: 0 });
      await expect(store.ping()).rejects.toThrow(/locked|busy/i);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it('what was enqueued survives closing and reopening the file', async () => {
    const file = tempFile();
    const first = new SqliteOutboxStore(file);
    await first.enqueue([msg('a', { meta: { kind: 'reminder:4h' } }), msg('b', { priority: 'interactive' })], T0);
    await first.close();
    const second = new SqliteOutboxStore(file);
    expect((await claimAt(second, T0)).map((m) => [m.id, m.meta?.kind])).toEqual([
      ['b', undefined],
      ['a', 'reminder:4h'],
    ]);
    await second.close();
  });
});

describe('RedisOutboxStore (issue 10 item 4: one outbox for every instance)', () => {
  /** Two instances: two connections on one key root. */
  function pair(): [RedisOutboxStore, RedisOutboxStore] {
    const root = `t-${randomUUID()}`;
    const [a, b] = [RedisConnection.open(redis.url), RedisConnection.open(redis.url)];
    connections.push(a, b);
    return [new RedisOutboxStore(a, { root }), new RedisOutboxStore(b, { root })];
  }

  it('claims from two connections at once never hand out the same message, and together take all of them', async () => {
    const [a, b] = pair();
    await a.enqueue(
      Array.from({ length: 200 }, (_, i) => msg(`m${i}`, { deadline: T0 + i })),
      T0,
    );
    const rounds = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim({ now: T0, limit: 15, leaseMs: 30_000, owner: `i${i % 2}` })));
    const ids = rounds.flat().map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(200);
  });

  it('what a crashed instance claimed comes back to another after the lease, and an id enqueued on one is a no-op on the other', async () => {
    const [a, b] = pair();
    expect(await a.enqueue([msg('u7:0'), msg('u7:1')], T0)).toBe(2);
    expect(await b.enqueue([msg('u7:0')], T0)).toBe(0);
    expect(await a.claim({ now: T0, limit: 10, leaseMs: 60_000, owner: 'dead' })).toHaveLength(2);
    expect(await b.claim({ now: T0 + 59_999, limit: 10, leaseMs: 60_000, owner: 'alive' })).toHaveLength(0);
    expect((await b.claim({ now: T0 + 60_000, limit: 10, leaseMs: 60_000, owner: 'alive' })).map((m) => m.id)).toEqual(['u7:0', 'u7:1']);
    await b.ack('u7:0', T0 + 60_001);
    expect(await a.enqueue([msg('u7:0')], T0 + 60_002)).toBe(0);
  });

  it('a payload round-trips exactly: a 16-digit chat id and nested values are never rounded', async () => {
    const store = redisOutbox();
    const payload = { chat_id: -1001234567890123, text: '提醒 <b>4 小时</b>', reply_markup: { inline_keyboard: [[{ text: '好', callback_data: 'f:v;a:1' }]] }, n: 0.1 };
    await store.enqueue([msg('exact', { chatId: '-1001234567890123', payload })], T0);
    const [m] = await store.claim({ now: T0, limit: 1, leaseMs: 1000, owner: 't' });
    expect(m!.payload).toEqual(payload);
    expect(JSON.stringify(m!.payload)).toContain('-1001234567890123');
  });

  it('ping writes: it rejects while Redis refuses writes (out of memory) though reads still answer, passes again after, and leaves no key', async () => {
    const store = redisOutbox();
    const admin = RedisConnection.open(redis.url);
    connections.push(admin);
    await expect(store.ping()).resolves.toBeUndefined();
    await admin.client.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.client.config('SET', 'maxmemory', '1');
    try {
      await expect(store.stats(T0)).resolves.toMatchObject({ pending: 0 });
      await expect(store.ping()).rejects.toThrow(/OOM/);
    } finally {
      await admin.client.config('SET', 'maxmemory', '0');
    }
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await admin.client.keys('*probe*')).toEqual([]);
  });

  it('a lost connection is a StoreError the dispatcher sees, never an empty claim', async () => {
    const connection = RedisConnection.open('redis://127.0.0.1:1', { connectWaitMs: 50 });
    connections.push(connection);
    const store = new RedisOutboxStore(connection, { root: 'nowhere' });
    await expect(store.claim({ now: T0, limit: 1, leaseMs: 1000, owner: 't' })).rejects.toThrow(/store outbox failed/);
  });
});

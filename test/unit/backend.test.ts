import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/backends/backend.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { openRedisBackend } from '../../src/backends/redis/redis.backend.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { describeBackendContract } from './backend.contract.js';

const T0 = Date.parse('2026-11-29T10:00:00+08:00');
const dir = mkdtempSync(join(tmpdir(), 'beian-backend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describeBackendContract({ name: 'memory://', open: () => openBackend('memory://') });
describeBackendContract({ name: 'file: (one SQLite file)', open: () => openBackend(`file:${join(dir, `state-${++files}.sqlite`)}`) });
describeBackendContract({
  name: 'redis://',
  // Every backend gets its own key root, so tests never see each other's keys.
  open: () => openRedisBackend(redis.url, { keyPrefix: `t-${randomUUID()}` }),
  openPair: () => {
    const keyPrefix = `t-${randomUUID()}`;
    return [openRedisBackend(redis.url, { keyPrefix }), openRedisBackend(redis.url, { keyPrefix })];
  },
});

describe('issue 20 the backend says whether several instances share it', () => {
  it('a local backend serves one process; Redis may serve several', async () => {
    const local = [openBackend('memory://'), openBackend(`file:${join(dir, `state-${++files}.sqlite`)}`)];
    const shared = openRedisBackend(redis.url, { keyPrefix: `t-${randomUUID()}` });
    try {
      expect(local.map((b) => b.severalInstances)).toEqual([false, false]);
      expect(shared.severalInstances).toBe(true);
    } finally {
      for (const backend of [...local, shared]) await backend.close();
    }
  });
});

describe('issue 20 §7 the local backend keeps state and outbox in one SQLite file', () => {
  const message = (id: string): NewOutboxMessage => ({ id, channel: 'telegram', chatId: 'chat-1', payload: { text: id }, priority: 'proactive', deadline: T0 + 3_600_000 });

  it('writes both, and the filings, into the one file, and nothing beside it but its WAL', async () => {
    const own = mkdtempSync(join(dir, 'one-'));
    const backend = openBackend(`file:${join(own, 'state.sqlite')}`);
    await backend.state.set('k', 'v');
    await backend.outbox.enqueue([message('m1')], T0);
    const filings = await backend.openFilings({ state: backend.state, source: { hash: 'one', records: () => [makeFiling()] }, keyOf: (phone) => phone });
    await filings.settle();
    await backend.close();
    expect(readdirSync(own).filter((f) => !/-(wal|shm)$/.test(f))).toEqual(['state.sqlite']);
    const db = new Database(join(own, 'state.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM kv').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT id FROM outbox').all()).toEqual([{ id: 'm1' }]);
      expect(db.prepare('SELECT id FROM filings').all()).toEqual([{ id: 'VE-TEST-0001' }]);
    } finally {
      db.close();
    }
  });

  it('issue 22 deleted rows leave no copy in the file or its WAL once the backend is scrubbed, while it runs', async () => {
    const own = mkdtempSync(join(dir, 'scrub-'));
    const backend = openBackend(`file:${join(own, 'state.sqlite')}`);
    const bytes = () =>
      readdirSync(own)
        .map((f) => readFileSync(join(own, f)).toString('latin1'))
        .join('\n');
    try {
      await backend.state.set('people:user:telegram:2001', { phoneMasked: '138****8000' });
      await backend.outbox.enqueue([{ ...message('tg:7:u1:0'), chatId: 'chat-2001', payload: { text: 'for 138****8000' } }], T0);
      await backend.state.set('kept', 'still here');
      await backend.state.delete('people:user:telegram:2001');
      await backend.outbox.ack('tg:7:u1:0', T0 + 1);
      expect(bytes()).toContain('138****8000');
      await backend.scrub();
      expect(bytes()).not.toContain('138****8000');
      expect(bytes()).not.toContain('chat-2001');
      expect(await backend.state.get('kept')).toBe('still here');
    } finally {
      await backend.close();
    }
  });

  it('moves what waits in a former outbox file (data/state.outbox.sqlite) into the one file at open, keeps its sent ids, and removes it', async () => {
    const own = mkdtempSync(join(dir, 'former-'));
    const former = new SqliteOutboxStore(join(own, 'state.outbox.sqlite'));
    await former.enqueue([message('waiting'), message('sent')], T0);
    const [first] = await former.claim({ now: T0, limit: 1, leaseMs: 30_000, owner: 'old' });
    await former.ack(first!.id, T0 + 1);
    await former.close();

    const backend = openBackend(`file:${join(own, 'state.sqlite')}`);
    try {
      expect(existsSync(join(own, 'state.outbox.sqlite'))).toBe(false);
      const left = first!.id === 'sent' ? 'waiting' : 'sent';
      expect((await backend.outbox.claim({ now: T0 + 2, limit: 10, leaseMs: 30_000, owner: 'new' })).map((m) => m.id)).toEqual([left]);
      expect(await backend.outbox.enqueue([message(first!.id)], T0 + 3)).toBe(0);
    } finally {
      await backend.close();
    }
  });
});

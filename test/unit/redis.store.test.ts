import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore, type RedisStoreOptions } from '../../src/backends/redis/redis.state.js';
import { openBackend } from '../../src/backends/backend.js';
import type { StateStore } from '../../src/store/state-store.js';
import { StoreLockTimeoutError, StoreUnavailableError } from '../../src/store/store.errors.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { listKeys } from './store.contract.js';

// One real redis-server for this file; every store gets its own key prefix, so tests never see each other's keys.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const opened: StateStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

/** A store on the test server under a fresh key prefix (or the given one, for a second connection). */
function redisStore(options: RedisStoreOptions = {}): RedisStateStore {
  const store = RedisStateStore.open(server.url, { keyPrefix: `t-${randomUUID()}`, ...options });
  opened.push(store);
  return store;
}

describe('the Redis store on a real redis-server', () => {
  it('§3 openBackend(redis://…) opens a Redis store that works', async () => {
    const backend = openBackend(`${server.url}/3`);
    const store = backend.state;
    opened.push(store);
    expect(store).toBeInstanceOf(RedisStateStore);
    await store.set('openStore:k', { a: 1 });
    expect(await store.get('openStore:k')).toEqual({ a: 1 });
    await store.delete('openStore:k');
  });

  it('issue 10 values are plain JSON under the beian: prefix with Redis’s own TTL', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const store = redisStore({ keyPrefix });
    await store.namespace('filings').set('filing:VE-1', { status: 'verifying' }, 60_000);
    await store.namespace('filings').setIfAbsent('sent:VE-1', true, 30_000);
    const raw = new Redis(server.url);
    try {
      expect(await raw.get(`${keyPrefix}:filings:filing:VE-1`)).toBe('{"status":"verifying"}');
      const ttl = await raw.pttl(`${keyPrefix}:filings:filing:VE-1`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await raw.pttl(`${keyPrefix}:filings:sent:VE-1`)).toBeLessThanOrEqual(30_000);
    } finally {
      raw.disconnect();
    }
  });

  it('STYLE §6 a lease holder that holds longer than the lease keeps it (renewed), and the other connection waits', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const options = { keyPrefix, leaseMs: 1_000 };
    const a = redisStore(options);
    const b = redisStore(options);
    const events: string[] = [];
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const first = a.withLock('turn:chat-1', async () => {
      events.push('a in');
      holding();
      await sleep(3_000); // three leases long: only renewal keeps b out
      events.push('a out');
    });
    await held;
    const second = b.withLock('turn:chat-1', async () => {
      events.push('b in');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['a in', 'a out', 'b in']);
  });

  it('STYLE §6 a waiter gives up with StoreLockTimeoutError after its bound, and the holder is unaffected', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = redisStore({ keyPrefix });
    const b = redisStore({ keyPrefix, lockWaitMs: 200 });
    let release!: () => void;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const first = a.withLock('k', () => {
      holding();
      return new Promise<string>((resolve) => (release = () => resolve('a done')));
    });
    await held;
    await expect(b.withLock('k', async () => 'b ran')).rejects.toBeInstanceOf(StoreLockTimeoutError);
    release();
    expect(await first).toBe('a done');
    expect(await b.withLock('k', async () => 'b ran')).toBe('b ran');
  });

  it('issue 10 a redis-server that is down at start: the first call rejects with StoreUnavailableError after the connect wait', async () => {
    const down = await startRedisServer();
    await down.kill();
    const store = RedisStateStore.open(`redis://127.0.0.1:${down.port}`, { connectWaitMs: 200 });
    opened.push(store);
    try {
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await down.stop();
    }
  });
});

describe('issue 10 a lost Redis connection', () => {
  it('makes every call reject with StoreUnavailableError (never undefined) and ping fail; after a restart the client reconnects and works', async () => {
    const own = await startRedisServer();
    const store = RedisStateStore.open(own.url);
    opened.push(store);
    try {
      await store.set('k', 'v');
      await store.ping();
      await own.kill();
      await waitFor('the client to notice the lost connection', () => store.status !== 'ready');
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['get', () => store.get('k')],
        ['set', () => store.set('k', 'w')],
        ['delete', () => store.delete('k')],
        ['setIfAbsent', () => store.setIfAbsent('n', 1)],
        ['keys', () => listKeys(store, '')],
        ['withLock', () => store.withLock('k', async () => 'ran')],
        ['ping', () => store.ping()],
      ];
      for (const [name, call] of calls) {
        const error = await call().then(
          (value) => new Error(`${name} resolved with ${JSON.stringify(value)}`),
          (e: unknown) => e,
        );
        expect(error, name).toBeInstanceOf(StoreUnavailableError);
      }

      await own.restart();
      // The restarted server is empty (no persistence): what matters is that the same client works again.
      await waitFor('the client to reconnect', () => store.status === 'ready', 15_000);
      await expect(store.ping()).resolves.toBeUndefined();
      await store.set('k', 'after');
      expect(await store.get('k')).toBe('after');
      expect(await store.withLock('k', async () => 'ran')).toBe('ran');
    } finally {
      await own.stop();
    }
  });

  it('rejects a call that was in flight when the server died, instead of hanging or resending it', async () => {
    const own = await startRedisServer();
    const store = RedisStateStore.open(own.url);
    opened.push(store);
    try {
      await store.ping();
      const raw = new Redis(own.url);
      // CLIENT PAUSE holds every write, so the next SET is sent and still unanswered when the server is killed.
      await raw.call('CLIENT', 'PAUSE', '10000', 'WRITE');
      raw.disconnect();
      // The outcome is taken at once: the rejection may come while the kill is still awaited.
      const inFlight = store.set('k', 'v').then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await sleep(50);
      await own.kill();
      expect(await inFlight).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await own.stop();
    }
  });
});

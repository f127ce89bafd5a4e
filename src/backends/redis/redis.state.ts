/**
 * StateStore on Redis, for several instances sharing one state (`STORE_URL=redis://…`/`rediss://…`).
 *
 * Built on ioredis 5 directly rather than keyv + @keyv/redis, because:
 * - the port's guarantees are Redis primitives keyv does not expose: `SET NX PX` for setIfAbsent,
 *   Lua compare-and-pexpire / compare-and-delete for lock leases, `SCAN MATCH` for keys(). Through
 *   keyv we would still need the raw client for all of them, so keyv would only add a layer;
 * - BullMQ (the shared outbox of the multi-instance work) runs on ioredis, and @keyv/redis 5 is
 *   built on node-redis: one client library means one set of connection semantics to reason about
 *   (no offline queue, bounded retries, reconnect with backoff) instead of two;
 * - keyv reports backend failures as events and `undefined` unless told otherwise, which is how a
 *   locked store once answered a filing event with 200; here every failure is a StoreError;
 * - values stay plain JSON under Redis's own TTLs (no keyv `{value, expires}` envelope), so
 *   `redis-cli GET` shows them as they are, and no new dependency is needed.
 *
 * Key layout: data under `beian:<namespace…>:<key>`; lock leases under `beian.lock:…` and the health
 * probe under `beian.probe:…`, outside the `beian:*` pattern so keys() never lists them.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisLease } from './redis.lease.js';
import { RedisConnection } from './redis.connection.js';
import { KeyedMutex, type StateStore } from '../../store/state-store.js';
import { StoreLockLostError, StoreLockTimeoutError, StoreUnavailableError, type StoreOperation } from '../../store/store.errors.js';

/** Tuning for the Redis store; the defaults suit production, tests shorten them. */
export interface RedisStoreOptions {
  /** Root of every key, so several deployments can share one database. Default `beian`. */
  keyPrefix?: string;
  /** How long a lock lease lasts without renewal: the longest a crashed holder blocks a key. Default 15 s. */
  leaseMs?: number;
  /** How long withLock waits for another holder before StoreLockTimeoutError. Default 30 s. */
  lockWaitMs?: number;
  /** How long the first commands wait for the first connection (start-up) before they fail. Default 5 s. */
  connectWaitMs?: number;
  /** A command with no answer in this time fails (a half-open connection). Default 5 s. */
  commandTimeoutMs?: number;
}

/** Escapes Redis glob characters so a prefix is matched literally by SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** What every namespace view of one connection shares. */
interface Shared {
  connection: RedisConnection;
  root: string;
  opts: { leaseMs: number; lockWaitMs: number };
  mutex: KeyedMutex;
  probeKey: string;
}

/** A StateStore over one ioredis connection; `namespace()` views share it. */
export class RedisStateStore implements StateStore {
  private constructor(
    private readonly shared: Shared,
    private readonly prefix: string,
  ) {}

  /** Connects to the Redis a `redis://` or `rediss://` URL names; commands fail fast while it is unreachable. */
  static open(url: string, options: RedisStoreOptions = {}): RedisStateStore {
    const connection = RedisConnection.open(url, options);
    const root = options.keyPrefix ?? 'beian';
    return new RedisStateStore(
      {
        connection,
        root,
        opts: { leaseMs: options.leaseMs ?? 15_000, lockWaitMs: options.lockWaitMs ?? 30_000 },
        mutex: new KeyedMutex(),
        probeKey: `${root}.probe:${randomUUID()}`,
      },
      '',
    );
  }

  /** The connection's state for health reports: `ready` when commands can be sent. */
  get status(): string {
    return this.shared.connection.status;
  }

  /** `redis redis://host:6379/0: ready`, or the state and last error while it is not. */
  describe(): string {
    const { connection } = this.shared;
    const problem = connection.problem;
    return `${connection.name}: ${connection.status}${problem ? ` (${problem})` : ''}`;
  }

  /** The shared connection, for the other Redis-backed parts of this instance (outbox, limiter, index). */
  get connection(): RedisConnection {
    return this.shared.connection;
  }

  /** The root of every key of this store (`beian`), so companions keep their keys beside it. */
  get root(): string {
    return this.shared.root;
  }

  private dataKey(key: string): string {
    return `${this.shared.root}:${this.prefix}${key}`;
  }

  /** Runs one command once connected, turning every failure into a StoreError. */
  private command<T>(operation: StoreOperation, call: (client: Redis) => Promise<T>): Promise<T> {
    return this.shared.connection.run(operation, call);
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.command('get', async (c) => {
      const raw = await c.get(this.dataKey(key));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    });
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    const json = toJson(value);
    const ttl = toPx(ttlMs);
    await this.command('set', (c) => (ttl ? c.set(this.dataKey(key), json, 'PX', ttl) : c.set(this.dataKey(key), json)));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.command('delete', (c) => c.del(this.dataKey(key)))) > 0;
  }

  async setIfAbsent<T>(key: string, value: T, ttlMs?: number): Promise<boolean> {
    const json = toJson(value);
    const ttl = toPx(ttlMs);
    const reply = await this.command('setIfAbsent', (c) => (ttl ? c.set(this.dataKey(key), json, 'PX', ttl, 'NX') : c.set(this.dataKey(key), json, 'NX')));
    return reply === 'OK';
  }

  /**
   * A lease (redis.lease.ts): taken when free, renewed while `fn` runs, released by compare-and-delete.
   * Callers in this process queue on a local mutex first, so only one of them polls Redis.
   */
  withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const lockKey = `${this.shared.root}.lock:${this.prefix}${key}`;
    const deadline = Date.now() + this.shared.opts.lockWaitMs;
    return this.shared.mutex.run(lockKey, async () => {
      const lease = await this.acquire(lockKey, deadline);
      let result: R;
      try {
        result = await fn();
      } catch (error) {
        await lease.release();
        throw error;
      }
      if (!(await lease.release())) throw new StoreLockLostError(this.shared.connection.name);
      return result;
    });
  }

  private async acquire(lockKey: string, deadline: number): Promise<RedisLease> {
    const { leaseMs, lockWaitMs } = this.shared.opts;
    const lease = new RedisLease(this.shared.connection, lockKey, leaseMs, 'withLock');
    let backoff = 5;
    for (;;) {
      if (await lease.hold()) {
        lease.keepRenewed();
        return lease;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new StoreLockTimeoutError(this.shared.connection.name, lockWaitMs);
      // Jitter, so waiters on several instances do not retry in lockstep.
      await sleep(Math.min(left, backoff * (0.5 + Math.random())));
      backoff = Math.min(backoff * 2, 250);
    }
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const base = this.dataKey('');
    const pattern = `${escapeGlob(base + prefix)}*`;
    // SCAN may return a key twice (when the table is resized mid-scan); the caller sees it once.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.command('keys', (c) => c.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
      cursor = next;
      for (const key of batch) {
        if (seen.has(key)) continue;
        seen.add(key);
        yield key.slice(base.length);
      }
    } while (cursor !== '0');
  }

  namespace(name: string): StateStore {
    return new RedisStateStore(this.shared, `${this.prefix}${name}:`);
  }

  /** Writes a fresh token under this instance's probe key and reads it back. */
  async ping(): Promise<void> {
    const token = randomUUID();
    const { probeKey } = this.shared;
    const read = await this.command('ping', async (c) => {
      await c.set(probeKey, token, 'PX', 60_000);
      return c.get(probeKey);
    });
    if (read !== token) throw new StoreUnavailableError('ping', this.shared.connection.name, new Error('the probe read back a different value than it wrote'));
  }

  async close(): Promise<void> {
    await this.shared.connection.close();
  }
}

/** Redis PX wants a positive whole number of milliseconds; no TTL (or 0) means no expiry, as in keyv. */
function toPx(ttlMs: number | undefined): number | undefined {
  return ttlMs !== undefined && ttlMs > 0 ? Math.ceil(ttlMs) : undefined;
}

function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('a StateStore value must be JSON (not undefined or a function)');
  return json;
}

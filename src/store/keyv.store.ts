/** StateStore over keyv: the embedded SQLite file store (default) and memory (tests). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { KeyedMutex, type StateStore } from './state-store.js';

/** A keyv backend that can also list its raw keys under a prefix. */
interface ScannableAdapter extends KeyvStoreAdapter {
  scan(prefix: string): Iterable<string>;
  ping(): void;
}

/**
 * A thin keyv store over better-sqlite3: one table, WAL journal, expiry kept in a column so
 * expired rows are swept. It builds from source, so it installs without downloading binaries.
 */
export class SqliteKeyvAdapter extends EventEmitter implements ScannableAdapter {
  opts = { dialect: 'sqlite', url: 'sqlite' };
  namespace?: string;
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    super();
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Deleted rows (a /forget, an expired record, a moved key) are overwritten, not left readable in free pages.
    this.db.pragma('secure_delete = ON');
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)');
    this.db.exec('CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL');
    this.stmts = {
      get: this.db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?'),
      set: this.db.prepare<[string, string, number | null]>('INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires'),
      del: this.db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      scan: this.db.prepare<[string, string, number], { key: string }>('SELECT key FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?)'),
      sweep: this.db.prepare<[number]>('DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?'),
      clear: this.db.prepare('DELETE FROM kv'),
    };
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return this.stmts.get.get(key)?.value as Value | undefined;
  }

  async set(key: string, value: string, ttl?: number): Promise<void> {
    this.stmts.set.run(key, value, ttl ? Date.now() + ttl : null);
  }

  async delete(key: string): Promise<boolean> {
    return this.stmts.del.run(key).changes > 0;
  }

  async clear(): Promise<void> {
    this.stmts.clear.run();
  }

  *scan(prefix: string): Iterable<string> {
    // The upper bound is the prefix with its last code unit bumped: a range scan on the primary key.
    const upper = prefix === '' ? '\uffff' : prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    // Read all rows first: a keyv read that drops an expired key writes, which sqlite refuses mid-iteration.
    for (const row of this.stmts.scan.all(prefix, upper, Date.now())) yield row.key;
  }

  /** Removes expired rows; keyv also ignores them on read. */
  sweep(now: number): number {
    return this.stmts.sweep.run(now).changes;
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  async disconnect(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Memory backend: a Map that can be scanned; state is lost at exit. */
class MemoryAdapter extends Map<string, unknown> {
  *scan(prefix: string): Iterable<string> {
    for (const key of this.keys()) if (key.startsWith(prefix)) yield key;
  }
}

/** A StateStore over a keyv instance, with namespacing done here so scans stay simple. */
export class KeyvStateStore implements StateStore {
  private constructor(
    private readonly keyv: Keyv,
    private readonly scanRaw: (prefix: string) => Iterable<string>,
    private readonly pingRaw: () => void,
    private readonly closeRaw: () => Promise<void>,
    private readonly mutex: KeyedMutex,
    private readonly prefix: string,
  ) {}

  /** The embedded persistent store in one SQLite file. */
  static sqlite(file: string): KeyvStateStore {
    const adapter = new SqliteKeyvAdapter(file);
    const keyv = new Keyv({ store: adapter, useKeyPrefix: false, namespace: '' });
    keyv.on('error', () => undefined);
    const sweep = setInterval(() => adapter.sweep(Date.now()), 10 * 60_000);
    sweep.unref();
    return new KeyvStateStore(keyv, (p) => adapter.scan(p), () => adapter.ping(), async () => {
      clearInterval(sweep);
      await adapter.disconnect();
    }, new KeyedMutex(), '');
  }

  /** A memory store, for tests and benchmarks. */
  static memory(): KeyvStateStore {
    const map = new MemoryAdapter();
    const keyv = new Keyv({ store: map, useKeyPrefix: false, namespace: '' });
    return new KeyvStateStore(keyv, (p) => {
      // Expired entries stay in the Map until read; a scan reads them so they are dropped.
      return [...map.scan(p)];
    }, () => undefined, async () => undefined, new KeyedMutex(), '');
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.keyv.get<T>(this.prefix + key)) ?? undefined;
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    await this.keyv.set(this.prefix + key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return this.keyv.delete(this.prefix + key);
  }

  async setIfAbsent<T>(key: string, value: T, ttlMs?: number): Promise<boolean> {
    // keyv has no atomic set-if-absent; the embedded store serves one process, so a lock here suffices.
    return this.mutex.run(`\u0000sia:${this.prefix}${key}`, async () => {
      if ((await this.keyv.get(this.prefix + key)) !== undefined) return false;
      await this.keyv.set(this.prefix + key, value, ttlMs);
      return true;
    });
  }

  withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    return this.mutex.run(this.prefix + key, fn);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for (const raw of this.scanRaw(this.prefix + prefix)) {
      // A scan may list a key that has just expired; keyv's get drops it.
      if ((await this.keyv.get(raw)) !== undefined) yield raw.slice(this.prefix.length);
    }
  }

  namespace(name: string): StateStore {
    return new KeyvStateStore(this.keyv, this.scanRaw, this.pingRaw, this.closeRaw, this.mutex, `${this.prefix}${name}:`);
  }

  async ping(): Promise<void> {
    this.pingRaw();
  }

  async close(): Promise<void> {
    await this.closeRaw();
  }
}

/** Opens the store `STORE_URL` names: `memory://`, or `file:<path>` / a path for the embedded store. */
export function openStore(url: string): StateStore {
  if (url === 'memory://') return KeyvStateStore.memory();
  if (url.startsWith('file:')) return KeyvStateStore.sqlite(url.slice('file:'.length).replace(/^\/\//, ''));
  if (url.startsWith('redis')) throw new Error('STORE_URL: the Redis store is not part of this version yet; use file:<path> (embedded) or memory://');
  throw new Error(`STORE_URL "${url}" is not supported; use memory:// or file:<path>`);
}

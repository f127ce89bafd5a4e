/** StateStore over keyv on the local backend's SQLite file (or the same in memory). */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { KeyedMutex, type StateStore } from '../../store/state-store.js';
import { guarded, type StoreOperation } from '../../store/store.errors.js';
import { openSqliteFile } from './sqlite.file.js';

/** A keyv backend that can also list its raw keys under a prefix, probe itself and set atomically. */
interface ScannableAdapter extends KeyvStoreAdapter {
  scan(prefix: string): Iterable<string>;
  probe(): void;
}

/**
 * A thin keyv store over better-sqlite3: one table, WAL journal, expiry kept in a column so
 * expired rows are swept. It builds from source, so it installs without downloading binaries.
 */
export class SqliteKeyvAdapter extends EventEmitter implements ScannableAdapter {
  opts = { dialect: 'sqlite', url: 'sqlite' };
  namespace?: string;
  private readonly stmts;

  /** `db`: the open file (sqlite.file.ts), which the outbox may share. */
  constructor(readonly db: Database.Database) {
    super();
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)');
    this.db.exec('CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL');
    // The health probe writes here, not in kv, so it never shows up in keys().
    this.db.exec('CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, token TEXT NOT NULL)');
    this.stmts = {
      get: this.db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?'),
      set: this.db.prepare<[string, string, number | null]>('INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires'),
      // One statement, so it is atomic across every connection to the file, not only this process.
      setIfAbsent: this.db.prepare<[string, string, number | null, number]>(
        'INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires WHERE kv.expires IS NOT NULL AND kv.expires <= ?',
      ),
      del: this.db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      scan: this.db.prepare<[string, string, number], { key: string }>('SELECT key FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?)'),
      sweep: this.db.prepare<[number]>('DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?'),
      clear: this.db.prepare('DELETE FROM kv'),
      probeSet: this.db.prepare<[string]>('INSERT INTO probe (id, token) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET token = excluded.token'),
      probeGet: this.db.prepare<[], { token: string }>('SELECT token FROM probe WHERE id = 1'),
    };
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return this.stmts.get.get(key)?.value as Value | undefined;
  }

  async set(key: string, value: string, ttl?: number): Promise<void> {
    this.stmts.set.run(key, value, ttl ? Date.now() + ttl : null);
  }

  /** Inserts a serialized value unless a live row holds the key; true when this call wrote it. */
  setIfAbsent(key: string, value: string, ttl?: number): boolean {
    const now = Date.now();
    return this.stmts.setIfAbsent.run(key, value, ttl ? now + ttl : null, now).changes > 0;
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

  /** Writes a fresh token and reads it back, so a file that can be read but not written fails. */
  probe(): void {
    const token = randomUUID();
    this.stmts.probeSet.run(token);
    if (this.stmts.probeGet.get()?.token !== token) throw new Error('the probe read back a different value than it wrote');
  }

  async disconnect(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** What every namespace view of one store shares. */
interface Shared {
  adapter: SqliteKeyvAdapter;
  keyv: Keyv;
  mutex: KeyedMutex;
  sweep: NodeJS.Timeout;
}

/** A StateStore over keyv on the SQLite adapter, with namespacing done here so scans stay simple. */
export class KeyvStateStore implements StateStore {
  private constructor(
    private readonly shared: Shared,
    private readonly prefix: string,
  ) {}

  /** The embedded persistent store in a SQLite file (created 0600), or in a file already open that it then shares. */
  static sqlite(file: string | Database.Database, opts: { busyTimeoutMs?: number } = {}): KeyvStateStore {
    const adapter = new SqliteKeyvAdapter(typeof file === 'string' ? openSqliteFile(file, opts.busyTimeoutMs) : file);
    const purge = () => {
      // Expired rows are already invisible to reads; a sweep that meets a lock simply runs next time.
      try {
        adapter.sweep(Date.now());
      } catch {}
    };
    // At open too: a record past its time must not stay in the file for the first ten minutes of every run.
    purge();
    const sweep = setInterval(purge, 10 * 60_000);
    sweep.unref();
    return new KeyvStateStore({ adapter, keyv: strictKeyv(adapter), mutex: new KeyedMutex(), sweep }, '');
  }

  /** The same store in memory (SQLite `:memory:`), for `memory://`, tests and benchmarks. */
  static memory(): KeyvStateStore {
    return KeyvStateStore.sqlite(':memory:');
  }

  /** The SQLite connection this store keeps its data on; the filings' tables live there too, closed with this store. */
  get database(): Database.Database {
    return this.shared.adapter.db;
  }

  /** The namespace this view is under (`''` at the root). */
  get space(): string {
    return this.prefix;
  }

  private run<T>(operation: StoreOperation, call: () => T | Promise<T>): Promise<T> {
    return guarded(operation, 'sqlite', call);
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.run('get', async () => (await this.shared.keyv.get<T>(this.prefix + key)) ?? undefined);
  }

  set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    return this.run('set', async () => {
      await this.shared.keyv.set(this.prefix + key, value, ttlMs);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.run('delete', () => this.shared.keyv.delete(this.prefix + key));
  }

  setIfAbsent<T>(key: string, value: T, ttlMs?: number): Promise<boolean> {
    return this.run('setIfAbsent', async () => {
      const ttl = ttlMs && ttlMs > 0 ? ttlMs : undefined;
      const serialized = await this.shared.keyv.serializeData({ value, expires: ttl ? Date.now() + ttl : undefined });
      return this.shared.adapter.setIfAbsent(this.prefix + key, serialized as string, ttl);
    });
  }

  /** Serializes calls within this process; the embedded store serves one process, so that suffices. */
  withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    return this.shared.mutex.run(this.prefix + key, fn);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const raws = await this.run('keys', () => [...this.shared.adapter.scan(this.prefix + prefix)]);
    for (const raw of raws) {
      // A scan may list a key that has just expired; keyv's get drops it.
      if ((await this.run('keys', () => this.shared.keyv.get(raw))) !== undefined) yield raw.slice(this.prefix.length);
    }
  }

  namespace(name: string): StateStore {
    return new KeyvStateStore(this.shared, `${this.prefix}${name}:`);
  }

  ping(): Promise<void> {
    return this.run('ping', () => this.shared.adapter.probe());
  }

  close(): Promise<void> {
    clearInterval(this.shared.sweep);
    return guarded('close', 'sqlite', () => this.shared.adapter.disconnect());
  }
}

/** A keyv that throws its backend's errors instead of emitting them and answering `undefined`/`false`. */
function strictKeyv(store: KeyvStoreAdapter): Keyv {
  return new Keyv({ store, useKeyPrefix: false, namespace: '', throwOnErrors: true });
}

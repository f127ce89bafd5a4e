/** StateStore over keyv: the embedded SQLite file store (default) and memory (tests). */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { KeyedMutex, type StateStore } from './state-store.js';
import { guarded, type StoreOperation } from './store.errors.js';

/**
 * How long a statement waits for another connection's lock before it fails with SQLITE_BUSY.
 * better-sqlite3 is synchronous, so SQLite's busy handler sleeps on the Node main thread: for the
 * whole wait nothing else runs (no webhook, no /healthz, no timer). Real lock holders (a WAL
 * checkpoint, another process's write transaction) hold for milliseconds, so 2 s rides them out
 * with a wide margin, while a lock held longer is a fault the caller should see now (a 503 and a
 * retry) rather than a process frozen for the library's default of 5 s per statement.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 2_000;

/** A keyv backend that can also list its raw keys under a prefix, probe itself and set atomically. */
interface ScannableAdapter extends KeyvStoreAdapter {
  scan(prefix: string): Iterable<string>;
  probe(): void;
}

/**
 * Creates the store file (and its folder) readable by the owner only, and tightens an older file
 * made 0644. SQLite gives the -wal and -shm files the database file's own mode, so they follow.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
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

  constructor(file: string, busyTimeoutMs = SQLITE_BUSY_TIMEOUT_MS) {
    super();
    if (file !== ':memory:') createPrivateFile(file);
    this.db = new Database(file, { timeout: busyTimeoutMs });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Deleted rows (a /forget, an expired record, a moved key) are overwritten, not left readable in free pages.
    this.db.pragma('secure_delete = ON');
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

/** Memory backend: a Map that can be scanned; state is lost at exit. */
class MemoryAdapter extends Map<string, unknown> {
  closed = false;

  *scan(prefix: string): Iterable<string> {
    for (const key of this.keys()) if (key.startsWith(prefix)) yield key;
  }
}

/** What a KeyvStateStore needs from its backend besides keyv itself. */
interface Backend {
  name: string;
  /** The SQLite file, for the embedded store. */
  file?: string;
  keyv: Keyv;
  scan(prefix: string): Iterable<string>;
  probe(): void;
  /** An atomic set-if-absent of a serialized value, when the backend has one. */
  setIfAbsent?(key: string, serialized: string, ttlMs?: number): boolean;
  /** Throws when the store was closed (memory has no connection to lose). */
  assertOpen(): void;
  close(): Promise<void>;
}

/** A StateStore over a keyv instance, with namespacing done here so scans stay simple. */
export class KeyvStateStore implements StateStore {
  private constructor(
    private readonly backend: Backend,
    private readonly mutex: KeyedMutex,
    private readonly prefix: string,
  ) {}

  /** The embedded persistent store in one SQLite file, created 0600. */
  static sqlite(file: string, opts: { busyTimeoutMs?: number } = {}): KeyvStateStore {
    const adapter = new SqliteKeyvAdapter(file, opts.busyTimeoutMs);
    const sweep = setInterval(() => {
      // Expired rows are already invisible to reads; a sweep that meets a lock simply runs next time.
      try {
        adapter.sweep(Date.now());
      } catch {}
    }, 10 * 60_000);
    sweep.unref();
    return new KeyvStateStore(
      {
        name: 'sqlite',
        file,
        keyv: strictKeyv(adapter),
        scan: (p) => adapter.scan(p),
        probe: () => adapter.probe(),
        setIfAbsent: (key, serialized, ttlMs) => adapter.setIfAbsent(key, serialized, ttlMs),
        assertOpen: () => undefined,
        close: async () => {
          clearInterval(sweep);
          await adapter.disconnect();
        },
      },
      new KeyedMutex(),
      '',
    );
  }

  /** A memory store, for tests and benchmarks. */
  static memory(): KeyvStateStore {
    const map = new MemoryAdapter();
    const assertOpen = () => {
      if (map.closed) throw new Error('the memory store is closed');
    };
    return new KeyvStateStore(
      {
        name: 'memory',
        keyv: strictKeyv(map),
        // Expired entries stay in the Map until read; keys() reads each one, which drops them.
        scan: (p) => [...map.scan(p)],
        probe: assertOpen,
        assertOpen,
        close: async () => {
          map.closed = true;
        },
      },
      new KeyedMutex(),
      '',
    );
  }

  /** The SQLite file this store keeps its data in (the filings' tables go there too); none for the memory store. */
  get file(): string | undefined {
    return this.backend.file;
  }

  private run<T>(operation: StoreOperation, call: () => T | Promise<T>): Promise<T> {
    return guarded(operation, this.backend.name, () => {
      this.backend.assertOpen();
      return call();
    });
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.run('get', async () => (await this.backend.keyv.get<T>(this.prefix + key)) ?? undefined);
  }

  set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    return this.run('set', async () => {
      await this.backend.keyv.set(this.prefix + key, value, ttlMs);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.run('delete', () => this.backend.keyv.delete(this.prefix + key));
  }

  setIfAbsent<T>(key: string, value: T, ttlMs?: number): Promise<boolean> {
    const { keyv, setIfAbsent } = this.backend;
    const full = this.prefix + key;
    if (setIfAbsent) {
      return this.run('setIfAbsent', async () => {
        const ttl = ttlMs && ttlMs > 0 ? ttlMs : undefined;
        const serialized = await keyv.serializeData({ value, expires: ttl ? Date.now() + ttl : undefined });
        return setIfAbsent(full, serialized as string, ttl);
      });
    }
    // The memory store serves one process, so a get and a set under an in-process lock are atomic.
    return this.mutex.run(`\u0000sia:${full}`, () =>
      this.run('setIfAbsent', async () => {
        if ((await keyv.get(full)) !== undefined) return false;
        await keyv.set(full, value, ttlMs);
        return true;
      }),
    );
  }

  /** Serializes calls within this process; the embedded store serves one process, so that suffices. */
  withLock<R>(key: string, fn: () => Promise<R>): Promise<R> {
    return this.mutex.run(this.prefix + key, fn);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const raws = await this.run('keys', () => [...this.backend.scan(this.prefix + prefix)]);
    for (const raw of raws) {
      // A scan may list a key that has just expired; keyv's get drops it.
      if ((await this.run('keys', () => this.backend.keyv.get(raw))) !== undefined) yield raw.slice(this.prefix.length);
    }
  }

  namespace(name: string): StateStore {
    return new KeyvStateStore(this.backend, this.mutex, `${this.prefix}${name}:`);
  }

  ping(): Promise<void> {
    return this.run('ping', () => this.backend.probe());
  }

  close(): Promise<void> {
    return guarded('close', this.backend.name, () => this.backend.close());
  }
}

/** A keyv that throws its backend's errors instead of emitting them and answering `undefined`/`false`. */
function strictKeyv(store: KeyvStoreAdapter | Map<string, unknown>): Keyv {
  return new Keyv({ store, useKeyPrefix: false, namespace: '', throwOnErrors: true });
}

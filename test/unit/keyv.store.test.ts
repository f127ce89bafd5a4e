import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { type Backend, openBackend } from '../../src/backends/backend.js';
import type { StateStore } from '../../src/store/state-store.js';
import { StoreUnavailableError } from '../../src/store/store.errors.js';
import { describeStoreContract, listKeys } from './store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
const freshFile = () => join(dir, `store-${++fileCount}.sqlite`);

const opened: StateStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

// memory:// and a single file: run the contract as backends (backend.test.ts); here, two connections on one file.
describeStoreContract({
  name: 'embedded sqlite',
  open: () => KeyvStateStore.sqlite(freshFile()),
  openPair: () => {
    const file = freshFile();
    return [KeyvStateStore.sqlite(file), KeyvStateStore.sqlite(file)];
  },
  // withLock serializes within one process only: the embedded store is for one instance.
  locksAcrossConnections: false,
});

describe('the embedded sqlite store survives a restart', () => {
  it('R5 the demo store survives a restart: write, close, reopen the same file, the data is there', async () => {
    const file = freshFile();
    const first = KeyvStateStore.sqlite(file);
    await first.set('filing:VE-1', { status: 'verifying', cycle: { number: 2 } });
    await first.namespace('sent').set('VE-1:13800138000:notice', true);
    await first.set('gone', 'x', 50);
    await first.close();

    await sleep(120);
    const second = KeyvStateStore.sqlite(file);
    opened.push(second);
    expect(await second.get('filing:VE-1')).toEqual({ status: 'verifying', cycle: { number: 2 } });
    expect(await second.namespace('sent').setIfAbsent('VE-1:13800138000:notice', true)).toBe(false);
    expect(await second.get('gone')).toBeUndefined();
    expect(await listKeys(second, '')).toEqual(['filing:VE-1', 'sent:VE-1:13800138000:notice']);
  });

  it('a row past its expiry is deleted from the file at open, before anything reads it', async () => {
    const file = freshFile();
    const first = KeyvStateStore.sqlite(file);
    await first.set('kept', 'x');
    await first.set('gone', 'x', 3_600_000);
    await first.close();
    const raw = new Database(file);
    raw.prepare("UPDATE kv SET expires = ? WHERE key = 'gone'").run(Date.now() - 1);
    raw.close();
    const second = KeyvStateStore.sqlite(file);
    opened.push(second);
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare('SELECT key FROM kv ORDER BY key').all()).toEqual([{ key: 'kept' }]);
    } finally {
      check.close();
    }
  });

  it('R5 sqlite creates the folder for a new file', async () => {
    const file = join(dir, 'nested', 'deeper', 'state.sqlite');
    const store = KeyvStateStore.sqlite(file);
    opened.push(store);
    await store.set('k', 1);
    expect(existsSync(file)).toBe(true);
  });

  it('ping fails once the store is closed', async () => {
    const store = KeyvStateStore.sqlite(freshFile());
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe('issue 15 the embedded store when another connection holds the write lock', () => {
  it('a set and a ping reject with StoreUnavailableError (SQLITE_BUSY) after the busy timeout, reads go on, and writes work again once the lock is released', async () => {
    const file = freshFile();
    const store = KeyvStateStore.sqlite(file);
    opened.push(store);
    await store.set('before', 1);
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const error = await store.set('filing:VE-1', { status: 'verifying' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(((error as Error).cause as { code?: string }).code).toBe('SQLITE_BUSY');
      // In WAL mode readers are not blocked, which is why ping must write to notice.
      expect(await store.get('before')).toBe(1);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      // The other writes fail the same way (a short busy timeout keeps this test quick).
      const quick = KeyvStateStore.sqlite(file, { busyTimeoutMs: 50 });
      opened.push(quick);
      await expect(quick.setIfAbsent('new', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(quick.delete('before')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.get('filing:VE-1')).toBeUndefined();
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    await store.set('filing:VE-1', { status: 'verifying' });
    expect(await store.get('filing:VE-1')).toEqual({ status: 'verifying' });
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('issue 11 store files are private', () => {
  const modeOf = (path: string) => statSync(path).mode & 0o777;

  it('the SQLite file, its -wal and -shm, and a new folder are created for the owner only', async () => {
    const folder = join(dir, 'private-new');
    const file = join(folder, 'state.sqlite');
    const store = KeyvStateStore.sqlite(file);
    opened.push(store);
    await store.set('k', 1);
    expect(modeOf(folder)).toBe(0o700);
    for (const path of [file, `${file}-wal`, `${file}-shm`]) expect([path, modeOf(path).toString(8)]).toEqual([path, '600']);
  });

  it('an older file made 0644 (and its -wal) is tightened to 0600 when opened', async () => {
    const file = freshFile();
    const first = KeyvStateStore.sqlite(file);
    await first.set('k', 1);
    await first.close();
    writeFileSync(`${file}-wal`, '');
    chmodSync(file, 0o644);
    chmodSync(`${file}-wal`, 0o644);
    const second = KeyvStateStore.sqlite(file);
    opened.push(second);
    expect(await second.get('k')).toBe(1);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
  });
});

describe('CONTRACT §3 openBackend(STORE_URL) on the local backend', () => {
  const backends: Backend[] = [];
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.close();
  });
  const openStore = (url: string) => {
    const backend = openBackend(url);
    backends.push(backend);
    return backend.state;
  };

  it('§3 memory:// opens a memory store', async () => {
    const store = openStore('memory://');
    expect(store).toBeInstanceOf(KeyvStateStore);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
  });

  it.each([
    ['file:<absolute path>', (f: string) => `file:${f}`],
    ['file://<absolute path>', (f: string) => `file://${f}`],
  ])('§3 %s opens the sqlite file, persistent across opens', async (_name, toUrl) => {
    const file = freshFile();
    const first = openBackend(toUrl(file));
    await first.state.set('k', 'persisted');
    await first.close();
    expect(existsSync(file)).toBe(true);
    const second = openStore(toUrl(file));
    expect(await second.get('k')).toBe('persisted');
  });

  it.each(['postgres://localhost/db', 'http://example.com', 'state.sqlite', ''])('§3 unsupported STORE_URL %j throws, naming it', (url) => {
    expect(() => openStore(url)).toThrow(/STORE_URL/);
  });

  it.each([
    ['redis://', /needs a host/],
    ['redis://localhost:6379/cache', /database number/],
    ['rediss://localhost:6379/0?tls=false', /no \?query/],
  ])('§3 a malformed Redis URL %j throws, naming STORE_URL and the problem', (url, problem) => {
    expect(() => openStore(url)).toThrow(/STORE_URL/);
    expect(() => openStore(url)).toThrow(problem);
  });

  it('§3 an unsupported URL is not echoed, since it may carry a password', () => {
    expect(() => openStore('postgres://admin:hunter2@db/x')).toThrow(/^(?!.*hunter2)/);
  });
});

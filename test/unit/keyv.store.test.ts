import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KeyvStateStore } from '../../src/store/keyv.store.js';
import { openStore } from '../../src/store/store.open.js';
import type { StateStore } from '../../src/store/state-store.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
const freshFile = () => join(dir, `store-${++fileCount}.sqlite`);

/** Every key under a prefix, sorted. */
async function listKeys(store: StateStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of store.keys(prefix)) out.push(key);
  return out.sort();
}

const opened: StateStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const backends: Array<[string, () => StateStore]> = [
  ['memory', () => KeyvStateStore.memory()],
  ['sqlite', () => KeyvStateStore.sqlite(freshFile())],
];

describe.each(backends)('StateStore over keyv (%s)', (_name, make) => {
  const open = () => {
    const s = make();
    opened.push(s);
    return s;
  };

  it('R5 get/set/delete round-trip values of every JSON shape', async () => {
    const store = open();
    const values: Array<[string, unknown]> = [
      ['string', 'hello'],
      ['number', 42],
      ['zero', 0],
      ['false', false],
      ['object', { a: 1, nested: { b: ['x', 'y'] } }],
      ['array', [1, 'two', null]],
      ['chinese', '张三丰'],
    ];
    for (const [key, value] of values) await store.set(key, value);
    for (const [key, value] of values) expect(await store.get(key)).toEqual(value);
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.delete('string')).toBe(true);
    expect(await store.delete('string')).toBe(false);
    expect(await store.get('string')).toBeUndefined();
  });

  it('R5 set overwrites', async () => {
    const store = open();
    await store.set('k', 1);
    await store.set('k', 2);
    expect(await store.get('k')).toBe(2);
  });

  it('R5 a TTL expires the key, and keys() no longer lists it', async () => {
    const store = open();
    await store.set('ttl:short', 'gone soon', 50);
    await store.set('ttl:long', 'stays', 60_000);
    await store.set('ttl:none', 'stays');
    expect(await store.get('ttl:short')).toBe('gone soon');
    await sleep(120);
    expect(await store.get('ttl:short')).toBeUndefined();
    expect(await store.get('ttl:long')).toBe('stays');
    expect(await listKeys(store, 'ttl:')).toEqual(['ttl:long', 'ttl:none']);
  });

  it('R5 setIfAbsent: exactly one of 50 concurrent calls sets the key (a stage is sent once)', async () => {
    const store = open();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setIfAbsent('sent:VE-1:13800138000:4h', i)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get('sent:VE-1:13800138000:4h')).toBe(results.indexOf(true));
  });

  it('R5 setIfAbsent is false for a key already set, and true again once its TTL expired', async () => {
    const store = open();
    await store.set('once', 'first');
    expect(await store.setIfAbsent('once', 'second')).toBe(false);
    expect(await store.get('once')).toBe('first');
    expect(await store.setIfAbsent('brief', 1, 50)).toBe(true);
    expect(await store.setIfAbsent('brief', 2, 50)).toBe(false);
    await sleep(120);
    expect(await store.setIfAbsent('brief', 3)).toBe(true);
    expect(await store.get('brief')).toBe(3);
  });

  it('STYLE §6 withLock serializes 100 concurrent read-modify-writes of a counter', async () => {
    const store = open();
    await store.set('counter', 0);
    await Promise.all(
      Array.from({ length: 100 }, () =>
        store.withLock('counter', async () => {
          const n = (await store.get<number>('counter')) ?? 0;
          await sleep(0); // yield between read and write: without the lock, updates would be lost
          await store.set('counter', n + 1);
        }),
      ),
    );
    expect(await store.get('counter')).toBe(100);
  });

  it('STYLE §6 withLock returns the result, and a failing turn does not block the next', async () => {
    const store = open();
    await expect(store.withLock('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.withLock('k', async () => 'next')).toBe('next');
  });

  it('STYLE §6 withLock on different keys does not wait for each other', async () => {
    const store = open();
    let releaseA!: () => void;
    const a = store.withLock('a', () => new Promise<string>((resolve) => (releaseA = () => resolve('a'))));
    expect(await store.withLock('b', async () => 'b')).toBe('b');
    releaseA();
    expect(await a).toBe('a');
  });

  it('R8 namespaces are isolated from each other and from the root', async () => {
    const store = open();
    const a = store.namespace('a');
    const b = store.namespace('b');
    await a.set('k', 'in a');
    await b.set('k', 'in b');
    await store.set('k', 'in root');
    expect(await a.get('k')).toBe('in a');
    expect(await b.get('k')).toBe('in b');
    expect(await store.get('k')).toBe('in root');
    expect(await store.get('a:k')).toBe('in a');
    expect(await a.delete('k')).toBe(true);
    expect(await b.get('k')).toBe('in b');
    expect(await a.setIfAbsent('k', 'again')).toBe(true);
    expect(await b.setIfAbsent('k', 'again')).toBe(false);
  });

  it('R8 nested namespaces prefix both names', async () => {
    const store = open();
    await store.namespace('a').namespace('b').set('k', 1);
    expect(await store.get('a:b:k')).toBe(1);
    expect(await store.namespace('a').get('b:k')).toBe(1);
  });

  it('R5 keys(prefix) lists live keys under the prefix, namespace-relative', async () => {
    const store = open();
    const ns = store.namespace('conv');
    for (const key of ['filing:VE-1', 'filing:VE-2', 'filing:VE-10', 'user:1', 'filings']) await ns.set(key, true);
    await store.set('filing:VE-root', true);
    await store.namespace('other').set('filing:VE-3', true);
    expect(await listKeys(ns, 'filing:')).toEqual(['filing:VE-1', 'filing:VE-10', 'filing:VE-2']);
    expect(await listKeys(ns, '')).toEqual(['filing:VE-1', 'filing:VE-10', 'filing:VE-2', 'filings', 'user:1']);
    expect(await listKeys(store, 'filing:')).toEqual(['filing:VE-root']);
    expect(await listKeys(ns, 'nothing:')).toEqual([]);
    await ns.delete('filing:VE-2');
    expect(await listKeys(ns, 'filing:')).toEqual(['filing:VE-1', 'filing:VE-10']);
  });

  it('ping succeeds on an open store', async () => {
    await expect(open().ping()).resolves.toBeUndefined();
  });
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

describe('CONTRACT §3 openStore(STORE_URL)', () => {
  it('§3 memory:// opens a memory store', async () => {
    const store = openStore('memory://');
    opened.push(store);
    expect(store).toBeInstanceOf(KeyvStateStore);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
  });

  it.each([
    ['file:<absolute path>', (f: string) => `file:${f}`],
    ['file://<absolute path>', (f: string) => `file://${f}`],
  ])('§3 %s opens the sqlite file, persistent across opens', async (_name, toUrl) => {
    const file = freshFile();
    const first = openStore(toUrl(file));
    await first.set('k', 'persisted');
    await first.close();
    expect(existsSync(file)).toBe(true);
    const second = openStore(toUrl(file));
    opened.push(second);
    expect(await second.get('k')).toBe('persisted');
  });

  it.each(['postgres://localhost/db', 'http://example.com', 'state.sqlite', ''])('§3 unsupported STORE_URL %j throws, naming it', (url) => {
    expect(() => openStore(url)).toThrow(/STORE_URL/);
  });
});

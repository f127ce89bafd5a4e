/** The StateStore contract: one suite every backend (memory, embedded SQLite, Redis) must pass. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/store/state-store.js';
import { StoreError, StoreUnavailableError } from '../../src/store/store.errors.js';

/** A backend under test. */
export interface ContractBackend {
  name: string;
  /** A fresh, empty store. */
  open(): StateStore;
  /** Two separate connections to the same fresh data, for backends that have connections. */
  openPair?(): [StateStore, StateStore];
  /** Whether withLock excludes holders on different connections (Redis), not only within one store. */
  locksAcrossConnections: boolean;
}

/** Every key under a prefix, sorted. */
export async function listKeys(store: StateStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of store.keys(prefix)) out.push(key);
  return out.sort();
}

/** 100 read-modify-writes of one counter under withLock, spread over the given stores; returns the final count. */
async function lockedCounter(stores: [StateStore, ...StateStore[]], perStore: number): Promise<number | undefined> {
  const [first] = stores;
  await first.set('counter', 0);
  await Promise.all(
    stores.flatMap((store) =>
      Array.from({ length: perStore }, () =>
        store.withLock('counter', async () => {
          const n = (await store.get<number>('counter')) ?? 0;
          await sleep(0); // yield between read and write: without the lock, updates would be lost
          await store.set('counter', n + 1);
        }),
      ),
    ),
  );
  return first.get<number>('counter');
}

/** Registers the contract's tests for one backend. */
export function describeStoreContract(backend: ContractBackend): void {
  describe(`StateStore contract (${backend.name})`, () => {
    const opened: StateStore[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const open = () => {
      const s = backend.open();
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

    it('R5 a TTL expires the key, and keys() no longer lists it; a TTL of 0 means none', async () => {
      const store = open();
      await store.set('ttl:long', 'stays', 60_000);
      await store.set('ttl:none', 'stays');
      await store.set('ttl:zero', 'stays', 0);
      // Set last, so the read right after it comes well within its 50 ms on a busy machine.
      await store.set('ttl:short', 'gone soon', 50);
      expect(await store.get('ttl:short')).toBe('gone soon');
      await sleep(120);
      expect(await store.get('ttl:short')).toBeUndefined();
      expect(await store.get('ttl:long')).toBe('stays');
      expect(await listKeys(store, 'ttl:')).toEqual(['ttl:long', 'ttl:none', 'ttl:zero']);
    });

    it('R5 setIfAbsent: exactly one of 50 concurrent calls sets the key (a stage is sent once)', async () => {
      const store = open();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setIfAbsent('sent:VE-1:p1:4h', i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.get('sent:VE-1:p1:4h')).toBe(results.indexOf(true));
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

    if (backend.openPair) {
      const openPair = backend.openPair;
      it('R5 setIfAbsent across two connections: exactly one of 2 × 25 concurrent calls wins', async () => {
        const [a, b] = openPair();
        opened.push(a, b);
        const calls = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).setIfAbsent('sent:VE-2:p1:1h', i));
        const results = await Promise.all(calls);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await b.get('sent:VE-2:p1:1h')).toBe(results.indexOf(true));
      });
    }

    it('STYLE §6 withLock serializes 100 concurrent read-modify-writes of a counter', async () => {
      expect(await lockedCounter([open()], 100)).toBe(100);
    });

    if (backend.openPair && backend.locksAcrossConnections) {
      const openPair = backend.openPair;
      it('STYLE §6 withLock excludes across two connections: 2 × 50 read-modify-writes lose nothing', async () => {
        const [a, b] = openPair();
        opened.push(a, b);
        expect(await lockedCounter([a, b], 50)).toBe(100);
      });
    }

    it('STYLE §6 withLock returns the result, passes the function’s own error through, and a failing turn does not block the next', async () => {
      const store = open();
      const boom = new Error('boom');
      await expect(store.withLock('k', async () => Promise.reject(boom))).rejects.toBe(boom);
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

    it('R5 keys(prefix) takes glob characters in the prefix literally', async () => {
      const store = open();
      const ns = store.namespace('g*[x]');
      for (const key of ['a*b', 'a?c', 'a[1]', 'a\\d', 'axb', 'a1']) await ns.set(key, true);
      await store.namespace('gZ[x]').set('a*b', true);
      await store.namespace('g*x').set('a*b', true);
      expect(await listKeys(ns, 'a*')).toEqual(['a*b']);
      expect(await listKeys(ns, 'a?')).toEqual(['a?c']);
      expect(await listKeys(ns, 'a[')).toEqual(['a[1]']);
      expect(await listKeys(ns, 'a\\')).toEqual(['a\\d']);
      expect(await listKeys(ns, '')).toHaveLength(6);
    });

    it('/healthz ping writes and reads back without leaving a key that keys() lists', async () => {
      const store = open();
      await store.set('only', 1);
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await listKeys(store, '')).toEqual(['only']);
    });

    it('issue 15 a closed store rejects every call with a StoreUnavailableError, never undefined or false', async () => {
      const store = open();
      await store.set('k', 'v');
      await store.close();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['get', () => store.get('k')],
        ['set', () => store.set('k', 'w')],
        ['delete', () => store.delete('k')],
        ['setIfAbsent', () => store.setIfAbsent('new', 1)],
        ['keys', () => listKeys(store, '')],
        ['ping', () => store.ping()],
        ['namespace get', () => store.namespace('n').get('k')],
      ];
      for (const [name, call] of calls) {
        const error = await call().then(
          () => new Error(`${name} resolved`),
          (e: unknown) => e,
        );
        expect(error, name).toBeInstanceOf(StoreUnavailableError);
        expect(error, name).toBeInstanceOf(StoreError);
      }
    });
  });
}

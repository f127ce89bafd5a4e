import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { createLogger } from '../../src/log.js';
import { KEY_CHECK, keyCheckOf, LEGACY_KEY, loadPhoneKey, openPhoneKeyer, PhoneKeyError, phoneKeySource } from '../../src/privacy.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { route } from '../../flows/router.js';

const PHONE = '13800138000';
const OLD_KEY = 'a1'.repeat(32);
const SECRET = '0123456789abcdef0123456789abcdef';

let dir: string;
let logs: string[];
const logger = () => createLogger({ level: 'debug', sink: (line) => logs.push(line) });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'phone-key-'));
  logs = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function storeKeys(store: StateStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys('')) keys.push(key);
  return keys;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const oldHash = (phone: string) => createHmac('sha256', OLD_KEY).update(phone).digest('base64url').slice(0, 22);

describe('R8 the phone-hash key is kept apart from the store', () => {
  it('R8 a missing key file is created 0600 with 32 random bytes, and reused on the next start', async () => {
    const path = join(dir, 'keys', 'phone-key');
    const store = KeyvStateStore.memory();
    const first = await openPhoneKeyer(store, { kind: 'file', path }, logger());
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(join(dir, 'keys'))).toBe(0o700);
    const key = readFileSync(path, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // The store holds the key's check value only, never the key.
    expect(await storeKeys(store)).toEqual([KEY_CHECK]);
    expect(await store.get(KEY_CHECK)).toBe(keyCheckOf(key));
    const second = await openPhoneKeyer(KeyvStateStore.memory(), { kind: 'file', path });
    expect(second(PHONE)).toBe(first(PHONE));
    expect(first(PHONE)).not.toContain(PHONE);
    expect(readdirSync(join(dir, 'keys'))).toEqual(['phone-key']);
  });

  it('R8 two processes starting at once end with one key file and the same key', async () => {
    const path = join(dir, 'phone-key');
    const keys = await Promise.all(Array.from({ length: 6 }, () => loadPhoneKey(KeyvStateStore.memory(), { kind: 'file', path })));
    expect(new Set(keys).size).toBe(1);
    expect(readFileSync(path, 'utf8').trim()).toBe(keys[0]);
    expect(readdirSync(dir)).toEqual(['phone-key']);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('R8 a key file with mode %o is refused with what to do', async (mode) => {
    const path = join(dir, 'phone-key');
    writeFileSync(path, `${SECRET}\n`, { mode: 0o600 });
    chmodSync(path, mode);
    const error = await loadPhoneKey(KeyvStateStore.memory(), { kind: 'file', path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneKeyError);
    expect((error as Error).message).toContain(`chmod 600 ${path}`);
  });

  it('R8 a key file that is too short is refused, not used', async () => {
    const path = join(dir, 'phone-key');
    writeFileSync(path, 'short\n', { mode: 0o600 });
    await expect(loadPhoneKey(KeyvStateStore.memory(), { kind: 'file', path })).rejects.toThrow(/holds 5 characters; a key needs at least 32/);
  });

  it('R8 a key file that is a directory is refused', async () => {
    await expect(loadPhoneKey(KeyvStateStore.memory(), { kind: 'file', path: dir })).rejects.toThrow(/not a regular file/);
  });

  it('R8 PHONE_KEY_SECRET is the key; the store gets its check value only, and the disk nothing', async () => {
    const store = KeyvStateStore.memory();
    const keyer = await openPhoneKeyer(store, { kind: 'secret', secret: SECRET });
    const other = await openPhoneKeyer(KeyvStateStore.memory(), { kind: 'secret', secret: SECRET.replace('0', 'f') });
    expect(keyer(PHONE)).toBe(createHmac('sha256', SECRET).update(PHONE).digest('base64url').slice(0, 22));
    expect(other(PHONE)).not.toBe(keyer(PHONE));
    expect(await storeKeys(store)).toEqual([KEY_CHECK]);
    expect(await store.get(KEY_CHECK)).toBe(keyCheckOf(SECRET));
    expect(String(await store.get(KEY_CHECK))).not.toContain(SECRET.slice(0, 8));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('R8 a start with another key than the store was hashed with is refused, and the store is left as it was', async () => {
    const store = KeyvStateStore.memory();
    await openPhoneKeyer(store, { kind: 'secret', secret: SECRET });
    await store.set('phone:somebody', 'linked');
    const error = await loadPhoneKey(store, { kind: 'secret', secret: SECRET.replace('0', 'f') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneKeyError);
    expect((error as Error).message).toMatch(/hashed with another phone key than PHONE_KEY_SECRET.*would unlink everyone.*Rotating the phone key/);
    expect((error as Error).message).not.toContain(SECRET);
    expect(await store.get(KEY_CHECK)).toBe(keyCheckOf(SECRET));
    // The right key still starts.
    expect(await loadPhoneKey(store, { kind: 'secret', secret: SECRET })).toBe(SECRET);
  });

  it('R8 a lost key file is refused on the store the old key hashed, before anything is written', async () => {
    const path = join(dir, 'keys', 'phone-key');
    const store = KeyvStateStore.memory();
    const first = await loadPhoneKey(store, { kind: 'file', path });
    rmSync(join(dir, 'keys'), { recursive: true });
    const error = await loadPhoneKey(store, { kind: 'file', path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneKeyError);
    expect((error as Error).message).toMatch(/phone key file .*phone-key is missing.*would unlink everyone.*Restore the key file/);
    // A refused start writes nothing: no new key file, not even its folder, and the store keeps its check value.
    expect(readdirSync(dir)).toEqual([]);
    expect(await store.get(KEY_CHECK)).toBe(keyCheckOf(first));
    // Restoring the file that belongs to the store starts again.
    mkdirSync(join(dir, 'keys'), { mode: 0o700 });
    writeFileSync(path, `${first}\n`, { mode: 0o600 });
    expect(await loadPhoneKey(store, { kind: 'file', path })).toBe(first);
  });

  it('R8 a memory store gets a key for this process only: stable within it, never on disk', async () => {
    const store = KeyvStateStore.memory();
    const a = await openPhoneKeyer(store, { kind: 'process' });
    const b = await openPhoneKeyer(KeyvStateStore.memory(), { kind: 'process' });
    expect(a(PHONE)).toBe(b(PHONE));
    expect(await storeKeys(store)).toEqual([]);
  });
});

describe('R8 a key an older version kept in the store moves out of it, once', () => {
  it('R8 the stored key moves to a missing key file, leaves the store, and every link still matches', async () => {
    const path = join(dir, 'phone-key');
    const store = KeyvStateStore.memory();
    await store.set(LEGACY_KEY, OLD_KEY);
    const keyer = await openPhoneKeyer(store, { kind: 'file', path }, logger());
    expect(keyer(PHONE)).toBe(oldHash(PHONE));
    expect(readFileSync(path, 'utf8').trim()).toBe(OLD_KEY);
    expect(modeOf(path)).toBe(0o600);
    expect(await store.get(LEGACY_KEY)).toBeUndefined();
    expect(logs.filter((l) => l.includes('"warn"') && l.includes('removed the key an older version kept in the store'))).toHaveLength(1);
    expect(logs.join('\n')).not.toContain(OLD_KEY);
    logs = [];
    const again = await openPhoneKeyer(store, { kind: 'file', path }, logger());
    expect(again(PHONE)).toBe(oldHash(PHONE));
    expect(logs).toEqual([]);
  });

  it('R8 a stored key that disagrees with the key file stops the start and stays where it is', async () => {
    const path = join(dir, 'phone-key');
    writeFileSync(path, `${SECRET}\n`, { mode: 0o600 });
    const store = KeyvStateStore.memory();
    await store.set(LEGACY_KEY, OLD_KEY);
    await expect(loadPhoneKey(store, { kind: 'file', path })).rejects.toThrow(/differs from the key in/);
    expect(await store.get(LEGACY_KEY)).toBe(OLD_KEY);
  });

  it('R8 a stored key equal to the key file (a start cut short after the move) is just removed', async () => {
    const path = join(dir, 'phone-key');
    writeFileSync(path, `${OLD_KEY}\n`, { mode: 0o600 });
    const store = KeyvStateStore.memory();
    await store.set(LEGACY_KEY, OLD_KEY);
    expect(await loadPhoneKey(store, { kind: 'file', path })).toBe(OLD_KEY);
    expect(await store.get(LEGACY_KEY)).toBeUndefined();
  });

  it('R8 with PHONE_KEY_SECRET: an equal stored key is removed, a different one stops the start and stays', async () => {
    const same = KeyvStateStore.memory();
    await same.set(LEGACY_KEY, OLD_KEY);
    expect(await loadPhoneKey(same, { kind: 'secret', secret: OLD_KEY })).toBe(OLD_KEY);
    expect(await same.get(LEGACY_KEY)).toBeUndefined();
    const different = KeyvStateStore.memory();
    await different.set(LEGACY_KEY, OLD_KEY);
    await expect(loadPhoneKey(different, { kind: 'secret', secret: SECRET })).rejects.toThrow(/PHONE_KEY_SECRET is a different key/);
    expect(await different.get(LEGACY_KEY)).toBe(OLD_KEY);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('R8 the key source a configuration names', () => {
  it('R8 PHONE_KEY_SECRET wins, then PHONE_KEY_FILE; a memory store uses a process key; otherwise ./data/phone-key', () => {
    expect(phoneKeySource(loadConfig({ PHONE_KEY_SECRET: SECRET, STORE_URL: 'memory://', PHONE_KEY_FILE: '/k' }))).toEqual({ kind: 'secret', secret: SECRET });
    expect(phoneKeySource(loadConfig({ STORE_URL: 'memory://' }))).toEqual({ kind: 'process' });
    expect(phoneKeySource(loadConfig({}))).toEqual({ kind: 'file', path: './data/phone-key' });
    expect(phoneKeySource(loadConfig({ STORE_URL: 'file:/srv/state.sqlite', PHONE_KEY_FILE: '/etc/beian/phone-key' }))).toEqual({ kind: 'file', path: '/etc/beian/phone-key' });
  });

  it('R8 a shared Redis store with no configured key is refused: each host would make its own key', () => {
    expect(() => phoneKeySource(loadConfig({ STORE_URL: 'redis://localhost:6379' }))).toThrow(/same phone key on every instance: set PHONE_KEY_SECRET/);
    expect(phoneKeySource(loadConfig({ STORE_URL: 'rediss://cache:6380', PHONE_KEY_SECRET: SECRET }))).toEqual({ kind: 'secret', secret: SECRET });
    expect(phoneKeySource(loadConfig({ STORE_URL: 'redis://localhost:6379', PHONE_KEY_FILE: '/etc/beian/phone-key' }))).toEqual({ kind: 'file', path: '/etc/beian/phone-key' });
  });

  it('R8 a core on an embedded store keeps the key in the key file, not in the store file', async () => {
    const file = join(dir, 'state.sqlite');
    const keyFile = join(dir, 'phone-key');
    const legacy = KeyvStateStore.sqlite(file);
    await legacy.set(LEGACY_KEY, OLD_KEY);
    await legacy.close();
    const config = loadConfig({ STORE_URL: `file:${file}`, PHONE_KEY_FILE: keyFile });
    const core = await createCore(config, { route, clock: new FakeClock(DEMO_ANCHOR), logger: createLogger({ level: 'silent' }) });
    try {
      expect(core.people.keyOf(PHONE)).toBe(oldHash(PHONE));
      expect(await storeKeys(core.store)).not.toContain(LEGACY_KEY);
    } finally {
      await core.close();
    }
    expect(existsSync(keyFile)).toBe(true);
    // The raw bytes too: a deleted row must not linger in the database's free pages or its WAL.
    const storeFiles = readdirSync(dir).filter((f) => f.startsWith('state.sqlite'));
    expect(storeFiles).toContain('state.sqlite');
    for (const f of storeFiles) expect(readFileSync(join(dir, f)).includes(Buffer.from(OLD_KEY)), f).toBe(false);
  });
});

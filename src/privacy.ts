/**
 * Keys derived from phone numbers, so state never holds a full phone number (RULES R8), and the
 * key behind them, which is kept apart from the store: the environment or a 0600 key file.
 */
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_PHONE_KEY_FILE, type Config } from './config.js';
import type { Logger } from './log.js';
import { StartError } from './start.errors.js';
import { sealedKey } from './rules/phone.rules.js';
import type { StateStore } from './store/state-store.js';

/** Turns a normalized phone into an opaque, stable key; the same phone always gives the same key. */
export type PhoneKeyer = (phone: string) => string;

/** Where the phone-hash key comes from. */
export type PhoneKeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'file'; path: string }
  /** A memory store dies with the process, so its key may too. */
  | { kind: 'process' };

/** A key that cannot be used as it is; the message says what to do. */
export class PhoneKeyError extends StartError {
  override name = 'PhoneKeyError';
}

/** Where older versions kept the key: in the store, beside the hashes it protects. */
export const LEGACY_KEY = 'meta:phone-key-secret';
/**
 * A check value of the key the store's phones were hashed with (an HMAC of a fixed text, which
 * tells nothing of the key or of any phone). A start with another key is refused: it would unlink
 * everyone without a word.
 */
export const KEY_CHECK = 'meta:phone-key-check';
const MIN_KEY_LENGTH = 32;
const ROTATE = 'see "Rotating the phone key" in docs/privacy.md';

let processKey: string | undefined;

/**
 * The key source a configuration names: PHONE_KEY_SECRET, else the key file, except for a memory
 * store. A shared store (Redis) needs the same key on every instance, so there a default key file,
 * made separately on each host, is refused rather than silently giving each instance its own keys.
 */
export function phoneKeySource(config: Pick<Config, 'storeUrl' | 'phoneKeySecret' | 'phoneKeyFile'>): PhoneKeySource {
  if (config.phoneKeySecret) return { kind: 'secret', secret: config.phoneKeySecret };
  if (config.phoneKeyFile) return { kind: 'file', path: config.phoneKeyFile };
  if (config.storeUrl === 'memory://') return { kind: 'process' };
  if (/^rediss?:/.test(config.storeUrl))
    throw new PhoneKeyError('a shared store (STORE_URL=redis://…) needs the same phone key on every instance: set PHONE_KEY_SECRET, or PHONE_KEY_FILE to a copy of one key file on every host');
  return { kind: 'file', path: DEFAULT_PHONE_KEY_FILE };
}

/**
 * The keyer over the key from `source`; moves a key an older version kept in the store out of it,
 * once. A sealed phone (`sealPhone`) already carries its key, so the keyer returns that part.
 */
export async function openPhoneKeyer(store: StateStore, source: PhoneKeySource, logger?: Logger): Promise<PhoneKeyer> {
  const secret = await loadPhoneKey(store, source, logger);
  // One KeyObject for every HMAC: a string key is re-imported per call, a third of the cost at 400,000 phones (issue 12).
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return (phone) => sealedKey(phone) ?? createHmac('sha256', key).update(phone).digest('base64url').slice(0, 22);
}

/**
 * Reads (or, for a missing key file, creates) the phone-hash key. A key still in the store from an
 * older version is written to a missing key file and deleted from the store; one that disagrees
 * with the configured key stops the start, because using either would silently unlink everyone.
 */
export async function loadPhoneKey(store: StateStore, source: PhoneKeySource, logger?: Logger): Promise<string> {
  if (source.kind === 'process') {
    if (processKey === undefined) processKey = randomBytes(32).toString('hex');
    return processKey;
  }
  const stored = await store.get<string>(LEGACY_KEY);
  const legacy = stored === undefined ? undefined : String(stored);
  let key: string;
  // A key file this start made (none was there): removed again if the store refuses its key.
  let madeNow = false;
  if (source.kind === 'secret') {
    key = source.secret;
    if (legacy !== undefined && legacy !== key)
      throw new PhoneKeyError(
        `the store still holds the phone key its linked phones were hashed with (${LEGACY_KEY}), and PHONE_KEY_SECRET is a different key. ` +
          `Start once without PHONE_KEY_SECRET to move the stored key to PHONE_KEY_FILE, or set PHONE_KEY_SECRET to the stored key; to change keys, ${ROTATE}.`,
      );
  } else {
    let existing = await readKeyFile(source.path);
    if (existing === undefined && legacy === undefined && (await store.get<string>(KEY_CHECK)) !== undefined)
      // A new random key could never match the store's check value: refuse before writing anything.
      throw new PhoneKeyError(
        `the phone key file ${source.path} is missing, but the store's linked phones were hashed with a key (${KEY_CHECK} is set): ` +
          `starting with a new key would unlink everyone. Restore the key file from its backup (mode 0600); to start over with a new key, ${ROTATE}.`,
      );
    if (existing === undefined) {
      const created = await createKeyFile(source.path, legacy ?? randomBytes(32).toString('hex'));
      // Re-read whatever file won a race with another process starting at the same moment.
      existing = await readKeyFile(source.path);
      if (existing === undefined) throw new PhoneKeyError(`phone key file ${source.path} vanished while it was being created`);
      madeNow = created;
      if (created && legacy === undefined) logger?.info('phone key: created a new key file', { file: source.path });
    }
    key = existing;
    if (legacy !== undefined && legacy !== key)
      throw new PhoneKeyError(
        `the store holds an old phone key (${LEGACY_KEY}) that differs from the key in ${source.path}. ` +
          `Restore the key file that belongs to this store, or delete the key file so the stored key moves there; to change keys, ${ROTATE}.`,
      );
  }
  try {
    await checkKey(store, key, source.kind === 'secret' ? 'PHONE_KEY_SECRET' : `the key file ${source.path}`);
  } catch (error) {
    // Left in place it would be "the key file" on the next start too, and could be mistaken for the right one.
    if (madeNow && source.kind === 'file') await unlink(source.path).catch(() => undefined);
    throw error;
  }
  if (legacy !== undefined) {
    await store.delete(LEGACY_KEY);
    logger?.warn('phone key: removed the key an older version kept in the store; it now lives only outside the store', {
      where: source.kind === 'secret' ? 'PHONE_KEY_SECRET' : source.path,
    });
  }
  return key;
}

/** The check value of a key, as KEY_CHECK holds it. */
export function keyCheckOf(key: string): string {
  return createHmac('sha256', key).update('beian-assistant phone key check').digest('base64url').slice(0, 22);
}

// Records the key's check value in a store that has none; refuses a key whose check value differs.
async function checkKey(store: StateStore, key: string, where: string): Promise<void> {
  const check = keyCheckOf(key);
  if (await store.setIfAbsent(KEY_CHECK, check)) return;
  const stored = await store.get<string>(KEY_CHECK);
  if (stored === check) return;
  throw new PhoneKeyError(
    `the store's linked phones were hashed with another phone key than ${where} (the check value in ${KEY_CHECK} differs): ` +
      `starting would unlink everyone. Restore the key that belongs to this store (the key file from its backup, or the PHONE_KEY_SECRET every other instance uses); to start over with this key, ${ROTATE}.`,
  );
}

// The key file's text, or undefined when there is none; refuses one others can read.
async function readKeyFile(path: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PhoneKeyError(`cannot read phone key file ${path}: ${(error as Error).message}`);
  }
  try {
    // fstat on the open handle, so the mode checked is the mode of the file read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PhoneKeyError(`phone key file ${path} is not a regular file`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)
      throw new PhoneKeyError(
        `phone key file ${path} can be read or written by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); ` +
          `it must be 0600: run chmod 600 ${path}, and if others may have read it, ${ROTATE}`,
      );
    const text = (await handle.readFile('utf8')).trim();
    if (text.length < MIN_KEY_LENGTH) throw new PhoneKeyError(`phone key file ${path} holds ${text.length} characters; a key needs at least ${MIN_KEY_LENGTH}. Restore the right file, or ${ROTATE}`);
    return text;
  } finally {
    await handle.close();
  }
}

// Writes the key to a private temporary file, then links it into place: the key file appears
// whole or not at all, and a second process starting at once gets EEXIST rather than half a key.
async function createKeyFile(path: string, key: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${key}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new PhoneKeyError(`cannot create phone key file ${path}: ${(error as Error).message}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

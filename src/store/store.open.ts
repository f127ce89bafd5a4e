/** Opening the StateStore that `STORE_URL` names (CONTRACT §3). */
import { KeyvStateStore } from './keyv.store.js';
import { RedisStateStore } from './redis.store.js';
import type { StateStore } from './state-store.js';
import { StartError } from '../start.errors.js';

/**
 * Opens `memory://`, `file:<path>` / `file://<path>` (the embedded SQLite store), or
 * `redis://[user:pass@]host:port[/db]` / `rediss://…` (shared by several instances).
 */
export function openStore(url: string): StateStore {
  if (url === 'memory://') return KeyvStateStore.memory();
  if (url.startsWith('file:')) {
    const file = url.slice('file:'.length).replace(/^\/\//, '');
    try {
      return KeyvStateStore.sqlite(file);
    } catch (error) {
      throw new StartError(`the store file ${file} cannot be opened (${(error as Error).message}): set STORE_URL to file:<a path this process can write>`, { cause: error });
    }
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    try {
      return RedisStateStore.open(url);
    } catch (error) {
      throw new Error(`STORE_URL: ${(error as Error).message}`);
    }
  }
  // The URL is not echoed: an unsupported one may still carry a password.
  throw new Error('STORE_URL is not supported: use memory://, file:<path> or redis://[user:pass@]host:port[/db]');
}

/** Opening the StateStore that `STORE_URL` names (CONTRACT §3). */
import { KeyvStateStore } from './keyv.store.js';
import { RedisStateStore } from './redis.store.js';
import type { StateStore } from './state-store.js';

/**
 * Opens `memory://`, `file:<path>` / `file://<path>` (the embedded SQLite store), or
 * `redis://[user:pass@]host:port[/db]` / `rediss://…` (shared by several instances).
 */
export function openStore(url: string): StateStore {
  if (url === 'memory://') return KeyvStateStore.memory();
  if (url.startsWith('file:')) return KeyvStateStore.sqlite(url.slice('file:'.length).replace(/^\/\//, ''));
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

/** Reading `STORE_URL` (CONTRACT §3): which backend keeps the state, and whether several instances may share it. */
import { parseRedisUrl } from './redis/redis.url.js';

/** Where the state lives: a local SQLite file (none: memory), or a Redis several instances share. */
export interface StoreLocation {
  /** The SQLite file of the local backend; undefined for `memory://` (and for Redis). */
  file?: string;
  /** The Redis URL of the shared backend. */
  redisUrl?: string;
  /** True when several instances may run on this store at once. */
  severalInstances: boolean;
}

/**
 * Reads `memory://`, `file:<path>` / `file://<path>` (the local SQLite file), or
 * `redis://[user:pass@]host:port[/db]` / `rediss://…`; throws an Error saying what is wrong, never
 * echoing the URL (an unsupported one may still carry a password).
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url === 'memory://') return { severalInstances: false };
  if (url.startsWith('file:')) return { file: url.slice('file:'.length).replace(/^\/\//, ''), severalInstances: false };
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    parseRedisUrl(url);
    return { redisUrl: url, severalInstances: true };
  }
  throw new Error('must be memory://, file:<path>, redis://[user:pass@]host:port[/db] or rediss://…');
}

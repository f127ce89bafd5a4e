/**
 * Opening the OutboxStore that sits beside the StateStore `STORE_URL` names: one table of
 * backends, so a shared backend (Redis, issue 10) is one more row.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from '../log.js';
import { MemoryOutboxStore } from './memory.store.js';
import type { OutboxStore } from './outbox.store.js';
import { SqliteOutboxStore } from './sqlite.store.js';
import { RedisOutboxStore } from './redis.store.js';
import { RedisConnection } from '../store/redis.connection.js';

/** One way to keep the outbox, chosen by the state store's URL. */
export interface OutboxBackend {
  name: string;
  matches(storeUrl: string): boolean;
  open(storeUrl: string, logger?: Logger): OutboxStore;
}

/** The embedded store's outbox file: beside the state file, named after it (`data/state.sqlite` → `data/state.outbox.sqlite`). */
export function outboxFileFor(stateFile: string): string {
  if (stateFile === ':memory:') return stateFile;
  const ext = extname(stateFile);
  return join(dirname(stateFile), `${basename(stateFile, ext)}.outbox${ext || '.sqlite'}`);
}

/** The backends in the order they are tried. */
export const OUTBOX_BACKENDS: OutboxBackend[] = [
  { name: 'memory', matches: (url) => url === 'memory://', open: () => new MemoryOutboxStore() },
  {
    name: 'sqlite',
    matches: (url) => url.startsWith('file:'),
    // One process owns the embedded file, so leases left by its previous run are released at once.
    open: (url) => new SqliteOutboxStore(outboxFileFor(url.slice('file:'.length).replace(/^\/\//, '')), { releaseLeasesAtOpen: true, busyTimeoutMs: 2000 }),
  },
  {
    name: 'redis',
    matches: (url) => url.startsWith('redis://') || url.startsWith('rediss://'),
    // Shared by every instance (issue 10). main.ts takes it on the StateStore's own connection (sharedOutboxParts); this row opens one for the outbox alone.
    open: (url) => new RedisOutboxStore(RedisConnection.open(url), { ownsConnection: true }),
  },
];

/** Opens the outbox for a state store URL; throws for a URL no backend takes (the URL is not echoed: it may carry a password). */
export function openOutboxStore(storeUrl: string, logger?: Logger): OutboxStore {
  const backend = OUTBOX_BACKENDS.find((b) => b.matches(storeUrl));
  if (!backend) throw new Error('no outbox backend for this STORE_URL: use memory://, file:<path> or redis://…');
  return backend.open(storeUrl, logger);
}

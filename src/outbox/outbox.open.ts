/**
 * Opening the OutboxStore that sits beside the StateStore `STORE_URL` names: one table of
 * backends, so a shared backend (Redis, issue 10) is one more row.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from '../log.js';
import { MemoryOutboxStore } from './memory.store.js';
import type { OutboxStore } from './outbox.store.js';
import { SqliteOutboxStore } from './sqlite.store.js';

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
    // Until the shared Redis outbox lands (issue 10), each instance keeps its own in memory: what it holds is lost on a crash.
    open: (_url, logger) => {
      logger?.warn('outbox kept in memory: the Redis outbox backend is not built yet');
      return new MemoryOutboxStore();
    },
  },
];

/** Opens the outbox for a state store URL; throws for a URL no backend takes (the URL is not echoed: it may carry a password). */
export function openOutboxStore(storeUrl: string, logger?: Logger): OutboxStore {
  const backend = OUTBOX_BACKENDS.find((b) => b.matches(storeUrl));
  if (!backend) throw new Error('no outbox backend for this STORE_URL: use memory://, file:<path> or redis://…');
  return backend.open(storeUrl, logger);
}

/** The local backend: state and outbox in one SQLite file for one process (`file:`), or in memory (`memory://`). */
import { basename, dirname, extname, join } from 'node:path';
import type { OutboxStore } from '../../outbox/outbox.store.js';
import { SlidingWindowLimiter } from '../../outbox/rate.limiter.js';
import { TimeIndex } from '../../reminders/time.index.js';
import type { StateStore } from '../../store/state-store.js';
import type { Backend, LeaderLease } from '../backend.js';
import { KeyvStateStore } from './keyv.store.js';
import { MemoryOutboxStore } from './memory.outbox.js';
import { SqliteOutboxStore } from './sqlite.outbox.js';

/** The embedded store's outbox file: beside the state file, named after it (`data/state.sqlite` → `data/state.outbox.sqlite`). */
export function outboxFileFor(stateFile: string): string {
  if (stateFile === ':memory:') return stateFile;
  const ext = extname(stateFile);
  return join(dirname(stateFile), `${basename(stateFile, ext)}.outbox${ext || '.sqlite'}`);
}

// One process owns the local store, so it always leads.
const SOLE_LEADER: LeaderLease = { held: true, renewEveryMs: 60_000, hold: async () => true, release: async () => true };

/** Opens the local backend on a SQLite file, or in memory when there is none. */
export function openLocalBackend(file?: string): Backend {
  if (file === undefined) return localBackend(KeyvStateStore.memory(), new MemoryOutboxStore());
  // One process owns the embedded file, so leases left by its previous run are released at once.
  return localBackend(KeyvStateStore.sqlite(file), new SqliteOutboxStore(outboxFileFor(file), { releaseLeasesAtOpen: true, busyTimeoutMs: 2000 }));
}

/** The local backend over a state and an outbox already open (tests hand in their own); closing it closes both. */
export function localBackend(state: StateStore, outbox: OutboxStore = new MemoryOutboxStore()): Backend {
  return {
    state,
    outbox,
    rateLimiter: (limits) => new SlidingWindowLimiter(limits),
    dueIndex: () => new TimeIndex(),
    leader: () => SOLE_LEADER,
    openFilings: (opening) => opening.local(),
    async close() {
      await outbox.close();
      await state.close();
    },
  };
}

/**
 * The local backend: state and outbox in one SQLite file for one process (`file:`), on one
 * connection, so a turn's writes and its replies can commit in one transaction; `memory://` is the same in memory.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { LocalFilingSource } from '../../filings/filings.local.js';
import type { FilingSource } from '../../filings/filings.port.js';
import type { OutboxStore } from '../../outbox/outbox.store.js';
import { SlidingWindowLimiter } from '../../outbox/rate.limiter.js';
import { TimeIndex } from '../../reminders/time.index.js';
import type { Backend, LeaderLease } from '../backend.js';
import { KeyvStateStore } from './keyv.store.js';
import { openSqliteFile, truncateWal } from './sqlite.file.js';
import { SqliteOutboxStore } from './sqlite.outbox.js';

/** Where the outbox had a file of its own before it shared the state's (`data/state.sqlite` → `data/state.outbox.sqlite`). */
function formerOutboxFile(stateFile: string): string {
  const ext = extname(stateFile);
  return join(dirname(stateFile), `${basename(stateFile, ext)}.outbox${ext || '.sqlite'}`);
}

/** Moves what waits in a former outbox file into the shared file (once, at the first start after the change), then removes it. */
function adoptFormerOutbox(db: Database.Database, stateFile: string): void {
  const former = formerOutboxFile(stateFile);
  if (!existsSync(former)) return;
  db.prepare('ATTACH DATABASE ? AS former').run(former);
  try {
    const columns = 'id, channel, chat_id, payload, class, deadline, not_before, expires_at, attempts, last_error, failing_since, alerted, meta, enqueued_at';
    db.transaction(() => {
      db.exec(`INSERT OR IGNORE INTO main.outbox (${columns}) SELECT ${columns} FROM former.outbox ORDER BY seq`);
      db.exec('INSERT OR IGNORE INTO main.outbox_done (id, done_at) SELECT id, done_at FROM former.outbox_done');
    })();
  } finally {
    db.exec('DETACH DATABASE former');
  }
  for (const path of [former, `${former}-wal`, `${former}-shm`]) rmSync(path, { force: true });
}

// One process owns the local store, so it always leads.
const SOLE_LEADER: LeaderLease = { held: true, renewEveryMs: 60_000, hold: async () => true, release: async () => true };

/** Opens the local backend on one SQLite file for state and outbox; `:memory:` (for `memory://`) keeps it in memory. */
export function openLocalBackend(file = ':memory:'): Backend {
  const db = openSqliteFile(file);
  // One process owns the local file, so leases left by its previous run are released at once.
  const outbox = new SqliteOutboxStore(db, { releaseLeasesAtOpen: true });
  try {
    if (file !== ':memory:') adoptFormerOutbox(db, file);
  } catch (error) {
    db.close();
    throw new Error(`the former outbox file ${formerOutboxFile(file)} could not be moved into ${file}: ${(error as Error).message}`);
  }
  return localBackend(KeyvStateStore.sqlite(db), outbox, async () => truncateWal(db));
}

/** The local backend over a state and an outbox already open (tests hand in their own), and how to scrub their file; the filings go into the state's database; closing it closes all. */
export function localBackend(state: KeyvStateStore, outbox: OutboxStore = new SqliteOutboxStore(':memory:'), scrub: () => Promise<void> = async () => {}): Backend {
  const filings: FilingSource[] = [];
  return {
    state,
    severalInstances: false,
    outbox,
    scrub,
    rateLimiter: (limits, opts) => new SlidingWindowLimiter(limits, opts),
    dueIndex: () => new TimeIndex(),
    leader: () => SOLE_LEADER,
    async openFilings({ state: within, source, keyOf, logger }) {
      // A namespace of the state (a set-aside console demo) keeps its filings in tables of its own.
      const home = within instanceof KeyvStateStore ? within : state;
      const opened = await LocalFilingSource.open(source, { store: home.namespace('filings'), db: home.database, tables: home.space, keyOf, logger });
      filings.push(opened);
      return opened;
    },
    async close() {
      for (const opened of filings) await opened.close();
      await outbox.close();
      await state.close();
    },
  };
}

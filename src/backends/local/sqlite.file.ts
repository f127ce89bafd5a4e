/** The local backend's one SQLite file, shared by the state and the outbox (one connection, so one write can hold both). */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * How long a statement waits for another connection's lock before it fails with SQLITE_BUSY.
 * better-sqlite3 is synchronous, so SQLite's busy handler sleeps on the Node main thread: for the
 * whole wait nothing else runs (no webhook, no /healthz, no timer). Real lock holders (a WAL
 * checkpoint, another process's write transaction) hold for milliseconds, so 2 s rides them out
 * with a wide margin, while a lock held longer is a fault the caller should see now (a 503 and a
 * retry) rather than a process frozen for the library's default of 5 s per statement.
 */
const SQLITE_BUSY_TIMEOUT_MS = 2_000;

/**
 * Creates the file (and its folder) readable by the owner only, and tightens an older file made
 * 0644. SQLite gives the -wal and -shm files the database file's own mode, so they follow.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
}

/** Opens a SQLite file (`:memory:` for none) created 0600, in WAL mode, with deleted rows overwritten. */
export function openSqliteFile(file: string, busyTimeoutMs = SQLITE_BUSY_TIMEOUT_MS): Database.Database {
  if (file !== ':memory:') createPrivateFile(file);
  const db = new Database(file, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  // WAL with NORMAL survives a process crash; only a power cut may lose the last commits.
  db.pragma('synchronous = NORMAL');
  // Deleted rows (a /forget, an expired record, a sent message) are overwritten, not left readable in free pages.
  db.pragma('secure_delete = ON');
  return db;
}

/**
 * Copies the WAL into the file and empties it: secure delete zeroes what a delete freed in the file,
 * but the -wal file keeps the pages as they were before until it is overwritten or truncated.
 */
export function truncateWal(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

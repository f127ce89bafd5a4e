/**
 * The embedded OutboxStore: its own tables in the local backend's SQLite file (better-sqlite3, one connection, WAL).
 * Claims walk one index in urgency order, so claiming the most urgent due messages costs the
 * same with 10 or 100,000 waiting. Errors are thrown to the caller, never swallowed.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { DEFAULT_KEEP_DONE_MS, isForgotten, namesForgotten, type ClaimOptions, type Forgotten, type OutboxStats, type OutboxStore, type Reschedule } from '../../outbox/outbox.store.js';
import { compareUrgency, toStoredMessage, type NewOutboxMessage, type OutboxMessage } from '../../outbox/outbox.types.js';
import { openSqliteFile } from './sqlite.file.js';

interface Row {
  seq: number;
  id: string;
  channel: OutboxMessage['channel'];
  chat_id: string;
  payload: string;
  class: number;
  deadline: number;
  not_before: number;
  expires_at: number | null;
  attempts: number;
  last_error: string | null;
  failing_since: number | null;
  alerted: number;
  meta: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  class INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  failing_since INTEGER,
  alerted INTEGER NOT NULL DEFAULT 0,
  meta TEXT,
  enqueued_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS outbox_urgency ON outbox(class, deadline, seq, not_before, lease_until);
CREATE INDEX IF NOT EXISTS outbox_time ON outbox(not_before, lease_until);
CREATE INDEX IF NOT EXISTS outbox_lease ON outbox(lease_until) WHERE lease_until > 0;
CREATE TABLE IF NOT EXISTS outbox_done (id TEXT PRIMARY KEY, done_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_done_at ON outbox_done(done_at);
CREATE TABLE IF NOT EXISTS outbox_probe (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
`;

const CLASS = { interactive: 0, proactive: 1 } as const;

/** Options for the embedded outbox. */
export interface SqliteOutboxOptions {
  /** How long a writer waits for a lock held by another connection before the call fails. */
  busyTimeoutMs?: number;
  /** How long finished ids are remembered, so a replayed enqueue stays a no-op. */
  keepDoneMs?: number;
  /**
   * Hands back every lease at open. Only for a file one process owns (the embedded store): the
   * leases in it were taken by this process's previous run, which is gone, so a restart need not
   * wait them out. Never with a file several processes share.
   */
  releaseLeasesAtOpen?: boolean;
}

/** The outbox in a SQLite file (created with mode 0600: it holds rendered messages to people). */
export class SqliteOutboxStore implements OutboxStore {
  private readonly db: Database.Database;
  private readonly keepDoneMs: number;
  private lastForget = -Infinity;
  private readonly sql;
  private readonly enqueueMany: (rows: OutboxMessage[], now: number) => number;
  private readonly finish: (id: string, now: number) => void;
  private readonly probe: (token: string) => string | undefined;

  /** `file`: a path (opened here, created 0600), or the local backend's file already open, shared with the state. */
  constructor(file: string | Database.Database, opts: SqliteOutboxOptions = {}) {
    this.keepDoneMs = opts.keepDoneMs ?? DEFAULT_KEEP_DONE_MS;
    this.db = typeof file === 'string' ? openSqliteFile(file, opts.busyTimeoutMs) : file;
    this.db.exec(SCHEMA);
    if (opts.releaseLeasesAtOpen) this.db.exec('UPDATE outbox SET lease_until = 0, lease_owner = NULL WHERE lease_until > 0');
    const db = this.db;
    this.sql = {
      insert: db.prepare(
        `INSERT INTO outbox (id, channel, chat_id, payload, class, deadline, not_before, expires_at, meta, enqueued_at)
         SELECT @id, @channel, @chatId, @payload, @class, @deadline, @notBefore, @expiresAt, @meta, @now
         WHERE NOT EXISTS (SELECT 1 FROM outbox_done WHERE id = @id)
         ON CONFLICT(id) DO NOTHING`,
      ),
      claim: db.prepare<[number, string, number, number, number]>(
        `UPDATE outbox SET lease_until = ?, lease_owner = ?
         WHERE seq IN (SELECT seq FROM outbox WHERE not_before <= ? AND lease_until <= ? ORDER BY class, deadline, seq LIMIT ?)
         RETURNING seq, id, channel, chat_id, payload, class, deadline, not_before, expires_at, attempts, last_error, failing_since, alerted, meta`,
      ),
      del: db.prepare<[string]>('DELETE FROM outbox WHERE id = ?'),
      done: db.prepare<[string, number]>('INSERT OR REPLACE INTO outbox_done (id, done_at) VALUES (?, ?)'),
      forget: db.prepare<[number]>('DELETE FROM outbox_done WHERE done_at < ?'),
      reschedule: db.prepare(
        `UPDATE outbox SET not_before = @notBefore, lease_until = 0, lease_owner = NULL,
           last_error = CASE WHEN @failed THEN @reason ELSE last_error END,
           attempts = COALESCE(@attempts, attempts), failing_since = COALESCE(@failingSince, failing_since),
           alerted = COALESCE(@alerted, alerted)
         WHERE id = @id`,
      ),
      release: db.prepare<[string]>('UPDATE outbox SET lease_until = 0, lease_owner = NULL WHERE id = ?'),
      nextFree: db.prepare<[number], { t: number | null }>('SELECT MIN(not_before) AS t FROM outbox WHERE lease_until <= ?'),
      nextLease: db.prepare<[number], { t: number | null }>('SELECT MIN(lease_until) AS t FROM outbox WHERE lease_until > ?'),
      byClass: db.prepare<[], { class: number; n: number; oldest: number }>('SELECT class, COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM outbox GROUP BY class'),
      leased: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE lease_until > ?'),
      get: db.prepare<[string], Row>('SELECT * FROM outbox WHERE id = ?'),
      addressed: db.prepare<[], Pick<Row, 'id' | 'channel' | 'chat_id'>>('SELECT id, channel, chat_id FROM outbox'),
      doneIds: db.prepare<[], { id: string }>('SELECT id FROM outbox_done'),
      undone: db.prepare<[string]>('DELETE FROM outbox_done WHERE id = ?'),
    };
    this.enqueueMany = db.transaction((rows: OutboxMessage[], now: number) => {
      let added = 0;
      for (const m of rows) {
        const params = {
          id: m.id,
          channel: m.channel,
          chatId: m.chatId,
          payload: JSON.stringify(m.payload),
          class: CLASS[m.priority],
          deadline: m.deadline,
          notBefore: m.notBefore,
          expiresAt: m.expiresAt ?? null,
          meta: m.meta === undefined ? null : JSON.stringify(m.meta),
          now,
        };
        added += this.sql.insert.run(params).changes;
      }
      return added;
    });
    this.finish = db.transaction((id: string, now: number) => {
      if (this.sql.del.run(id).changes > 0) this.sql.done.run(id, now);
    });
    const probeSet = db.prepare<[string]>('INSERT INTO outbox_probe (id, token) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET token = excluded.token');
    const probeGet = db.prepare<[], { token: string }>('SELECT token FROM outbox_probe WHERE id = 1');
    this.probe = db.transaction((token: string) => {
      probeSet.run(token);
      return probeGet.get()?.token;
    });
  }

  async enqueue(messages: readonly NewOutboxMessage[], now: number): Promise<number> {
    // Validated in full first: a batch with one bad message stores nothing.
    const rows = messages.map((m) => toStoredMessage(m, now, 0));
    if (now - this.lastForget > 60_000) {
      this.lastForget = now;
      this.sql.forget.run(now - this.keepDoneMs);
    }
    return this.enqueueMany(rows, now);
  }

  async claim(opts: ClaimOptions): Promise<OutboxMessage[]> {
    const rows = this.sql.claim.all(opts.now + opts.leaseMs, opts.owner, opts.now, opts.now, opts.limit) as Row[];
    // RETURNING gives no order guarantee; the caller expects urgency order.
    return rows.map(toMessage).sort(compareUrgency);
  }

  async ack(id: string, now: number): Promise<void> {
    this.finish(id, now);
  }

  async drop(id: string, _reason: string, now: number): Promise<void> {
    this.finish(id, now);
  }

  async reschedule(id: string, change: Reschedule): Promise<void> {
    this.sql.reschedule.run({
      id,
      notBefore: change.notBefore,
      failed: change.failed ? 1 : 0,
      reason: change.reason,
      attempts: change.attempts ?? null,
      failingSince: change.failingSince ?? null,
      alerted: change.alerted === undefined ? null : change.alerted ? 1 : 0,
    });
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.sql.release.run(id);
    })();
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    const free = this.sql.nextFree.get(now)?.t ?? undefined;
    const lease = this.sql.nextLease.get(now)?.t ?? undefined;
    if (free === undefined) return lease;
    return lease === undefined ? free : Math.min(free, lease);
  }

  async stats(now: number): Promise<OutboxStats> {
    const stats: OutboxStats = { pending: 0, byClass: { interactive: 0, proactive: 0 }, leased: this.sql.leased.get(now)?.n ?? 0, oldestAgeMs: 0 };
    for (const row of this.sql.byClass.all()) {
      stats.byClass[row.class === CLASS.interactive ? 'interactive' : 'proactive'] = row.n;
      stats.pending += row.n;
      stats.oldestAgeMs = Math.max(stats.oldestAgeMs, now - row.oldest);
    }
    return stats;
  }

  async forget(forgotten: Forgotten): Promise<number> {
    const pending = this.sql.addressed.all().filter((r) => isForgotten({ id: r.id, channel: r.channel, chatId: r.chat_id }, forgotten));
    const done = this.sql.doneIds.all().filter((r) => namesForgotten(r.id, forgotten));
    this.db.transaction(() => {
      for (const r of pending) this.sql.del.run(r.id);
      for (const r of done) this.sql.undone.run(r.id);
    })();
    return pending.length + done.length;
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const row = this.sql.get.get(id);
    return row ? toMessage(row) : undefined;
  }

  async ping(): Promise<void> {
    // A read alone passes under another connection's write lock (WAL readers are never blocked), so the probe writes.
    const token = randomUUID();
    if (this.probe(token) !== token) throw new Error('the outbox probe read back a different value than it wrote');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** The query plan of a claim, for the test that keeps it on the urgency index. */
  explainClaim(): string {
    const plan = this.db.prepare('EXPLAIN QUERY PLAN SELECT seq FROM outbox WHERE not_before <= 0 AND lease_until <= 0 ORDER BY class, deadline, seq LIMIT 10').all() as Array<{ detail: string }>;
    return plan.map((p) => p.detail).join('; ');
  }
}

function toMessage(row: Row): OutboxMessage {
  const message: OutboxMessage = {
    id: row.id,
    channel: row.channel,
    chatId: row.chat_id,
    payload: JSON.parse(row.payload),
    priority: row.class === CLASS.interactive ? 'interactive' : 'proactive',
    deadline: row.deadline,
    notBefore: row.not_before,
    seq: row.seq,
    attempts: row.attempts,
  };
  if (row.expires_at !== null) message.expiresAt = row.expires_at;
  if (row.meta !== null) message.meta = JSON.parse(row.meta);
  if (row.last_error !== null) message.lastError = row.last_error;
  if (row.failing_since !== null) message.failingSince = row.failing_since;
  if (row.alerted) message.alerted = true;
  return message;
}

/**
 * The filings of one process: tables in the state's own SQLite database, on the local backend's one
 * connection (in memory for `memory://`). FILINGS_FILE is imported into them once per content hash,
 * so a restart with the same file reads no record of it; a filing an event changed keeps the
 * event's version over the file's.
 *
 * Tables: `filings` (id, sealed JSON, open flag, evented flag, import generation), `filing_phones`
 * (phone key → id) and `filings_meta` (the imported hash and generation).
 */
import type Database from 'better-sqlite3';
import type { FilingEvent } from './events.js';
import type { Filing } from './filing.js';
import type { Logger } from '../log.js';
import { phonesOf } from '../rules/verifiers.rules.js';
import { guarded, type StoreOperation } from '../store/store.errors.js';
import { alreadyImported, PAGE_SIZE, importInBatches, type FilingsImport } from './filings.import.js';
import { applyEvent, ClosedMarks, filingSealer, isOpen, phoneKeyer, type ApplyResult, type FilingListener, type FilingSource, type FilingSourceParts } from './filings.port.js';

/** What the local source is opened with. */
export interface LocalFilingsOptions extends FilingSourceParts {
  /** The SQLite connection the state lives on; its owner (the backend) closes it. */
  db: Database.Database;
  /** A prefix of the table names, for filings kept apart from the others in the same database. */
  tables?: string;
  logger?: Logger;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS filings (id TEXT PRIMARY KEY, json TEXT NOT NULL, open INTEGER NOT NULL, evented INTEGER NOT NULL, gen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS filings_open ON filings(open) WHERE open = 1;
CREATE TABLE IF NOT EXISTS filing_phones (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS filing_phones_id ON filing_phones(id);
CREATE TABLE IF NOT EXISTS filings_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

const TABLE_NAMES = /\b(filings_meta|filings_open|filing_phones_id|filing_phones|filings)\b/g;

type Row = { rowid: number; json: string };

/** Filings in SQLite beside the state, imported once per file content. */
export class LocalFilingSource implements FilingSource {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly keyOf: (phone: string) => string;
  private readonly seal: (filing: Filing) => Filing;
  private readonly closed: ClosedMarks;
  private readonly listeners: FilingListener[] = [];
  private readonly backend: string;
  private pending?: { records: Filing[]; hash: string };
  private importing?: Promise<void>;

  private constructor(private readonly o: LocalFilingsOptions) {
    this.db = o.db;
    this.backend = o.db.memory ? 'memory' : 'sqlite';
    this.keyOf = phoneKeyer(o.keyOf);
    this.seal = filingSealer(o, this.keyOf);
    this.closed = new ClosedMarks(o.store);
    // A set-aside console demo keeps its filings apart from the earlier demo's, as it keeps its state.
    const t = (sql: string) => sql.replace(TABLE_NAMES, `${o.tables?.replace(/\W/g, '_') ?? ''}$1`);
    this.db.exec(t(SCHEMA));
    this.stmts = {
      get: this.db.prepare<[string], Row & { evented: number }>(t('SELECT rowid, json, evented FROM filings WHERE id = ?')),
      byKey: this.db.prepare<[string], Row>(t('SELECT f.rowid, f.json FROM filing_phones p JOIN filings f ON f.id = p.id WHERE p.key = ? ORDER BY f.rowid')),
      page: this.db.prepare<[number, number], Row>(t('SELECT rowid, json FROM filings WHERE rowid > ? ORDER BY rowid LIMIT ?')),
      openPage: this.db.prepare<[number, number], Row>(t('SELECT rowid, json FROM filings WHERE open = 1 AND rowid > ? ORDER BY rowid LIMIT ?')),
      count: this.db.prepare<[], { n: number }>(t('SELECT count(*) AS n FROM filings')),
      countOpen: this.db.prepare<[], { n: number }>(t('SELECT count(*) AS n FROM filings WHERE open = 1')),
      put: this.db.prepare<[string, string, number, number, number]>(
        t('INSERT INTO filings (id, json, open, evented, gen) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, open = excluded.open, evented = excluded.evented, gen = excluded.gen'),
      ),
      keep: this.db.prepare<[number, string]>(t('UPDATE filings SET gen = ? WHERE id = ?')),
      delete: this.db.prepare<[string]>(t('DELETE FROM filings WHERE id = ?')),
      deletePhones: this.db.prepare<[string]>(t('DELETE FROM filing_phones WHERE id = ?')),
      addPhone: this.db.prepare<[string, string]>(t('INSERT OR IGNORE INTO filing_phones (key, id) VALUES (?, ?)')),
      // What the file no longer holds goes, unless an event wrote it: the file is the filing system's export.
      dropStale: this.db.prepare<[number]>(t('DELETE FROM filings WHERE evented = 0 AND gen < ?')),
      dropStalePhones: this.db.prepare(t('DELETE FROM filing_phones WHERE id NOT IN (SELECT id FROM filings)')),
      meta: this.db.prepare<[string], { value: string }>(t('SELECT value FROM filings_meta WHERE name = ?')),
      setMeta: this.db.prepare<[string, string]>(t('INSERT INTO filings_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value')),
    };
  }

  /**
   * Opens the tables, takes in what an older version kept in the state store, and reads and checks
   * the file only when its content was never imported (a FilingsFileError then fails the start);
   * writing it is left to `settle()`.
   */
  static async open(source: FilingsImport, opts: LocalFilingsOptions): Promise<LocalFilingSource> {
    const filings = new LocalFilingSource(opts);
    await filings.takeInStoredEvents();
    if (!alreadyImported(source, filings.stmts.meta.get('imported')?.value, opts.logger)) filings.pending = { records: source.records(), hash: source.hash };
    return filings;
  }

  // Before the table, event changes lived in the state store as `filing:<id>`: they move into the table once.
  private async takeInStoredEvents(): Promise<void> {
    for await (const key of this.o.store.keys('filing:')) {
      const stored = await this.o.store.get<Filing>(key);
      if (stored) this.put(this.seal(stored), true, this.generation());
      await this.o.store.delete(key);
    }
  }

  settle(): Promise<void> {
    const pending = this.pending;
    if (!pending) return this.importing ?? Promise.resolve();
    this.pending = undefined;
    // A failed import (the disk, a lock) is tried again by the next reader rather than failing every read from then on.
    this.importing = this.importNow(pending.records, pending.hash).catch((error: unknown) => {
      this.pending = pending;
      this.importing = undefined;
      throw error;
    });
    return this.importing;
  }

  private async importNow(records: Filing[], hash: string): Promise<void> {
    const gen = this.generation() + 1;
    const batch = this.db.transaction((filings: Filing[]) => {
      for (const filing of filings) {
        const row = this.stmts.get.get(filing.id);
        if (row?.evented) this.stmts.keep.run(gen, filing.id);
        else this.put(this.seal(filing), false, gen, row !== undefined);
      }
    });
    await importInBatches(records, (filings) => this.run('set', () => batch(filings)), this.o.logger);
    await this.run('set', () =>
      this.db.transaction(() => {
        this.stmts.dropStale.run(gen);
        this.stmts.dropStalePhones.run();
        this.stmts.setMeta.run('gen', String(gen));
        this.stmts.setMeta.run('imported', hash);
      })(),
    );
  }

  private generation(): number {
    return Number(this.stmts.meta.get('gen')?.value ?? 0);
  }

  private put(filing: Filing, evented: boolean, gen: number, existed = true): void {
    this.stmts.put.run(filing.id, JSON.stringify(filing), isOpen(filing) ? 1 : 0, evented ? 1 : 0, gen);
    // A filing new to the table has no phone rows to replace: a first import skips that statement per filing.
    if (existed) this.stmts.deletePhones.run(filing.id);
    for (const phone of phonesOf(filing)) this.stmts.addPhone.run(this.keyOf(phone), filing.id);
  }

  // Every read waits for the start's import, and a SQLite failure is a StoreError like the state store's.
  private async read<T>(call: () => T): Promise<T> {
    await this.settle();
    return this.run('get', call);
  }

  private run<T>(operation: StoreOperation, call: () => T): Promise<T> {
    return guarded(operation, this.backend, () => {
      if (!this.db.open) throw new Error('the filings database is closed');
      return call();
    });
  }

  get(id: string): Promise<Filing | undefined> {
    return this.read(() => parse(this.stmts.get.get(id)));
  }

  byPhoneKey(key: string): Promise<Filing[]> {
    return this.read(() => this.stmts.byKey.all(key).map((row) => JSON.parse(row.json) as Filing));
  }

  openWindows(): AsyncIterable<Filing> {
    return this.pages(this.stmts.openPage);
  }

  all(): AsyncIterable<Filing> {
    return this.pages(this.stmts.page);
  }

  // Pages by rowid rather than one open cursor: the connection stays free for writes between two pages.
  private async *pages(statement: Database.Statement<[number, number], Row>): AsyncIterable<Filing> {
    let after = 0;
    for (;;) {
      const rows = await this.read(() => statement.all(after, PAGE_SIZE));
      for (const row of rows) yield JSON.parse(row.json) as Filing;
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]!.rowid;
    }
  }

  count(): Promise<number> {
    return this.read(() => this.stmts.count.get()!.n);
  }

  countOpen(): Promise<number> {
    return this.read(() => this.stmts.countOpen.get()!.n);
  }

  async apply(event: FilingEvent): Promise<ApplyResult> {
    await this.settle();
    return applyEvent(
      {
        store: this.o.store,
        closed: this.closed,
        seal: this.seal,
        keyOf: this.keyOf,
        sealing: this.o.seal !== false,
        read: (id) => this.run('get', () => parse(this.stmts.get.get(id))),
        write: (filing) => this.run('set', () => this.db.transaction(() => this.put(filing, true, this.generation()))()),
        listeners: this.listeners,
      },
      event,
    );
  }

  onChange(listener: FilingListener): void {
    this.listeners.push(listener);
  }

  closedAt(id: string): Promise<string | undefined> {
    return this.closed.at(id);
  }

  markClosed(id: string, at: string): Promise<void> {
    return this.closed.mark(id, at);
  }

  async drop(id: string): Promise<void> {
    await this.settle();
    await this.o.store.withLock(`lock:filing:${id}`, () =>
      this.run('delete', () =>
        this.db.transaction(() => {
          this.stmts.delete.run(id);
          this.stmts.deletePhones.run(id);
        })(),
      ),
    );
  }

  /** The time index lives in this process's memory: it takes in every open filing at each start. */
  toIndexAtStart(): AsyncIterable<Filing> {
    return this.openWindows();
  }

  /** Waits for a running import; the connection belongs to the state store, which closes it. */
  async close(): Promise<void> {
    await this.importing?.catch(() => undefined);
  }
}

function parse(row: { json: string } | undefined): Filing | undefined {
  return row ? (JSON.parse(row.json) as Filing) : undefined;
}

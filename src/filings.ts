/** The FilingSource: filings loaded from FILINGS_FILE, changed by events, indexed by id and phone. */
import { readFileSync } from 'node:fs';
import type { Dayjs } from './time.js';
import { dayjs } from './time.js';
import { FilingSchema, FilingsFileSchema, type Filing } from './filing.js';
import { fastFiling } from './filing.fastparse.js';
import type { FilingEvent } from './events.js';
import { KeyedMutex, type StateStore } from './store/state-store.js';
import { phonesOf, requiredVerifiers } from './rules/verifiers.rules.js';
import { sealedKey, sealPhone } from './rules/phone.rules.js';
import { sealFiling } from './rules/privacy.rules.js';
import { sealFilingInPlace } from './filing.seal.js';
import { isDeepStrictEqual } from 'node:util';

/** A problem found in a filings file: which record, which id, which field, what is wrong. */
export interface FilingProblem {
  index: number;
  id?: string;
  field: string;
  message: string;
}

/** A filings file that cannot be loaded; nothing of it is used. */
export class FilingsFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: FilingProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem(s), nothing loaded:\n` +
        problems.map((p) => `  - record ${p.index}${p.id ? ` (id ${p.id})` : ''}, field ${p.field}: ${p.message}`).join('\n'),
    );
  }
}

/** The instant the demo file's times are written around; the demo is shifted so that this is "now". */
export const DEMO_ANCHOR = '2026-11-29T12:00:00+08:00';

/**
 * Validates every record; returns all filings or every problem (record index, id, field). Records
 * of the common valid shape take the fast path; the rest go through zod, whose messages they get.
 * `owned`: the caller gives the JSON away (a freshly read file), so records are settled in place.
 */
export function parseFilings(json: unknown, file = 'filings', opts: { owned?: boolean } = {}): Filing[] {
  const records = isPlainObject(json) && Array.isArray(json.filings) ? json.filings : undefined;
  if (!records && !FilingsFileSchema.safeParse(json).success)
    throw new FilingsFileError(file, [{ index: -1, field: 'filings', message: 'the file must be {"filings": [ … ]}' }]);
  const list: unknown[] = records ?? FilingsFileSchema.parse(json).filings;
  const problems: FilingProblem[] = [];
  const filings: Filing[] = [];
  const seen = new Map<string, number>();
  for (let index = 0; index < list.length; index++) {
    const raw = list[index];
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    let filing = fastFiling(raw, opts.owned);
    if (!filing) {
      const parsed = FilingSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ index, id, field: issue.path.join('.') || '(record)', message: issue.message });
        continue;
      }
      filing = parsed.data;
    }
    const earlier = seen.get(filing.id);
    if (earlier !== undefined) problems.push({ index, id, field: 'id', message: `duplicates record ${earlier}` });
    seen.set(filing.id, index);
    filings.push(filing);
  }
  if (problems.length > 0) throw new FilingsFileError(file, problems);
  return filings;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and validates a filings file; throws FilingsFileError with every problem. */
export function readFilingsFile(file: string): Filing[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FilingsFileError(file, [{ index: -1, field: '(file)', message: (error as Error).message }]);
  }
  return parseFilings(json, file, { owned: true });
}

/** Moves every cycle time of the demo by `now - DEMO_ANCHOR`, so the demo stays meaningful on any date. */
export function shiftDemo(filings: Filing[], now: Dayjs): Filing[] {
  const delta = now.valueOf() - dayjs(DEMO_ANCHOR).valueOf();
  const shift = (iso: string) => dayjs(dayjs(iso).valueOf() + delta).toISOString();
  return filings.map((f) =>
    f.cycle
      ? {
          ...f,
          cycle: {
            ...f.cycle,
            reportedAt: shift(f.cycle.reportedAt),
            verified: Object.fromEntries(Object.entries(f.cycle.verified).map(([p, at]) => [p, shift(at)])),
          },
        }
      : f,
  );
}

/** What applying an event did. */
export type ApplyResult =
  | { ok: true; filing: Filing; previous?: Filing }
  | { ok: false; error: 'unknown_filing'; field: 'filingId' }
  | { ok: false; error: 'not_a_verifier'; field: 'phone' }
  | { ok: false; error: 'no_cycle'; field: 'filingId' };

/** Statuses after which a filing needs nothing more from anyone: its state is kept 30 days, then goes. */
export const CLOSED_STATUSES: ReadonlySet<Filing['status']> = new Set(['approved', 'withdrawn']);
/** How long a closed filing's state (and the people only it names) are kept after it closed. */
export const CLOSED_KEEP_MS = 30 * 86_400_000;
// The closing time outlives the filing it dates, so a filing the file brings back after a restart is not kept anew.
const CLOSED_MARK_TTL_MS = 400 * 86_400_000;

/** Called after a filing changed, so indexes (the reminder time index) can follow. */
export type FilingListener = (filing: Filing, previous: Filing | undefined, event: FilingEvent) => void;

/** How a FilingSource keeps filings. */
export interface FilingSourceOptions {
  /**
   * Seal every filing as it comes in (file, store, `filing.upserted`): phones kept only as masked
   * form plus key, names only masked (`sealFiling`), so neither memory nor the store holds them in
   * clear. Needs a real keyer: the app's PhoneKeyer.
   */
  seal?: boolean;
  /** The caller gives the filings away (a freshly read file): they are sealed in place, not copied. */
  owned?: boolean;
}

/**
 * Filings in memory, indexed by id and by phone (principals and emergency contact), with every
 * event-applied change persisted in the store so it survives a restart.
 */
export class FilingSource {
  private readonly byId = new Map<string, Filing>();
  // One id (most phones name one filing) or several, in the order they came: a Set per phone cost 4× the memory at 100,000 filings.
  private readonly idsByPhone = new Map<string, string | string[]>();
  private readonly listeners: FilingListener[] = [];
  private readonly mutex = new KeyedMutex();
  /** Turns a phone (plain or sealed) into the key the phone index uses (identity by default; the app uses its PhoneKeyer). */
  readonly keyOf: (phone: string) => string;
  private readonly sealing: boolean;
  /** When each closed filing closed (ISO), as stored under `closed:<id>`. */
  private readonly closed = new Map<string, string>();

  constructor(
    filings: Filing[],
    private readonly store?: StateStore,
    keyOf: (phone: string) => string = (phone) => phone,
    opts: FilingSourceOptions = {},
  ) {
    this.keyOf = (phone) => sealedKey(phone) ?? keyOf(phone);
    this.sealing = opts.seal ?? false;
    const owned = this.sealing && opts.owned === true;
    for (const f of filings) this.put(owned ? sealFilingInPlace(f, this.keyOf) : this.sealed(f));
  }

  /** Loads the file, then the changes events made before the last stop (sealing, and re-writing sealed, any an older version kept in clear). */
  static async open(filings: Filing[], store: StateStore, keyOf?: (phone: string) => string, opts?: FilingSourceOptions): Promise<FilingSource> {
    const source = new FilingSource(filings, store, keyOf, opts);
    for await (const key of store.keys('closed:')) {
      const at = await store.get<string>(key);
      if (typeof at === 'string') source.closed.set(key.slice('closed:'.length), at);
    }
    for await (const key of store.keys('filing:')) {
      const stored = await store.get<Filing>(key);
      if (!stored) continue;
      const sealed = source.sealed(stored);
      if (!isDeepStrictEqual(sealed, stored)) await store.set(key, sealed);
      source.put(sealed);
    }
    return source;
  }

  /** The filing as this source keeps it: sealed when sealing, else unchanged. */
  sealed(filing: Filing): Filing {
    return this.sealing ? sealFiling(filing, this.keyOf) : filing;
  }

  /** The filing with this id. */
  get(id: string): Filing | undefined {
    return this.byId.get(id);
  }

  /** Filings naming this normalized phone as a principal or emergency contact. */
  byPhone(phone: string): Filing[] {
    return this.byPhoneKey(this.keyOf(phone));
  }

  /** Filings naming the phone with this key. */
  byPhoneKey(key: string): Filing[] {
    const ids = this.idsByPhone.get(key);
    if (ids === undefined) return [];
    const out: Filing[] = [];
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const filing = this.byId.get(id);
      if (filing) out.push(filing);
    }
    return out;
  }

  /** Every filing. */
  all(): IterableIterator<Filing> {
    return this.byId.values();
  }

  /** How many filings are loaded. */
  get size(): number {
    return this.byId.size;
  }

  /** Filings in a verification window (status verifying). */
  *openWindows(): Iterable<Filing> {
    for (const f of this.byId.values()) if (f.status === 'verifying' && f.cycle) yield f;
  }

  /** Registers a listener for changes. */
  onChange(listener: FilingListener): void {
    this.listeners.push(listener);
  }

  /**
   * Applies a filing event (CONTRACT §2), persists the result and tells the listeners. Events for one
   * filing apply one at a time, each reading the filing inside the lock, so none overwrites another.
   */
  async apply(event: FilingEvent): Promise<ApplyResult> {
    const id = event.type === 'filing.upserted' ? event.filing.id : event.filingId;
    const lockKey = `lock:filing:${id}`;
    return this.store ? this.store.withLock(lockKey, () => this.applyNow(event)) : this.mutex.run(lockKey, () => this.applyNow(event));
  }

  private async applyNow(event: FilingEvent): Promise<ApplyResult> {
    let next: Filing;
    const previous = event.type === 'filing.upserted' ? this.byId.get(event.filing.id) : this.byId.get(event.filingId);
    switch (event.type) {
      case 'filing.upserted':
        next = this.sealed(event.filing);
        break;
      case 'filing.reported':
        if (!previous) return { ok: false, error: 'unknown_filing', field: 'filingId' };
        // The same report seen again (a crash between applying an event and marking its id) is not a new cycle.
        if (previous.status === 'verifying' && previous.cycle && Date.parse(previous.cycle.reportedAt) === Date.parse(event.at)) return { ok: true, filing: previous, previous };
        next = { ...previous, status: 'verifying', returnReason: undefined, cycle: { number: (previous.cycle?.number ?? 0) + 1, reportedAt: event.at, verified: {} } };
        break;
      case 'verification.confirmed': {
        if (!previous) return { ok: false, error: 'unknown_filing', field: 'filingId' };
        if (!previous.cycle) return { ok: false, error: 'no_cycle', field: 'filingId' };
        // Filings hold sealed phones: the event's phone is sealed the same way before it is compared or kept.
        const phone = this.sealing ? sealPhone(event.phone, this.keyOf) : event.phone;
        if (!requiredVerifiers(previous).verifiers.some((v) => v.phone === phone)) return { ok: false, error: 'not_a_verifier', field: 'phone' };
        next = { ...previous, cycle: { ...previous.cycle, verified: { ...previous.cycle.verified, [phone]: event.at } } };
        break;
      }
      case 'filing.returned':
        if (!previous) return { ok: false, error: 'unknown_filing', field: 'filingId' };
        next = { ...previous, status: 'returned', returnReason: event.reason };
        break;
      case 'filing.status':
        if (!previous) return { ok: false, error: 'unknown_filing', field: 'filingId' };
        next = { ...previous, status: event.status, returnReason: event.status === 'returned' ? previous.returnReason : undefined };
        break;
    }
    next = stripUndefined(next);
    const closed = CLOSED_STATUSES.has(next.status);
    if (closed && !this.closed.has(next.id)) await this.markClosed(next.id, event.at);
    else if (!closed && this.closed.delete(next.id)) await this.store?.delete(`closed:${next.id}`);
    // A closed filing's state expires (the retention sweep judges the 30 days on the injected clock; this TTL is the backstop).
    await this.store?.set(`filing:${next.id}`, next, closed ? CLOSED_KEEP_MS : undefined);
    this.put(next);
    for (const listener of this.listeners) listener(next, previous, event);
    return { ok: true, filing: next, previous };
  }

  /** When a closed filing closed (ISO), if known. */
  closedAt(id: string): string | undefined {
    return this.closed.get(id);
  }

  /** Records when a filing closed (first time only matters: the retention clock starts there). */
  async markClosed(id: string, at: string): Promise<void> {
    this.closed.set(id, at);
    await this.store?.set(`closed:${id}`, at, CLOSED_MARK_TTL_MS);
  }

  /** Removes a filing from memory and the store (retention); its closing time is kept so a restart does not keep it anew. */
  async drop(id: string): Promise<void> {
    const run = async () => {
      const old = this.byId.get(id);
      if (old) this.unindex(old);
      this.byId.delete(id);
      await this.store?.delete(`filing:${id}`);
    };
    const lockKey = `lock:filing:${id}`;
    await (this.store ? this.store.withLock(lockKey, run) : this.mutex.run(lockKey, run));
  }

  private put(filing: Filing): void {
    const old = this.byId.get(filing.id);
    if (old) this.unindex(old);
    this.byId.set(filing.id, filing);
    this.index(filing);
  }

  // The phone index, by hand rather than through phonesOf: it runs for every filing at start.
  private index(filing: Filing): void {
    const id = filing.id;
    const add = (phone: string) => {
      const key = this.keyOf(phone);
      const ids = this.idsByPhone.get(key);
      if (ids === undefined) this.idsByPhone.set(key, id);
      else if (typeof ids === 'string') {
        if (ids !== id) this.idsByPhone.set(key, [ids, id]);
      } else if (!ids.includes(id)) ids.push(id);
    };
    add(filing.subject.principal.phone);
    for (const w of filing.websites) add(w.principal.phone);
    if (filing.emergencyPhone) add(filing.emergencyPhone);
  }

  private unindex(filing: Filing): void {
    for (const phone of phonesOf(filing)) {
      const key = this.keyOf(phone);
      const ids = this.idsByPhone.get(key);
      if (ids === filing.id) this.idsByPhone.delete(key);
      else if (Array.isArray(ids)) {
        const rest = ids.filter((id) => id !== filing.id);
        if (rest.length === 0) this.idsByPhone.delete(key);
        else this.idsByPhone.set(key, rest.length === 1 ? rest[0]! : rest);
      }
    }
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

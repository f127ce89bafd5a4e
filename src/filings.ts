/**
 * The FilingSource: filings loaded from FILINGS_FILE, changed by events, indexed by id and phone.
 * (Over 300 lines: the asynchronous reads that shared filings need sit beside the synchronous ones they mirror.)
 */
import type { Filing } from './filing.js';
import type { FilingEvent } from './events.js';
import { KeyedMutex, type StateStore } from './store/state-store.js';
import { requiredVerifiers } from './rules/verifiers.rules.js';
import { PhoneIndex } from './filings.index.js';
import { sealedKey, sealPhone } from './rules/phone.rules.js';
import { sealFiling } from './rules/privacy.rules.js';
import { sealFilingInPlace } from './filing.seal.js';
import { isDeepStrictEqual } from 'node:util';
import { loopYielder } from './loop.yield.js';

export { DEMO_ANCHOR, FilingsFileError, parseFilings, readFilingsFile, shiftDemo, type FilingProblem } from './filings.file.js';

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
export const CLOSED_MARK_TTL_MS = 400 * 86_400_000;

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
  /**
   * Seal and index the given filings in `settle()`, in slices that share the event loop, rather than
   * in the constructor: main opens the port first (issue 12). Every reader settles the rest at once
   * if it comes first; the turn runner and `apply` wait for `settle()` instead, so they never stall the loop.
   */
  deferred?: boolean;
}

// Filings sealed and indexed per slice of `settle()`: a few milliseconds of work between two turns of the loop.
const SETTLE_SLICE = 256;

/**
 * Filings in memory, indexed by id and by phone (principals and emergency contact), with every
 * event-applied change persisted in the store so it survives a restart.
 */
export class FilingSource {
  private readonly byId = new Map<string, Filing>();
  private readonly phones: PhoneIndex;
  protected readonly listeners: FilingListener[] = [];
  private readonly mutex = new KeyedMutex();
  /** Turns a phone (plain or sealed) into the key the phone index uses (identity by default; the app uses its PhoneKeyer). */
  readonly keyOf: (phone: string) => string;
  private readonly sealing: boolean;
  /** When each closed filing closed (ISO), as stored under `closed:<id>`. */
  private readonly closed = new Map<string, string>();
  /** Deferred: the file's filings not sealed and indexed yet, from `next` on (validated, still in clear). */
  private pending: Filing[] = [];
  private next = 0;
  private readonly owned: boolean;
  /** Deferred: what events stored, by id; each takes its file filing's place, the rest follow the file's. */
  private readonly stored = new Map<string, Filing>();
  private settling?: Promise<void>;

  constructor(
    filings: Filing[],
    private readonly store?: StateStore,
    keyOf: (phone: string) => string = (phone) => phone,
    opts: FilingSourceOptions = {},
  ) {
    this.keyOf = (phone) => sealedKey(phone) ?? keyOf(phone);
    this.phones = new PhoneIndex(this.keyOf);
    this.sealing = opts.seal ?? false;
    this.owned = this.sealing && opts.owned === true;
    if (opts.deferred) this.pending = filings;
    else for (const f of filings) this.put(this.fromFile(f));
  }

  private fromFile(filing: Filing): Filing {
    return this.owned ? sealFilingInPlace(filing, this.keyOf) : this.sealed(filing);
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
      if (source.next < source.pending.length) source.stored.set(sealed.id, sealed);
      else source.put(sealed);
    }
    return source;
  }

  /** Whether every filing is sealed and indexed (always, unless `deferred` and `settle()` has not finished). */
  get settled(): boolean {
    return this.next >= this.pending.length && this.stored.size === 0;
  }

  /** Seals and indexes the filings left (`deferred`), a slice at a time between turns of the event loop; resolves when all are. */
  settle(): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settling ??= (async () => {
      const pause = loopYielder();
      while (!this.settled) {
        this.settleSome(SETTLE_SLICE);
        await pause();
      }
    })();
    return this.settling;
  }

  // Seals and indexes up to `count` pending filings, in the order the file and then the store gave them.
  private settleSome(count: number): void {
    const end = Math.min(this.pending.length, this.next + count);
    for (; this.next < end; this.next++) {
      const filing = this.pending[this.next]!;
      const stored = this.stored.get(filing.id);
      if (stored) this.stored.delete(filing.id);
      this.put(stored ?? this.fromFile(filing));
      // Sealed in place or replaced: the array no longer holds the clear record.
      if (!this.owned) continue;
      this.pending[this.next] = undefined as unknown as Filing;
    }
    if (this.next < this.pending.length) return;
    this.pending = [];
    this.next = 0;
    for (const filing of this.stored.values()) this.put(filing);
    this.stored.clear();
  }

  // A reader that came before settle() finished: the rest is settled now, so it never sees a filing in clear or misses one.
  private ready(): void {
    if (!this.settled) this.settleSome(Number.POSITIVE_INFINITY);
  }

  /** The filing as this source keeps it: sealed when sealing, else unchanged. */
  sealed(filing: Filing): Filing {
    return this.sealing ? sealFiling(filing, this.keyOf) : filing;
  }

  /** The filing with this id. */
  get(id: string): Filing | undefined {
    this.ready();
    return this.byId.get(id);
  }

  /** Filings naming this normalized phone as a principal or emergency contact. */
  byPhone(phone: string): Filing[] {
    return this.byPhoneKey(this.keyOf(phone));
  }

  /** Filings naming the phone with this key. */
  byPhoneKey(key: string): Filing[] {
    this.ready();
    const out: Filing[] = [];
    for (const id of this.phones.get(key)) {
      const filing = this.byId.get(id);
      if (filing) out.push(filing);
    }
    return out;
  }

  /** Every filing. */
  all(): IterableIterator<Filing> {
    this.ready();
    return this.byId.values();
  }

  /** How many filings are loaded. */
  get size(): number {
    this.ready();
    return this.byId.size;
  }

  /** Filings in a verification window (status verifying). */
  *openWindows(): Iterable<Filing> {
    this.ready();
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
    await this.settle();
    return this.store ? this.store.withLock(lockKey, () => this.applyNow(event)) : this.mutex.run(lockKey, () => this.applyNow(event));
  }

  private async applyNow(event: FilingEvent): Promise<ApplyResult> {
    const previous = this.byId.get(event.type === 'filing.upserted' ? event.filing.id : event.filingId);
    const result = this.transition(previous, event);
    if (!result.ok || result.filing === previous) return result;
    const next = result.filing;
    const closed = CLOSED_STATUSES.has(next.status);
    if (closed && !this.closed.has(next.id)) await this.markClosed(next.id, event.at);
    else if (!closed && this.closed.delete(next.id)) await this.store?.delete(`closed:${next.id}`);
    // A closed filing's state expires (the retention sweep judges the 30 days on the injected clock; this TTL is the backstop).
    await this.store?.set(`filing:${next.id}`, next, closed ? CLOSED_KEEP_MS : undefined);
    this.put(next);
    this.notify(next, previous, event);
    return result;
  }

  /** Tells every listener about a change that was applied and stored. */
  protected notify(filing: Filing, previous: Filing | undefined, event: FilingEvent): void {
    for (const listener of this.listeners) listener(filing, previous, event);
  }

  /**
   * What an event makes of a filing (CONTRACT §2), sealed as this source keeps filings, without
   * storing anything: the new filing, the same object (a report seen again), or why it does not apply.
   */
  protected transition(previous: Filing | undefined, event: FilingEvent): ApplyResult {
    let next: Filing;
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
    return { ok: true, filing: stripUndefined(next), previous };
  }

  /** False here: every filing is in memory, and the synchronous reads work. True for filings shared on Redis. */
  get shared(): boolean {
    return false;
  }

  /**
   * The filing with this id; the same as `get` here, and a read of the shared store on several
   * instances (`fresh`: never from the instance's short-lived cache, for decisions like a tick's).
   */
  async load(id: string, _opts?: { fresh?: boolean }): Promise<Filing | undefined> {
    return this.get(id);
  }

  /** Filings naming the phone with this key; `byPhoneKey` here, a read of the shared store on several instances. */
  async loadByPhoneKey(key: string): Promise<Filing[]> {
    return this.byPhoneKey(key);
  }

  /** Filings in a verification window, read in batches on several instances. */
  async *scanOpen(): AsyncIterable<Filing> {
    yield* this.openWindows();
  }

  /** Every filing, read in batches on several instances. */
  async *scanAll(): AsyncIterable<Filing> {
    yield* [...this.all()];
  }

  /** How many filings are in a verification window. */
  async countOpen(): Promise<number> {
    let n = 0;
    for (const _ of this.openWindows()) n += 1;
    return n;
  }

  /** The filings the reminder time index must take in at start: the open ones here; on several instances, only if this one imported them. */
  toIndexAtStart(): AsyncIterable<Filing> {
    return this.scanOpen();
  }

  /** When a closed filing closed (ISO), if known; read from the shared store on several instances. */
  async loadClosedAt(id: string): Promise<string | undefined> {
    return this.closedAt(id);
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
    await this.settle();
    const run = async () => {
      const old = this.byId.get(id);
      if (old) this.phones.remove(old);
      this.byId.delete(id);
      await this.store?.delete(`filing:${id}`);
    };
    const lockKey = `lock:filing:${id}`;
    await (this.store ? this.store.withLock(lockKey, run) : this.mutex.run(lockKey, run));
  }

  private put(filing: Filing): void {
    const old = this.byId.get(filing.id);
    if (old) this.phones.remove(old);
    this.byId.set(filing.id, filing);
    this.phones.add(filing);
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

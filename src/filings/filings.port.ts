/**
 * The FilingSource port: filings read and changed asynchronously, whichever backend holds them
 * (the local SQLite table, or Redis for several instances), plus what both implementations share:
 * what an event makes of a filing, and the one way an event is applied.
 */
import type { FilingEvent } from './events.js';
import type { Filing } from './filing.js';
import { sealedKey, sealPhone } from '../rules/phone.rules.js';
import { sealFiling } from '../rules/privacy.rules.js';
import { requiredVerifiers } from '../rules/verifiers.rules.js';
import type { StateStore } from '../store/state-store.js';

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
/** How long a closing time is kept: it outlives the filing it dates, so a filing a new file brings back is not kept anew. */
export const CLOSED_MARK_TTL_MS = 400 * 86_400_000;

/** Called after a filing changed, so indexes (the reminder time index, the team's views) can follow. */
export type FilingListener = (filing: Filing, previous: Filing | undefined, event: FilingEvent) => void;

/**
 * Where filings live. Every read waits for the start's import (if one runs) to finish, so no reader
 * sees half a file; `settle()` runs that import, in batches that share the event loop.
 */
export interface FilingSource {
  /** The filing with this id; `fresh` skips any short-lived cache (for decisions like a reminder tick's). */
  get(id: string, opts?: { fresh?: boolean }): Promise<Filing | undefined>;
  /** Filings naming the phone with this key (a principal or the emergency contact). */
  byPhoneKey(key: string): Promise<Filing[]>;
  /** Filings in a verification window (status verifying, with a cycle), read in batches. */
  openWindows(): AsyncIterable<Filing>;
  /** Every filing, read in batches. */
  all(): AsyncIterable<Filing>;
  /** How many filings there are. */
  count(): Promise<number>;
  /** How many filings are in a verification window. */
  countOpen(): Promise<number>;
  /** Applies a filing event under the filing's lock, keeps the result and tells the listeners. */
  apply(event: FilingEvent): Promise<ApplyResult>;
  /** Registers a listener for applied changes. */
  onChange(listener: FilingListener): void;
  /** When a closed filing closed (ISO), if known. */
  closedAt(id: string): Promise<string | undefined>;
  /** Records when a filing closed (the first time is what counts: the retention clock starts there). */
  markClosed(id: string, at: string): Promise<void>;
  /** Removes a filing (retention); its closing time is kept. */
  drop(id: string): Promise<void>;
  /** The filings the reminder time index must take in at start (none where another instance built the shared index). */
  toIndexAtStart(): AsyncIterable<Filing>;
  /** Runs the start's import if one is due (once; later calls wait for the same one). */
  settle(): Promise<void>;
  /** Releases what the source holds of its own (a database connection); the state store is closed by its owner. */
  close(): Promise<void>;
}

/** What every implementation is built with. */
export interface FilingSourceParts {
  /** The state store, namespaced for filings: per-filing locks and closing times. */
  store: StateStore;
  /** Turns a plain phone into its key (the app's PhoneKeyer); a sealed phone carries its key already. */
  keyOf?: (phone: string) => string;
  /** Seal every filing as it comes in (phones as masked form plus key, names masked). Default true; unit tests may keep phones plain. */
  seal?: boolean;
}

/** A phone's key: the key a sealed phone carries, else the keyer's. */
export function phoneKeyer(keyOf: (phone: string) => string = (phone) => phone): (phone: string) => string {
  return (phone) => sealedKey(phone) ?? keyOf(phone);
}

/** How a source keeps a filing: sealed by the one sealer, or as given. */
export function filingSealer(parts: FilingSourceParts, keyOf: (phone: string) => string): (filing: Filing) => Filing {
  return parts.seal === false ? (filing) => filing : (filing) => sealFiling(filing, keyOf);
}

/** Whether a filing is in a verification window. */
export function isOpen(filing: Filing): boolean {
  return filing.status === 'verifying' && filing.cycle !== undefined;
}

/** The id an event is about. */
export function eventFilingId(event: FilingEvent): string {
  return event.type === 'filing.upserted' ? event.filing.id : event.filingId;
}

/**
 * What an event makes of a filing (CONTRACT §2), sealed as the source keeps filings, without storing
 * anything: the new filing, the same object (a report seen again), or why it does not apply.
 */
export function transition(previous: Filing | undefined, event: FilingEvent, seal: (filing: Filing) => Filing, sealedPhone: (phone: string) => string): ApplyResult {
  let next: Filing;
  switch (event.type) {
    case 'filing.upserted':
      next = seal(event.filing);
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
      const phone = sealedPhone(event.phone);
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

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Closing times, kept in the state store under `closed:<id>` by every implementation. */
export class ClosedMarks {
  constructor(private readonly store: StateStore) {}

  /** When the filing closed, if known. */
  async at(id: string): Promise<string | undefined> {
    const at = await this.store.get<string>(`closed:${id}`);
    return typeof at === 'string' ? at : undefined;
  }

  /** Records when the filing closed. */
  mark(id: string, at: string): Promise<void> {
    return this.store.set(`closed:${id}`, at, CLOSED_MARK_TTL_MS);
  }

  /** Keeps the closing time of a filing that closed now, or forgets it when the filing opened again. */
  async follow(filing: Filing, at: string): Promise<void> {
    if (!CLOSED_STATUSES.has(filing.status)) await this.store.delete(`closed:${filing.id}`);
    else if ((await this.at(filing.id)) === undefined) await this.mark(filing.id, at);
  }
}

/** What `applyEvent` reads and writes through: one implementation's rows. */
export interface EventRows {
  store: StateStore;
  closed: ClosedMarks;
  seal: (filing: Filing) => Filing;
  keyOf: (phone: string) => string;
  sealing: boolean;
  /** The filing as stored now (never from a cache). */
  read(id: string): Promise<Filing | undefined>;
  /** Stores a filing an event changed (its version then wins over a later import of the file). */
  write(filing: Filing): Promise<void>;
  listeners: readonly FilingListener[];
}

/**
 * Applies an event the one way every implementation does: under the filing's lock in the state
 * store (across instances on Redis), reading the filing inside it, so no event overwrites another.
 */
export function applyEvent(target: EventRows, event: FilingEvent): Promise<ApplyResult> {
  const id = eventFilingId(event);
  const sealedPhone = (phone: string) => (target.sealing ? sealPhone(phone, target.keyOf) : phone);
  return target.store.withLock(`lock:filing:${id}`, async () => {
    const previous = await target.read(id);
    const result = transition(previous, event, target.seal, sealedPhone);
    if (!result.ok || result.filing === previous) return result;
    await target.closed.follow(result.filing, event.at);
    await target.write(result.filing);
    for (const listener of target.listeners) listener(result.filing, previous, event);
    return result;
  });
}

/**
 * One storage backend per `STORE_URL`, opened once: the state, the outbox, the send budget, the
 * reminders' time index and leader lease, and the filings. Callers get the parts and never ask
 * which backend they came from; a new backend is one folder here that passes the backend contract
 * tests (`test/unit/backend.contract.ts`).
 */
import { StartError } from '../start.errors.js';
import type { FilingsImport } from '../filings/filings.import.js';
import type { FilingSource } from '../filings/filings.port.js';
import type { Logger } from '../log.js';
import type { OutboxStore } from '../outbox/outbox.store.js';
import type { OutboxChannel } from '../outbox/outbox.types.js';
import type { ChannelLimits, RateLimiter, ReserveOptions } from '../outbox/rate.limiter.js';
import type { DueIndex } from '../reminders/time.index.js';
import type { StateStore } from '../store/state-store.js';
import { openLocalBackend } from './local/local.backend.js';
import { openRedisBackend } from './redis/redis.backend.js';
import { parseStoreUrl } from './store.url.js';

/** Who dispatches reminders: held by one instance at a time, renewed by its holder, taken over when it lapses. */
export interface LeaderLease {
  /** True while the last renewal is known to hold (a local view; `hold()` asks the backend). */
  readonly held: boolean;
  /** How often the holder renews and the others try to take over. */
  readonly renewEveryMs: number;
  /** Renews the lease if held here, takes it if free; true when this instance holds it now. */
  hold(): Promise<boolean>;
  /** Gives the lease up (a clean stop), so another instance takes over at its next try; true when it was held without a gap until then. */
  release(): Promise<boolean>;
}

/** What the filings are opened with, whichever backend keeps them. */
export interface FilingsOpening {
  /** The state the filings keep their locks and closing times in: the backend's, or a namespace of it (a set-aside console demo's, whose filings are kept apart). */
  state: StateStore;
  /** The file's content hash and its records (read only when that content was never imported into this backend). */
  source: FilingsImport;
  keyOf: (phone: string) => string;
  logger?: Logger;
}

/** Everything that lives in the store a `STORE_URL` names. */
export interface Backend {
  /** Key-value state with TTLs, atomic set-if-absent and per-key locks; its `ping`/`describe` are the backend's health. */
  readonly state: StateStore;
  /** Whether several instances may share this backend, so a periodic job must be claimed by one of them. */
  readonly severalInstances: boolean;
  /** Where messages wait until their platform accepted them; enqueueing an id twice is a no-op. */
  readonly outbox: OutboxStore;
  /** The send budget for the given per-platform limits (shared by every instance on a shared backend); each grant reserved for `reserveMs`. */
  rateLimiter(limits?: Partial<Record<OutboxChannel, ChannelLimits>>, opts?: ReserveOptions): RateLimiter;
  /** The reminders' time index: each open filing's next due instant. */
  dueIndex(): DueIndex;
  /** The lease that makes one instance at a time run the job `name`. */
  leader(name: string): LeaderLease;
  /** Opens the filings kept in this backend, importing the file there once per content (the writes run in `settle()`); `close` closes them. */
  openFilings(opening: FilingsOpening): Promise<FilingSource>;
  /** Leaves no copy of deleted records in the backend's files (after the retention sweep). */
  scrub(): Promise<void>;
  /** Closes every part and the connection or file under them. */
  close(): Promise<void>;
}

/** Opens the backend `STORE_URL` names; a failure is a StartError naming STORE_URL (never echoing it: it may hold a password). */
export function openBackend(url: string): Backend {
  let location: ReturnType<typeof parseStoreUrl>;
  try {
    location = parseStoreUrl(url);
  } catch (error) {
    throw new StartError(`STORE_URL: ${(error as Error).message}`, { cause: error });
  }
  if (location.redisUrl) {
    try {
      return openRedisBackend(location.redisUrl);
    } catch (error) {
      throw new StartError(`STORE_URL: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    return openLocalBackend(location.file);
  } catch (error) {
    throw new StartError(`the store file ${location.file} cannot be opened (${(error as Error).message}): set STORE_URL to file:<a path this process can write>`, { cause: error });
  }
}

/** Opening the FilingSource beside the state store: Redis keys on Redis, tables in the state's SQLite file, or an in-memory database. */
import type { Logger } from '../log.js';
import { KeyvStateStore } from '../store/keyv.store.js';
import { RedisStateStore } from '../store/redis.store.js';
import type { StateStore } from '../store/state-store.js';
import type { FilingsImport } from './filings.import.js';
import { LocalFilingSource } from './filings.local.js';
import type { FilingSource } from './filings.port.js';
import { RedisFilingSource } from './filings.redis.js';

/** What the filings are opened with. */
export interface OpenFilingsOptions {
  /** The file's content hash and its records (read only when that content was never imported). */
  source: FilingsImport;
  keyOf: (phone: string) => string;
  logger?: Logger;
}

/**
 * Opens the filings where the state store keeps its data, importing FILINGS_FILE there once per
 * content (the import's writes run in `settle()`). The one place that asks which store this is.
 */
export function openFilings(store: StateStore, opts: OpenFilingsOptions): Promise<FilingSource> {
  const parts = { store: store.namespace('filings'), keyOf: opts.keyOf, logger: opts.logger };
  if (store instanceof RedisStateStore) return RedisFilingSource.open(opts.source, { ...parts, connection: store.connection, root: store.root });
  const file = store instanceof KeyvStateStore ? store.file : undefined;
  return LocalFilingSource.open(opts.source, { ...parts, ...(file ? { file } : {}) });
}

/**
 * Importing FILINGS_FILE into the backend once per content: the content hash that says whether this
 * file was imported already (so a restart reads no record), and the batched import that runs with
 * the port open and logs its progress.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Clock } from '../clock.js';
import { DEMO_FILINGS_FILE, type Config } from '../config.js';
import type { Filing } from './filing.js';
import type { Logger } from '../log.js';
import { loopYielder } from '../loop.yield.js';

/** Where the filings come from: the content hash (cheap), and the records, read and checked only when that content was never imported. */
export interface FilingsImport {
  hash: string;
  records: () => Filing[];
}

/** Filings read per page (SQLite pages, Redis scans and writes). */
export const PAGE_SIZE = 500;
// Filings sealed and written per batch of an import: a few milliseconds of work between two turns of the event loop (500 stalled it for 300 ms on a busy machine).
const WRITE_BATCH = 100;
// A progress line every this many filings, so a long first start shows it is moving.
const PROGRESS_EVERY = 10_000;

/**
 * What to import: the hash of the file's bytes (streamed, so a large file is not held in memory to
 * learn it was imported already), of the phone key (the phone index depends on it), and for the
 * demo of the instant it is shifted to; `given` filings (tests) are hashed as JSON.
 */
export async function filingsImport(config: Pick<Config, 'filingsFile'>, clock: Clock, keyOf: (phone: string) => string, records: () => Filing[], given?: Filing[]): Promise<FilingsImport> {
  const hash = createHash('sha256');
  if (given) hash.update(JSON.stringify(given));
  else {
    try {
      for await (const chunk of createReadStream(config.filingsFile)) hash.update(chunk as Buffer);
    } catch {
      // Unreadable: the import's read reports it with the file's name.
      hash.update(randomUUID());
    }
    // The demo is shifted to each start's now, so what it brings differs at every start (a dozen records, imported again).
    if (config.filingsFile === DEMO_FILINGS_FILE) hash.update(clock.now().toISOString());
  }
  hash.update(keyOf('00000000000'));
  return { hash: hash.digest('hex'), records };
}

/** Whether this content was imported already; logs it, so an operator sees a restart skip the file. */
export function alreadyImported(source: FilingsImport, imported: string | null | undefined, logger: Logger | undefined): boolean {
  if (imported !== source.hash) return false;
  logger?.info('filings file already imported: no record read', { hash: source.hash.slice(0, 12) });
  return true;
}

/**
 * Writes `records` in batches, pausing between them so requests get in, and logs the progress. One
 * batch's write stays in flight while the next is sealed, so a networked store's round trip overlaps
 * this process's work (its commands still run in the order sent, so a later record wins).
 */
export async function importInBatches(records: Filing[], write: (batch: Filing[]) => void | Promise<void>, logger: Logger | undefined): Promise<void> {
  const started = performance.now();
  const total = records.length;
  const pause = loopYielder();
  logger?.info('filings import started', { filings: total });
  let nextReport = PROGRESS_EVERY;
  let inFlight: Promise<void> = Promise.resolve();
  for (let i = 0; i < total; i += WRITE_BATCH) {
    const end = Math.min(total, i + WRITE_BATCH);
    const written = Promise.resolve(write(records.slice(i, end)));
    // Its failure is thrown at the next await; until then it must not count as unhandled.
    written.catch(() => undefined);
    await inFlight;
    inFlight = written;
    if (i >= nextReport) {
      logger?.info('filings import progress', { done: i, filings: total });
      nextReport += PROGRESS_EVERY;
    }
    await pause();
  }
  await inFlight;
  logger?.info('filings imported', { filings: total, ms: Math.round(performance.now() - started) });
}

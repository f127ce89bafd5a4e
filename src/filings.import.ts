/** What FILINGS_FILE brings to the shared filings on Redis: a content hash to import once per, and the records, parsed only by the importer. */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Clock } from './clock.js';
import { DEMO_FILINGS_FILE, type Config } from './config.js';
import type { Filing } from './filing.js';

/** Where the file comes from: its content hash (cheap) and its records (parsed only by the importer). */
export interface FilingsImport {
  hash: string;
  records: () => Filing[];
}

/**
 * What to import: the hash of the file's bytes (streamed, so a large file is not held in memory to
 * learn it was imported already), of the phone key (the phone index depends on it), and for the
 * demo of the day it is shifted to; the records are parsed only by the instance that imports.
 */
export async function filingsImport(config: Pick<Config, 'filingsFile'>, clock: Clock, keyOf: (phone: string) => string, records: () => Filing[], given?: Filing[]): Promise<FilingsImport> {
  const hash = createHash('sha256');
  if (given) hash.update(JSON.stringify(given));
  else {
    try {
      for await (const chunk of createReadStream(config.filingsFile)) hash.update(chunk as Buffer);
    } catch {
      // Unreadable: the importer's parse reports it with the file's name.
      hash.update(randomUUID());
    }
    if (config.filingsFile === DEMO_FILINGS_FILE) hash.update(clock.now().format('YYYY-MM-DD'));
  }
  hash.update(keyOf('00000000000'));
  return { hash: hash.digest('hex'), records };
}

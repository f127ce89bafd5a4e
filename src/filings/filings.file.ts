/** The filings file: reading and validating FILINGS_FILE (every problem at once), and shifting the demo to now. */
import { readFileSync } from 'node:fs';
import type { Dayjs } from '../time.js';
import { dayjs } from '../time.js';
import { FilingSchema, FilingsFileSchema, type Filing } from './filing.js';

/** A problem found in a filings file: which record, which id, which field, what is wrong. */
export interface FilingProblem {
  index: number;
  id?: string;
  field: string;
  message: string;
}

/** A filings file that cannot be loaded; nothing of it is used. */
export class FilingsFileError extends Error {
  /** One line per problem: the file, the record (index and id) and field when it is one record's, and what is wrong. */
  readonly lines: string[];

  constructor(
    readonly file: string,
    readonly problems: FilingProblem[],
  ) {
    const lines = problems.map((p) => (p.index < 0 ? `${file}: ${p.message}` : `${file}, record ${p.index}${p.id ? ` (id ${p.id})` : ''}, field ${p.field}: ${p.message}`));
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/** The instant the demo file's times are written around; the demo is shifted so that this is "now". */
export const DEMO_ANCHOR = '2026-11-29T12:00:00+08:00';

/**
 * Validates every record with FilingSchema; returns all filings or every problem (record index, id, field).
 * Runs only when a file's content was never imported, so one schema is all the checking there is.
 */
export function parseFilings(json: unknown, file = 'filings'): Filing[] {
  const shape = FilingsFileSchema.safeParse(json);
  if (!shape.success) throw new FilingsFileError(file, [{ index: -1, field: 'filings', message: 'the file must be {"filings": [ … ]}' }]);
  const problems: FilingProblem[] = [];
  const filings: Filing[] = [];
  const seen = new Map<string, number>();
  shape.data.filings.forEach((raw, index) => {
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    const parsed = FilingSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ index, id, field: issue.path.join('.') || '(record)', message: issue.message });
      return;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) problems.push({ index, id, field: 'id', message: `duplicates record ${earlier}` });
    seen.set(parsed.data.id, index);
    filings.push(parsed.data);
  });
  if (problems.length > 0) throw new FilingsFileError(file, problems);
  return filings;
}

// A system error's words without its code and the call: `ENOENT: no such file or directory, open 'x'` → `no such file or directory`.
function systemReason(error: unknown): string {
  return (error as Error).message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** Reads and validates a filings file; throws FilingsFileError with every problem. */
export function readFilingsFile(file: string): Filing[] {
  // Only reading the file and parsing its JSON are the file's problems; anything else is a bug, and stays one.
  const unusable = (message: string) => new FilingsFileError(file, [{ index: -1, field: '(file)', message }]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw unusable(`cannot be read (${systemReason(error)}): set FILINGS_FILE to a readable filings file, or leave it unset for the demo filings`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unusable(`is not JSON (${(error as Error).message}): fix the file; its format is in docs/filing-events.md`);
  }
  return parseFilings(json, file);
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

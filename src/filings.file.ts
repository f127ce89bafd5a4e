/** The filings file: reading and validating FILINGS_FILE (every problem at once), and shifting the demo to now. */
import { readFileSync } from 'node:fs';
import type { Dayjs } from './time.js';
import { dayjs } from './time.js';
import { FilingSchema, FilingsFileSchema, type Filing } from './filing.js';
import { fastFiling } from './filing.fastparse.js';
import { splitFilingsFile } from './filings.split.js';

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

/** Checks records one at a time (of a parsed file, or as the file is read): every problem with its record index, id and field. */
class FilingsCheck {
  private readonly problems: FilingProblem[] = [];
  private readonly filings: Filing[] = [];
  private readonly seen = new Map<string, number>();
  private index = 0;

  constructor(private readonly owned: boolean) {}

  /** Records of the common valid shape take the fast path; the rest go through zod, whose messages they get. */
  add(raw: unknown): void {
    const index = this.index++;
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    let filing = fastFiling(raw, this.owned);
    if (!filing) {
      const parsed = FilingSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) this.problems.push({ index, id, field: issue.path.join('.') || '(record)', message: issue.message });
        return;
      }
      filing = parsed.data;
    }
    const earlier = this.seen.get(filing.id);
    if (earlier !== undefined) this.problems.push({ index, id, field: 'id', message: `duplicates record ${earlier}` });
    this.seen.set(filing.id, index);
    this.filings.push(filing);
  }

  /** Every filing, or FilingsFileError with every problem. */
  done(file: string): Filing[] {
    if (this.problems.length > 0) throw new FilingsFileError(file, this.problems);
    return this.filings;
  }
}

/**
 * Validates every record; returns all filings or every problem (record index, id, field).
 * `owned`: the caller gives the JSON away (a freshly read file), so records are settled in place.
 */
export function parseFilings(json: unknown, file = 'filings', opts: { owned?: boolean } = {}): Filing[] {
  const records = isPlainObject(json) && Array.isArray(json.filings) ? json.filings : undefined;
  if (!records && !FilingsFileSchema.safeParse(json).success) throw new FilingsFileError(file, [{ index: -1, field: 'filings', message: 'the file must be {"filings": [ … ]}' }]);
  const list: unknown[] = records ?? FilingsFileSchema.parse(json).filings;
  const check = new FilingsCheck(opts.owned === true);
  for (let index = 0; index < list.length; index++) check.add(list[index]);
  return check.done(file);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A system error's words without its code and the call: `ENOENT: no such file or directory, open 'x'` → `no such file or directory`.
function systemReason(error: unknown): string {
  return (error as Error).message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** Reads and validates a filings file; throws FilingsFileError with every problem. */
export function readFilingsFile(file: string): Filing[] {
  // Only reading the file and parsing its JSON are the file's problems; anything else is a bug, and stays one.
  const unusable = (message: string) => new FilingsFileError(file, [{ index: -1, field: '(file)', message }]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw unusable(`cannot be read (${systemReason(error)}): set FILINGS_FILE to a readable filings file, or leave it unset for the demo filings`);
  }
  // Record by record, each checked as it is parsed, when the file has the usual shape (filings.split.ts).
  const check = new FilingsCheck(true);
  if (splitFilingsFile(bytes, (record) => check.add(record))) return check.done(file);
  // Anything else as a whole, for JSON.parse's own message.
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw unusable(`is not JSON (${(error as Error).message}): fix the file; its format is in docs/filing-events.md`);
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

/**
 * `npm run send-event -- <type> <filingId> [...]`: builds one filing event (CONTRACT §2), signs it with
 * EVENTS_SECRET and POSTs it to the hook, for operators and for trying the hook locally. Exits 0 on a
 * 2xx answer, 1 when the hook refuses or cannot be reached, 2 on bad arguments.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadDotEnv } from '../src/env.js';
import { FilingEventSchema } from '../src/filings/events.js';
import { FILING_STATUSES, RETURN_REASONS } from '../src/filings/filing.js';
import { signEvent } from '../src/http/filing-events.hook.js';

/** How to call the script, printed on any argument error. */
export const USAGE = `usage: npm run send-event -- <type> <filingId> [argument] [options]

  reported  <filingId>                 the SMS went out: a new 24 h cycle starts
  confirmed <filingId> <phone>         that verifier has verified
  returned  <filingId> <reason>        reason: ${RETURN_REASONS.join(' | ')}
  status    <filingId> <status>        status: ${FILING_STATUSES.join(' | ')}
  upserted  <filingId> <file.json>     create or replace the filing: a record, or a FILINGS_FILE holding it

options:
  --url <url>        where to send (default http://127.0.0.1:$PORT/hooks/filing-events, PORT default 3000)
  --secret <secret>  signing key (default $EVENTS_SECRET; .env is read)
  --at <iso>         when it happened, ISO 8601 with an offset (default now)
  --event-id <id>    reuse an id to retry the same event (default a new one)
`;

/** What the command line asks for, or why it cannot be done. */
export type SendRequest = { ok: true; url: string; secret: string; body: string } | { ok: false; message: string };

const TYPES: Record<string, string> = {
  reported: 'filing.reported',
  confirmed: 'verification.confirmed',
  returned: 'filing.returned',
  status: 'filing.status',
  upserted: 'filing.upserted',
};

const OPTIONS = new Set(['--url', '--secret', '--at', '--event-id']);

function splitArgs(argv: string[]): { positional: string[]; options: Map<string, string> } | string {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    if (!OPTIONS.has(arg)) return `unknown option ${arg}`;
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
    options.set(arg, value);
  }
  return { positional, options };
}

function readRecord(file: string, filingId: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const list = (json as { filings?: unknown })?.filings;
  if (!Array.isArray(list)) return json;
  const found = list.find((f) => (f as { id?: unknown })?.id === filingId);
  if (!found) throw new Error(`${file} has no filing ${filingId}`);
  return found;
}

/** Turns the arguments and environment into a signed request, or a message saying what is wrong. */
export function parseRequest(argv: string[], env: NodeJS.ProcessEnv, now: () => Date = () => new Date()): SendRequest {
  const split = splitArgs(argv);
  if (typeof split === 'string') return { ok: false, message: split };
  const [short, filingId, extra, ...rest] = split.positional;
  if (!short) return { ok: false, message: 'missing the event type' };
  const type = TYPES[short] ?? (Object.values(TYPES).includes(short) ? short : undefined);
  if (!type) return { ok: false, message: `unknown event type "${short}"` };
  if (!filingId) return { ok: false, message: 'missing the filing id' };
  const needsExtra = type !== 'filing.reported';
  if (needsExtra && extra === undefined) return { ok: false, message: `${short} needs one more argument after the filing id` };
  if (rest.length > 0 || (!needsExtra && extra !== undefined)) return { ok: false, message: `unexpected argument "${needsExtra ? rest[0] : extra}"` };

  const event: Record<string, unknown> = { eventId: split.options.get('--event-id') ?? `cli-${randomUUID()}`, type, at: split.options.get('--at') ?? now().toISOString() };
  if (type === 'filing.upserted') {
    try {
      event.filing = readRecord(extra!, filingId);
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  } else event.filingId = filingId;
  if (type === 'verification.confirmed') event.phone = extra;
  if (type === 'filing.returned') event.reason = extra;
  if (type === 'filing.status') event.status = extra;

  // Checked here with the hook's own schema, so a typo is named before anything is sent.
  const parsed = FilingEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `${issue.path.join('.') || '(event)'}: ${issue.message}` };
  }
  if (type === 'filing.upserted' && parsed.data.type === 'filing.upserted' && parsed.data.filing.id !== filingId) {
    return { ok: false, message: `the record in ${extra} has id ${parsed.data.filing.id}, not ${filingId}` };
  }
  const secret = split.options.get('--secret') ?? env.EVENTS_SECRET;
  if (!secret) return { ok: false, message: 'no secret: set EVENTS_SECRET (or pass --secret)' };
  const url = split.options.get('--url') ?? `http://127.0.0.1:${env.PORT || '3000'}/hooks/filing-events`;
  try {
    new URL(url);
  } catch {
    return { ok: false, message: `not a URL: ${url}` };
  }
  // The raw object, not the parsed one: the hook normalizes phones itself and must see what an operator typed.
  return { ok: true, url, secret, body: JSON.stringify(event) };
}

/** Signs and sends; prints the answer; resolves to the exit code. */
export async function send(request: Extract<SendRequest, { ok: true }>, out: (line: string) => void, now: () => Date = () => new Date()): Promise<number> {
  const timestamp = String(Math.floor(now().valueOf() / 1000));
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signEvent(request.secret, timestamp, request.body) },
      body: request.body,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    out(`cannot reach ${request.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    return 1;
  }
  out(`HTTP ${res.status} ${(await res.text()).trim()}`);
  return res.ok ? 0 : 1;
}

async function main(): Promise<number> {
  loadDotEnv();
  const request = parseRequest(process.argv.slice(2), process.env);
  if (!request.ok) {
    process.stderr.write(`send-event: ${request.message}\n\n${USAGE}`);
    return 2;
  }
  return send(request, (line) => process.stdout.write(`${line}\n`));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`send-event: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}

/** Structured, redacted logging (RULES R8: never a full phone number, ID characters or a code in a log). */
import { normalizeForGuard, withoutSmsCodes } from './rules/code-guard.rules.js';

/** Log levels, lowest first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A structured logger: a message and fields, written as one JSON line. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const MOBILE = /(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)/g;
const ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])/g;
// A lone 6-digit run; the tail of a filing id like VE-2026-000101 is not one.
const SIX_DIGITS = /(?<![\w-])\d{6}(?![\w-])/g;
const SECRET_KEYS = /token|secret|password|signature|authorization|code/i;
const PERSONAL_KEYS = /^(text|phone|name|contact|body)$/i;

/**
 * Masks anything that looks like a phone, an ID number or a 6-digit code in a string, read as the
 * code guard reads it: full-width digits folded and invisible characters dropped first, so
 * `１２３４５６`, `12 34 56` or a code split by a zero-width space never reach a log line.
 */
export function redactText(text: string): string {
  const masked = normalizeForGuard(text)
    .replace(ID_NUMBER, '[id]')
    .replace(MOBILE, (_m, a: string, _b: string, c: string) => `${a}****${c}`);
  return withoutSmsCodes(masked, '[digits]').replace(SIX_DIGITS, '[digits]');
}

/** Redacts a log field value: secrets and personal fields are dropped, strings are masked. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  if (SECRET_KEYS.test(key)) return '[redacted]';
  if (PERSONAL_KEYS.test(key) && value !== undefined) return '[redacted]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (depth > 4) return '[deep]';
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, '', depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
    return out;
  }
  return value;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** How a log line is written: one JSON object (for log collectors), or plain text for a person at a terminal (the console demo). */
export type LogFormat = 'json' | 'text';

// `warn: <message> (field=value …)`, the same redacted record as the JSON line.
function textLine(record: Record<string, unknown>): string {
  const { t: _t, level, msg, ...fields } = record;
  // One record, one line: a line break inside a value is written as \n, so no value can forge a line.
  const oneLine = (text: string) => text.replace(/\r?\n|\r|\u2028|\u2029/g, '\\n');
  const extra = Object.entries(fields).map(([k, v]) => `${k}=${oneLine(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return `${String(level)}: ${oneLine(String(msg))}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}

/** A JSON-lines (or plain text) logger writing to a sink (stderr by default), redacting every field. */
export function createLogger(opts: { level?: LogLevel | 'silent'; sink?: (line: string) => void; base?: Record<string, unknown>; format?: LogFormat } = {}): Logger {
  const min = opts.level === 'silent' ? Infinity : ORDER[opts.level ?? 'info'];
  const sink = opts.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = opts.base ?? {};
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { t: new Date().toISOString(), level, msg: redactText(msg), ...(redact({ ...base, ...fields }) as object) };
    sink(opts.format === 'text' ? textLine(record) : JSON.stringify(record));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...opts, base: { ...base, ...fields } }),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

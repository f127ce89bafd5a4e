/**
 * The code guard's rule (R8): whether a message holds an SMS code (6 Arabic digits, R2) or an ID
 * number, anywhere in a message of any length. Pure; the router decides what to reply.
 */
import { echoable } from './echo.rules.js';

/** What the guard found: an SMS code, an ID number, or nothing sensitive. */
export type GuardVerdict = 'sms-code' | 'id-number' | 'none';

// An 18-character resident ID (17 digits + digit or X) or an old 15-digit one.
const ID_NUMBER = /(?<![0-9A-Za-z_])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z_])/;
// "The last 6 characters of the ID" typed on their own, ending in X (inside a sentence they are a question, not a paste).
const ID_TAIL = /^\s*\d{5}[Xx]\s*$/;
// A run of digit groups joined by one or two spaces or a dash: "123456", "123 456", "12-34-56", "138 0013 8000".
const CLUSTER = /\d+(?:(?: ?- ?| {1,2})\d+)*/g;
// Dashes and minus signs that NFKC leaves alone, so "123–456" splits like "123-456".
const DASHES = /[\u2010-\u2015\u2212\u2E3A\u2E3B]/g;

// Attached before the digits: part of a word or id (VE-2026-000101, x123456), a URL path, a
// decimal, a masked or international number, an amount.
const BEFORE_WORD = /(?:[A-Za-z0-9_*+/@¥$€£￥]|\d\.|[A-Za-z0-9_]-)$/;
// Attached after the digits: a word or id, a masked number, an email, a decimal, a time, a unit.
const AFTER_WORD = /^(?:[A-Za-z_*@%‰]|[.:/,]\d|-[A-Za-z0-9_])/;
const AFTER_AMOUNT = /^\s?(?:元|块|圆|角|万|亿|円|yuan\b|rmb\b|cny\b|usd\b|dollars?\b)/i;
// Six digits that are a postcode or an ICP licence number, said so just before them.
const BEFORE_NOT_CODE = /(?:邮编|邮政编码|postcode|post code|postal code|zip(?: code)?|ICP备|ICP证|京ICP|第)\s*(?:is|是|为|:|：)?\s*$/i;
const AFTER_NOT_CODE = /^号/;

/** The text the guard reads: full-width digits, spaces and dashes folded to ASCII, invisible characters dropped. */
export function normalizeForGuard(text: string): string {
  return echoable(text.normalize('NFKC'))
    .replace(DASHES, '-')
    .replace(/[\t\u00A0\u3000]/g, ' ');
}

// Two-digit groups joined by dashes that read as a date (yy-mm-dd or dd-mm-yy) are not a code.
function isShortDate(groups: string[]): boolean {
  const [a, b, c] = groups.map(Number) as [number, number, number];
  const day = (d: number) => d >= 1 && d <= 31;
  return b >= 1 && b <= 12 && (day(c) || day(a));
}

// Whether one cluster of digit groups, read at its place in the text, is a code.
function clusterIsCode(cluster: string, before: string, after: string): boolean {
  if (BEFORE_WORD.test(before) || AFTER_WORD.test(after) || AFTER_AMOUNT.test(after)) return false;
  if (BEFORE_NOT_CODE.test(before) || AFTER_NOT_CODE.test(after)) return false;
  const dashed = cluster.includes('-');
  const groups = cluster.split(/[ -]+/);
  const digits = groups.join('');
  if (digits.length === 6) {
    // People space a code evenly (123 456, 12 34 56, 1 2 3 4 5 6); 2026-12 or 1234 56 is something else.
    if (!groups.every((g) => g.length === groups[0]?.length)) return false;
    return !(dashed && groups.length === 3 && isShortDate(groups));
  }
  // A code pasted beside another number ("12381 123456"): a 6-digit group among spaced groups.
  // A dash joins parts of one thing (a phone, a date, an id), so it does not count there.
  return !dashed && groups.length > 1 && groups.some((g) => g.length === 6);
}

// The spans of a normalized text that read as an SMS code, first to last.
function* codeSpans(norm: string): Generator<[number, number]> {
  for (const match of norm.matchAll(CLUSTER)) {
    const start = match.index;
    const end = start + match[0].length;
    if (clusterIsCode(match[0], norm.slice(Math.max(0, start - 16), start), norm.slice(end, end + 12))) yield [start, end];
  }
}

/** Whether a message holds something that looks like a 6-digit SMS code, anywhere in it. */
export function looksLikeSmsCode(text: string): boolean {
  return !codeSpans(normalizeForGuard(text)).next().done;
}

/** The text, normalized as the guard reads it, with every span that reads as an SMS code replaced by `mark` (for logs). */
export function withoutSmsCodes(text: string, mark: string): string {
  const norm = normalizeForGuard(text);
  let out = '';
  let at = 0;
  for (const [start, end] of codeSpans(norm)) {
    out += norm.slice(at, start) + mark;
    at = end;
  }
  return out + norm.slice(at);
}

/** Whether a message holds a full ID number, or is the last 6 characters of one (ending in X) typed alone. */
export function looksLikeIdNumber(text: string): boolean {
  const norm = normalizeForGuard(text);
  return ID_NUMBER.test(norm) || ID_TAIL.test(norm);
}

/** The guard's verdict on one message: an ID number first (it may hold six digits), then an SMS code. */
export function guardVerdict(text: string): GuardVerdict {
  if (looksLikeIdNumber(text)) return 'id-number';
  return looksLikeSmsCode(text) ? 'sms-code' : 'none';
}

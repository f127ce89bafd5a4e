/** Phone normalization and masking (RULES R1 "one person is one phone number", R8 masking). */

/** Why a string is not a mainland mobile number. */
export type PhoneRejection = 'empty' | 'bad_characters' | 'bad_length' | 'not_mobile';

/** The outcome of normalizing a phone number as written in a filing or typed by a person. */
export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: PhoneRejection; message: string };

const REASONS: Record<PhoneRejection, string> = {
  empty: 'no phone number given',
  bad_characters: 'only digits, spaces, dashes, dots, brackets and a leading + are allowed',
  bad_length: 'a mainland mobile number has 11 digits after the optional +86/86/0086 prefix',
  not_mobile: 'a mainland mobile number starts with 1 followed by 3–9',
};

/**
 * Normalizes a mainland mobile number to its 11 digits: strips spaces, dashes, dots and brackets
 * and a leading `+86`, `86` or `0086` (RULES R1), and rejects anything else with the reason.
 */
export function normalizePhone(input: string): PhoneResult {
  const phone = acceptedWriting(input);
  if (phone !== undefined) return { ok: true, phone };
  const trimmed = input.trim();
  if (trimmed === '') return reject('empty');
  if (!/^\+?[0-9 ()\-.]+$/.test(trimmed)) return reject('bad_characters');
  let digits = trimmed.replace(/[^0-9]/g, '');
  if (trimmed.startsWith('+')) {
    if (!digits.startsWith('86')) return reject('not_mobile');
    digits = digits.slice(2);
  } else if (digits.length === 15 && digits.startsWith('0086')) digits = digits.slice(4);
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (digits.length !== 11) return reject('bad_length');
  if (!/^1[3-9]\d{9}$/.test(digits)) return reject('not_mobile');
  return { ok: true, phone: digits };
}

// Char codes normalizePhone reads.
const PLUS = 43;
const ZERO = 48;
const NINE = 57;
const isSeparator = (c: number): boolean => c === 32 || c === 40 || c === 41 || c === 45 || c === 46; // space ( ) - .

/**
 * normalizePhone's answer for a number it accepts, in one pass with no regular expression: a
 * 100,000-filing file holds 400,000 phones, most written with separators (issue 12). Anything
 * unusual (surrounding whitespace, other characters, a rejection) gives `undefined`, and the rules
 * above decide; normalizePhone's tests hold the two to one answer.
 */
function acceptedWriting(input: string): string | undefined {
  const n = input.length;
  let digits = '';
  // The digits are copied a run at a time, between separators.
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c >= ZERO && c <= NINE) continue;
    if (isSeparator(c) && i > 0 && i < n - 1) {
      if (i > run) digits += input.slice(run, i);
      run = i + 1;
    } else if (c === PLUS && i === 0) run = 1;
    else return undefined;
  }
  if (run < n) digits += run === 0 ? input : input.slice(run);
  if (input.charCodeAt(0) === PLUS) digits = digits.startsWith('86') ? digits.slice(2) : '';
  else if (digits.length === 15 && digits.startsWith('0086')) digits = digits.slice(4);
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (digits.length !== 11 || digits.charCodeAt(0) !== 49) return undefined;
  const second = digits.charCodeAt(1);
  return second >= 51 && second <= NINE ? digits : undefined;
}

function reject(reason: PhoneRejection): PhoneResult {
  return { ok: false, reason, message: REASONS[reason] };
}

/** The mark between a sealed phone's masked form and its key: `138****8000#<key>`. */
export const SEAL_MARK = '#';

/**
 * The key part of a sealed phone (a phone as filings hold it at rest: its masked form and its keyed
 * hash, never the number), or undefined for a plain phone.
 */
export function sealedKey(phone: string): string | undefined {
  const at = phone.indexOf(SEAL_MARK);
  return at < 0 ? undefined : phone.slice(at + 1);
}

/**
 * A phone as filings keep it at rest: its masked form and its key in one opaque string
 * (`138****8000#<key>`). Two sealed phones are equal exactly when the numbers are, `maskPhone`
 * gives the masked part and the keyer the key, so dedup (R1), the phone index and the R7 prefix
 * check all work on it; the number itself is gone. Sealing a sealed phone changes nothing.
 */
export function sealPhone(phone: string, keyOf: (phone: string) => string): string {
  return sealedKey(phone) !== undefined ? phone : `${maskPhone(phone)}${SEAL_MARK}${keyOf(phone)}`;
}

/** Masks a phone as first 3 + `****` + last 4 (`13800138000` → `138****8000`, RULES R8); a sealed phone is its masked part. */
export function maskPhone(phone: string): string {
  const at = phone.indexOf(SEAL_MARK);
  if (at >= 0) return phone.slice(0, at);
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** Masks a name as its first character + one `*` per remaining character (`张三丰` → `张**`, RULES R8). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(chars.length - 1);
}

/** RULES R8 as plain functions: the code guard (an SMS code or ID number is warned about and deleted, never kept) and masking people in free text. */
import type { Filing } from '../filing.js';
import { maskName } from './phone.rules.js';

// A lone 6-digit run, not part of a longer number or an id like VE-2026-000101.
const SIX_DIGITS = /(?<![\w-])\d{6}(?![\w-])/;
// An 18-character resident ID (17 digits + digit or X) or an old 15-digit one.
const ID_NUMBER = /(?<![\w])(\d{17}[\dXx]|\d{15})(?![\w])/;
// "The last 6 characters of the ID" typed alone, ending in X.
const ID_TAIL = /^\s*\d{5}[Xx]\s*$/;

/** Whether a text looks like an SMS code (6 digits, alone or with little else) or an ID number. */
export function looksSensitive(text: string): boolean {
  if (ID_NUMBER.test(text) || ID_TAIL.test(text)) return true;
  return SIX_DIGITS.test(text) && text.trim().length <= 40;
}

/**
 * Free text from a filing (the subject's or a website's name) as it may be shown: an individual's
 * filing (个人备案) names the person in it, so any principal's name found there is masked (R8).
 */
export function withoutPeople(text: string, filing: Filing): string {
  const names = new Set([filing.subject.principal.name, ...filing.websites.map((w) => w.principal.name)].filter((n) => Array.from(n).length >= 2));
  let out = text;
  for (const name of names) out = out.split(name).join(maskName(name));
  return out;
}

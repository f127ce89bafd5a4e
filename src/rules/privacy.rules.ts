/** RULES R8 as plain functions: the code guard (an SMS code or ID number is warned about and deleted, never kept) and masking people in free text. */
import type { Filing } from '../filing.js';
import { guardVerdict } from './code-guard.rules.js';
import { maskName } from './phone.rules.js';

/**
 * Whether a text holds an SMS code (6 digits anywhere, full-width, spaced or dashed included) or an
 * ID number: the code guard's verdict (code-guard.rules.ts) as a yes or no.
 */
export function looksSensitive(text: string): boolean {
  return guardVerdict(text) !== 'none';
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

/** The code guard (R8): a message that looks like an SMS code or an ID number is warned about and deleted, never kept. */

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

/** RULES R8 as plain functions: the code guard (an SMS code or ID number is warned about and deleted, never kept), masking people in free text, and sealing a filing for rest. */
import type { Filing, Person } from '../filings/filing.js';
import { echoable } from './echo.rules.js';
import { guardVerdict } from './code-guard.rules.js';
import { maskName, sealPhone } from './phone.rules.js';

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

/**
 * A filing as it may be kept at rest (R8, issue 11): every phone sealed (masked form and key,
 * `sealPhone`), every principal's name masked, a principal's name inside the subject's or a
 * website's name masked too (an individual's filing names the person there), and no invisible
 * characters in names or domains. Idempotent: sealing a sealed filing returns an equal filing.
 */
export function sealFiling(filing: Filing, keyOf: (phone: string) => string): Filing {
  const seal = (phone: string) => sealPhone(phone, keyOf);
  const person = (p: Person): Person => ({ ...p, name: maskName(echoable(p.name)), phone: seal(p.phone) });
  const text = (t: string) => echoable(withoutPeople(t, filing));
  const sealed: Filing = {
    ...filing,
    subject: { ...filing.subject, name: text(filing.subject.name), principal: person(filing.subject.principal) },
    websites: filing.websites.map((w) => ({ ...w, name: text(w.name), domains: w.domains.map(echoable), principal: person(w.principal) })),
  };
  if (filing.emergencyPhone) sealed.emergencyPhone = seal(filing.emergencyPhone);
  if (filing.cycle) sealed.cycle = { ...filing.cycle, verified: Object.fromEntries(Object.entries(filing.cycle.verified).map(([p, at]) => [seal(p), at])) };
  return sealed;
}

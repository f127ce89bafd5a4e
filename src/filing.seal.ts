/**
 * Sealing a freshly read filing in place (issue 12): `sealFiling` copies every object of a filing
 * and allocates per name and phone, which at 100,000 filings cost more than parsing the file. This
 * gives exactly `sealFiling`'s output (test/unit/filing.seal.test.ts holds the two to it), but
 * writes it into the record the caller owns, and derives each distinct phone's key once per filing.
 */
import type { Filing, Person } from './filing.js';
import { echoable } from './rules/echo.rules.js';
import { maskName, maskPhone, SEAL_MARK, sealedKey } from './rules/phone.rules.js';

// The principals' names a subject's or website's name may hold, as `withoutPeople` collects them: distinct, 2+ code points, in order.
function namesOf(filing: Filing): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    // A name of one code point is never masked inside other text; `length` counts UTF-16 units, so check code points only when short.
    if (name.length < 2 || (name.length <= 2 && Array.from(name).length < 2) || names.includes(name)) return;
    names.push(name);
  };
  add(filing.subject.principal.name);
  for (const w of filing.websites) add(w.principal.name);
  return names;
}

// `echoable(withoutPeople(text, filing))`, skipping the split and join for names the text does not hold.
function sealText(text: string, names: string[]): string {
  let out = text;
  for (const name of names) if (out.includes(name)) out = out.split(name).join(maskName(name));
  return echoable(out);
}

/**
 * Seals a filing as `sealFiling` does, writing into it: phones become their masked form and key,
 * names are masked, a principal's name inside the subject's or a website's name is masked, and
 * invisible characters go. Only for a record nobody else holds (a freshly parsed file); returns it.
 */
export function sealFilingInPlace(filing: Filing, keyOf: (phone: string) => string): Filing {
  const names = namesOf(filing);
  // One person often fills several roles (principal, website principal, a verified phone): one HMAC each.
  const plain: string[] = [];
  const sealed: string[] = [];
  const seal = (phone: string): string => {
    if (sealedKey(phone) !== undefined) return phone;
    const at = plain.indexOf(phone);
    if (at >= 0) return sealed[at]!;
    const out = `${maskPhone(phone)}${SEAL_MARK}${keyOf(phone)}`;
    plain.push(phone);
    sealed.push(out);
    return out;
  };
  const person = (p: Person) => {
    p.name = maskName(echoable(p.name));
    p.phone = seal(p.phone);
  };
  filing.subject.name = sealText(filing.subject.name, names);
  person(filing.subject.principal);
  for (const w of filing.websites) {
    w.name = sealText(w.name, names);
    const domains = w.domains;
    for (let i = 0; i < domains.length; i++) domains[i] = echoable(domains[i]!);
    person(w.principal);
  }
  if (filing.emergencyPhone) filing.emergencyPhone = seal(filing.emergencyPhone);
  const cycle = filing.cycle;
  if (cycle) {
    const verified: Record<string, string> = {};
    for (const phone in cycle.verified) verified[seal(phone)] = cycle.verified[phone]!;
    cycle.verified = verified;
  }
  return filing;
}

/** RULES R1: who receives the SMS and must verify, by filing type. */
import type { Filing, Person } from '../filings/filing.js';

/** A role a verifier holds in a filing: the subject principal, or the principal of one named website. */
export type Role = { kind: 'subject' } | { kind: 'website'; website: string };

/** One required verifier: one normalized phone with every role that phone holds. */
export interface Verifier {
  phone: string;
  name: string;
  roles: Role[];
}

/** R1 result: the verifiers, or the reason this filing type has none. */
export type VerifierResult = { required: true; verifiers: Verifier[] } | { required: false; reason: 'no_sms_step'; verifiers: [] };

/**
 * R1: the people who receive the MIIT SMS for this filing, deduplicated by normalized phone so a
 * number holding several roles verifies once. The emergency phone never receives the SMS.
 */
export function requiredVerifiers(filing: Filing): VerifierResult {
  const subject = (): Array<[Person, Role]> => [[filing.subject.principal, { kind: 'subject' }]];
  const websites = (): Array<[Person, Role]> => filing.websites.map((w) => [w.principal, { kind: 'website', website: w.name }]);
  let holders: Array<[Person, Role]>;
  switch (filing.type) {
    case 'first_filing':
      holders = [...subject(), ...websites()];
      break;
    case 'new_website':
    case 'access':
      holders = websites();
      break;
    case 'change':
      holders = [...(filing.changes?.includes('subject') ? subject() : []), ...(filing.changes?.includes('website') ? websites() : [])];
      break;
    case 'deregister':
      holders = filing.target === 'subject' ? subject() : websites();
      break;
    case 'cancel_access':
      return { required: false, reason: 'no_sms_step', verifiers: [] };
  }
  const byPhone = new Map<string, Verifier>();
  for (const [person, role] of holders) {
    const existing = byPhone.get(person.phone);
    if (existing) existing.roles.push(role);
    else byPhone.set(person.phone, { phone: person.phone, name: person.name, roles: [role] });
  }
  return { required: true, verifiers: [...byPhone.values()] };
}

/** Every normalized phone a filing names: principals and the emergency contact (who may look it up, R8). */
export function phonesOf(filing: Filing): string[] {
  const phones = new Set<string>([filing.subject.principal.phone, ...filing.websites.map((w) => w.principal.phone)]);
  if (filing.emergencyPhone) phones.add(filing.emergencyPhone);
  return [...phones];
}

/** RULES R1–R3 for one person: what they must do for a filing now, or why no SMS comes to them. */
import type { Filing } from '../filings/filing.js';
import type { Dayjs } from '../time.js';
import type { CycleState, VerificationSource } from './cycle.rules.js';
import { requiredVerifiers } from './verifiers.rules.js';

/** Why a person named in a filing gets no SMS for it, each the source page's own reason. */
export type NoSmsReason = 'no-sms-step' | 'emergency-contact' | 'new-website' | 'access' | 'website-only-change' | 'subject-only-change' | 'website-deregistration' | 'subject-deregistration' | 'not-a-party';

/** What one person must do for one filing now. */
export type MyPart =
  | { kind: 'verify'; deadline: Dayjs; msLeft: number }
  | { kind: 'wait-others'; source: VerificationSource }
  | { kind: 'verified'; source: VerificationSource }
  | { kind: 'will-verify' }
  | { kind: 'window-closed' }
  | { kind: 'nothing-now' }
  | { kind: 'no-sms'; reason: NoSmsReason };

/**
 * R1–R3: the part of the person whose phone `isMine` recognizes. A verifier verifies by the deadline,
 * is done (and waits for the others while the window is open), will verify once the filing is
 * reported, or has missed the window; anyone else gets no SMS, with the reason. `cycle` is the
 * filing's cycle state with every known confirmation, so a self-report counts as done.
 */
export function myPart(filing: Filing, cycle: CycleState | undefined, isMine: (phone: string) => boolean): MyPart {
  const required = requiredVerifiers(filing);
  if (!required.required) return { kind: 'no-sms', reason: 'no-sms-step' };
  if (!required.verifiers.some((v) => isMine(v.phone))) return { kind: 'no-sms', reason: noSmsReason(filing, isMine) };
  // Each report sends a new SMS, so a filing not yet (or not again) reported waits for the next one, whatever the last cycle said.
  if (filing.status === 'draft' || filing.status === 'provider_review') return { kind: 'will-verify' };
  const me = cycle?.verifiers.find((v) => isMine(v.phone));
  if (!cycle || !me) return { kind: 'nothing-now' };
  if (me.state === 'verified') {
    const source = me.source ?? 'system';
    return cycle.open && !cycle.allVerified ? { kind: 'wait-others', source } : { kind: 'verified', source };
  }
  if (cycle.open) return { kind: 'verify', deadline: cycle.deadline, msLeft: cycle.msLeft };
  if (cycle.overdue || filing.status === 'returned') return { kind: 'window-closed' };
  return { kind: 'nothing-now' };
}

/** R1: why a phone that is not a verifier gets no SMS; a principal's role explains it before the emergency contact does. */
function noSmsReason(filing: Filing, isMine: (phone: string) => boolean): NoSmsReason {
  const subject = isMine(filing.subject.principal.phone);
  const website = filing.websites.some((w) => isMine(w.principal.phone));
  if (subject || website) {
    switch (filing.type) {
      case 'new_website':
        return 'new-website';
      case 'access':
        return 'access';
      // A principal left out of a change or deregistration holds the part that is not concerned.
      case 'change':
        return subject ? 'website-only-change' : 'subject-only-change';
      case 'deregister':
        return subject ? 'website-deregistration' : 'subject-deregistration';
    }
  }
  if (filing.emergencyPhone && isMine(filing.emergencyPhone)) return 'emergency-contact';
  return 'not-a-party';
}

/** A filing's verification picture as data, shared by the applicant's lookup and the team's Slack summary. */
import type { Msg } from '../activity.js';
import type { Filing } from '../filings/filing.js';
import { cycleState, timeLeftParts, type CycleState, type ExtraConfirmations, type VerifierState } from '../rules/cycle.rules.js';
import { maskName, maskPhone } from '../rules/phone.rules.js';
import { withoutPeople } from '../rules/privacy.rules.js';
import type { Role } from '../rules/verifiers.rules.js';
import { requiredVerifiers } from '../rules/verifiers.rules.js';
import { isVirtualOperator } from '../rules/warnings.rules.js';
import { toChinaTime, type Dayjs } from '../time.js';

/** One verifier as anyone may see it: masked (R8). */
export interface VerifierView {
  name: string;
  phone: string;
  roles: Msg[];
  state: 'verified' | 'pending' | 'self' | 'team';
  /** The phone's key, to tell whether this is the person asking. */
  key: string;
  /** The full phone, for internal use (reminders); never rendered. */
  rawPhone: string;
}

/** A filing summary: everything lookups and the team view render. */
export interface FilingSummary {
  id: string;
  subjectName: string;
  type: Msg;
  status: Msg;
  statusId: Filing['status'];
  noSms: boolean;
  cycle?: { number: number; reportedAt: string; deadline: string; left: Msg; msLeft: number; overdue: boolean; open: boolean; allVerified: boolean };
  verifiers: VerifierView[];
  warnings: Msg[];
  returnReason?: Msg;
  state?: CycleState;
}

/** The message for one role (R1); `show` makes a website's name safe to show. */
export function roleMsg(role: Role, show: (text: string) => string = (text) => text): Msg {
  return role.kind === 'subject' ? { key: 'role.subject' } : { key: 'role.website', params: { website: show(role.website) } };
}

/** The message for time left (R3), e.g. "3 h 12 min left". */
export function timeLeftMsg(msLeft: number): Msg {
  const { hours, minutes } = timeLeftParts(msLeft);
  return { key: 'time.left', params: { h: hours, m: minutes } };
}

function stateOf(v: VerifierState): VerifierView['state'] {
  if (v.state === 'pending') return 'pending';
  return v.source === 'system' ? 'verified' : (v.source ?? 'verified');
}

/** Builds the summary of a filing at `now` (R1–R3, R7), masking every person (R8). */
export function summarizeFiling(filing: Filing, now: Dayjs, extra: ExtraConfirmations, keyOf: (phone: string) => string): FilingSummary {
  const required = requiredVerifiers(filing);
  const state = cycleState(filing, now, extra);
  const people: VerifierState[] = state?.verifiers ?? required.verifiers.map((v) => ({ ...v, state: 'pending' as const }));
  const verifiers = people.map((v) => ({
    name: maskName(v.name),
    phone: maskPhone(v.phone),
    roles: v.roles.map((r) => roleMsg(r, (text) => withoutPeople(text, filing))),
    state: state ? stateOf(v) : ('pending' as const),
    key: keyOf(v.phone),
    rawPhone: v.phone,
  }));
  const warnings: Msg[] = required.verifiers.filter((v) => isVirtualOperator(v.phone)).map((v) => ({ key: 'warn.virtual', params: { phone: maskPhone(v.phone) } }));
  return {
    id: filing.id,
    subjectName: withoutPeople(filing.subject.name, filing),
    type: { key: `type.${filing.type}` },
    status: { key: `status.${filing.status}` },
    statusId: filing.status,
    noSms: !required.required,
    cycle: state && {
      number: state.number,
      reportedAt: toChinaTime(state.reportedAt),
      deadline: toChinaTime(state.deadline),
      left: timeLeftMsg(state.msLeft),
      msLeft: state.msLeft,
      overdue: state.overdue,
      open: state.open,
      allVerified: state.allVerified,
    },
    verifiers,
    warnings,
    returnReason: filing.status === 'returned' && filing.returnReason ? { key: `reason.${filing.returnReason}` } : undefined,
    state,
  };
}

/** RULES R2/R3: the state of a verification cycle, its deadline and the time left. */
import type { Filing } from '../filings/filing.js';
import { instant, type Dayjs } from '../time.js';
import { requiredVerifiers, type Verifier } from './verifiers.rules.js';

/** R3: 24 hours from the cycle's report; a resend does not extend it. */
export const VERIFY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** How a verifier's verification is known, strongest first. */
export type VerificationSource = 'system' | 'team' | 'self';

/** A verifier with the state of their verification in the current cycle. */
export interface VerifierState extends Verifier {
  state: 'verified' | 'pending';
  /** Who says so: the filing system, a team member who confirmed by phone, or the person themself. */
  source?: VerificationSource;
  verifiedAt?: string;
}

/** Verifications known besides the filing system's, by normalized phone. */
export interface ExtraConfirmations {
  team?: Record<string, string>;
  self?: Record<string, string>;
}

/** R2/R3: the cycle as a whole at one instant. */
export interface CycleState {
  number: number;
  reportedAt: Dayjs;
  deadline: Dayjs;
  msLeft: number;
  overdue: boolean;
  open: boolean;
  verifiers: VerifierState[];
  pending: VerifierState[];
  allVerified: boolean;
}

/** R3: deadline = reportedAt + 24 h. */
export function deadlineOf(reportedAt: string | Dayjs): Dayjs {
  return instant(typeof reportedAt === 'string' ? reportedAt : reportedAt.valueOf()).add(VERIFY_WINDOW_MS, 'ms');
}

/**
 * R2/R3: who has verified in the filing's current cycle, the deadline, the time left and whether it
 * is overdue; `undefined` when the filing has no cycle. The filing system's word wins over a
 * team confirmation, which wins over a self-report; the source is kept so the team can tell them apart.
 */
export function cycleState(filing: Filing, now: Dayjs, extra: ExtraConfirmations = {}): CycleState | undefined {
  const cycle = filing.cycle;
  if (!cycle) return undefined;
  const reportedAt = instant(cycle.reportedAt);
  const deadline = deadlineOf(reportedAt);
  const verifiers = requiredVerifiers(filing).verifiers.map((v): VerifierState => {
    const system = cycle.verified[v.phone];
    if (system) return { ...v, state: 'verified', source: 'system', verifiedAt: system };
    const team = extra.team?.[v.phone];
    if (team) return { ...v, state: 'verified', source: 'team', verifiedAt: team };
    const self = extra.self?.[v.phone];
    if (self) return { ...v, state: 'verified', source: 'self', verifiedAt: self };
    return { ...v, state: 'pending' };
  });
  const pending = verifiers.filter((v) => v.state === 'pending');
  const msLeft = deadline.valueOf() - now.valueOf();
  // Overdue only while the filing is still in its window: a returned or reviewed filing has moved on.
  const overdue = msLeft <= 0 && pending.length > 0 && filing.status === 'verifying';
  return {
    number: cycle.number,
    reportedAt,
    deadline,
    msLeft,
    overdue,
    open: filing.status === 'verifying' && msLeft > 0,
    verifiers,
    pending,
    allVerified: pending.length === 0,
  };
}

/** R3: the time left as hours and minutes (rounded down), never negative. */
export function timeLeftParts(msLeft: number): { hours: number; minutes: number } {
  const totalMinutes = Math.max(0, Math.floor(msLeft / 60_000));
  return { hours: Math.floor(totalMinutes / 60), minutes: totalMinutes % 60 };
}

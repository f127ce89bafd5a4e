/** RULES R4: the resend budget. */

/** R4: at most 2 resends per person per cycle; a third request has no effect. */
export const MAX_RESENDS = 2;

/** R4: what is left of the resend budget. */
export interface ResendBudget {
  used: number;
  remaining: number;
  /** At 0 remaining another resend will not work: finish with the latest code, or recover after a return (R6). */
  exhausted: boolean;
}

/** R4: the budget after `used` resends in this cycle (counts beyond the cap are clamped). */
export function resendBudget(used: number): ResendBudget {
  const clamped = Math.max(0, Math.min(MAX_RESENDS, Math.floor(used)));
  const remaining = MAX_RESENDS - clamped;
  return { used: clamped, remaining, exhausted: remaining === 0 };
}

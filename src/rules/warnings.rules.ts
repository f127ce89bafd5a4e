/** RULES R7: hints from other providers' help pages, worded as warnings, never as hard rules. */

/** R7: prefixes of virtual operators (虚拟运营商) whose numbers may not receive the MIIT SMS. */
export const VIRTUAL_OPERATOR_PREFIXES = ['162', '165', '167', '170', '171'] as const;

/** R7: whether a normalized phone is in a virtual-operator range. */
export function isVirtualOperator(phone: string): boolean {
  return VIRTUAL_OPERATOR_PREFIXES.some((p) => phone.startsWith(p));
}

/** R7: after 5 wrong entries in total the filing is returned. */
export const WRONG_ENTRY_LIMIT = 5;

/** R7: where a person stands with the wrong-entry budget. */
export interface WrongEntryBudget {
  count: number;
  remaining: number;
  /** The next wrong entry is the last one before the return: warn now. */
  lastChance: boolean;
  /** The limit is reached: the filing will be returned. */
  exhausted: boolean;
}

/** R7: the wrong-entry budget after `count` reported wrong entries. */
export function wrongEntryBudget(count: number): WrongEntryBudget {
  const c = Math.max(0, Math.floor(count));
  const remaining = Math.max(0, WRONG_ENTRY_LIMIT - c);
  return { count: c, remaining, lastChance: remaining === 1, exhausted: remaining === 0 };
}

import { describe, expect, it } from 'vitest';
import { MAX_RESENDS, resendBudget } from '../../src/rules/resend.rules.js';

describe('R4 resend budget: at most 2 resends per person per cycle', () => {
  it('R4 the cap is 2', () => {
    expect(MAX_RESENDS).toBe(2);
  });

  it.each([
    [0, { used: 0, remaining: 2, exhausted: false }],
    [1, { used: 1, remaining: 1, exhausted: false }],
    [2, { used: 2, remaining: 0, exhausted: true }],
    [3, { used: 2, remaining: 0, exhausted: true }],
    [10, { used: 2, remaining: 0, exhausted: true }],
    [-1, { used: 0, remaining: 2, exhausted: false }],
    [1.7, { used: 1, remaining: 1, exhausted: false }],
  ])('R4 after %d resends → %j', (used, budget) => {
    expect(resendBudget(used)).toEqual(budget);
  });
});

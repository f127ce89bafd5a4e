import { describe, expect, it } from 'vitest';
import { isVirtualOperator, VIRTUAL_OPERATOR_PREFIXES, WRONG_ENTRY_LIMIT, wrongEntryBudget } from '../../src/rules/warnings.rules.js';

describe('R7 virtual-operator numbers may not receive the MIIT SMS', () => {
  it('R7 the prefixes are 162, 165, 167, 170, 171', () => {
    expect([...VIRTUAL_OPERATOR_PREFIXES]).toEqual(['162', '165', '167', '170', '171']);
  });

  it.each([
    ['16212345678', true],
    ['16512345678', true],
    ['16712345678', true],
    ['17012345678', true],
    ['17112345678', true],
    ['13800138000', false],
    ['16612345678', false],
    ['17212345678', false],
    ['17312345678', false],
    ['18612345678', false],
  ])('R7 %s → %s', (phone, virtual) => {
    expect(isVirtualOperator(phone)).toBe(virtual);
  });
});

describe('R7 wrong entries: 5 in total and the filing is returned', () => {
  it('R7 the limit is 5', () => {
    expect(WRONG_ENTRY_LIMIT).toBe(5);
  });

  it.each([
    [0, { count: 0, remaining: 5, lastChance: false, exhausted: false }],
    [1, { count: 1, remaining: 4, lastChance: false, exhausted: false }],
    [2, { count: 2, remaining: 3, lastChance: false, exhausted: false }],
    [3, { count: 3, remaining: 2, lastChance: false, exhausted: false }],
    [4, { count: 4, remaining: 1, lastChance: true, exhausted: false }],
    [5, { count: 5, remaining: 0, lastChance: false, exhausted: true }],
    [6, { count: 6, remaining: 0, lastChance: false, exhausted: true }],
    [-2, { count: 0, remaining: 5, lastChance: false, exhausted: false }],
  ])('R7 after %d wrong entries → %j', (count, budget) => {
    expect(wrongEntryBudget(count)).toEqual(budget);
  });
});

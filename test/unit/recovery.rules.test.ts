import { describe, expect, it } from 'vitest';
import { reReportedBy, recoveryTree, recoveryTreeFor, type RecoveryTree } from '../../src/rules/recovery.rules.js';
import { loadWorkCalendar } from '../../src/rules/workday.rules.js';
import { FILING_TYPES, type FilingType } from '../../src/filings/filing.js';
import { en } from '../../src/i18n/en.js';
import { zh } from '../../src/i18n/zh.js';

const cal = loadWorkCalendar();

/** Follows answers from the start and returns the end node's id. */
function walk(tree: RecoveryTree, answers: string[]): string {
  let node = tree.nodes[tree.start]!;
  for (const answer of answers) {
    if (node.kind !== 'question') throw new Error(`${node.id} is an end, cannot answer ${answer}`);
    const next = node.answers.find((a) => a.id === answer);
    if (!next) throw new Error(`${node.id} has no answer ${answer}`);
    node = tree.nodes[next.next]!;
  }
  if (node.kind !== 'end') throw new Error(`${node.id} is a question, not an end`);
  return node.id;
}

describe('R6 recovery tree by filing type', () => {
  it.each<[FilingType, string[], string]>([
    ['first_filing', ['yes'], 'resubmit'],
    ['first_filing', ['no'], 'change-number'],
    ['new_website', ['yes'], 'resubmit'],
    ['new_website', ['no'], 'change-number'],
    ['change', ['yes'], 'resubmit'],
    ['change', ['no'], 'change-number'],
    ['access', ['yes', 'yes'], 'verify-again'],
    ['access', ['yes', 'no'], 'change-at-provider'],
    ['access', ['yes', 'unreach'], 'deregister-new'],
    ['access', ['shell'], 'deregister-new'],
    ['access', ['unreach'], 'deregister-new'],
    ['deregister', [], 'change-first'],
  ])('R6 %s, answers %j → %s', (type, answers, end) => {
    expect(walk(recoveryTree(type)!, answers)).toBe(end);
  });

  it('R6 first_filing, new_website and change share the phone-correct tree', () => {
    const tree = recoveryTree('first_filing')!;
    expect(tree.start).toBe('phone-correct');
    expect(recoveryTree('new_website')).toBe(tree);
    expect(recoveryTree('change')).toBe(tree);
  });

  it('R6 access starts with where the website is hosted', () => {
    expect(recoveryTree('access')!.start).toBe('hosted');
  });

  it.each<[string, boolean | undefined, string]>([
    ['silent: asks where the website is hosted', undefined, 'hosted'],
    ['shellWebsite true: straight to deregister and a new website filing', true, 'deregister-new'],
    ['shellWebsite false: straight to the current provider’s check', false, 'principal-ok'],
  ])('R6 access, record %s', (_what, shellWebsite, start) => {
    const tree = recoveryTreeFor({ type: 'access', ...(shellWebsite === undefined ? {} : { shellWebsite }) })!;
    expect(tree.start).toBe(start);
    expect(tree.nodes).toBe(recoveryTree('access')!.nodes);
  });

  it('R6 access, record says hosted: the current provider may still not be reachable → deregister, then a new website filing', () => {
    expect(walk(recoveryTreeFor({ type: 'access', shellWebsite: false })!, ['unreach'])).toBe('deregister-new');
  });

  it.each(FILING_TYPES.filter((t) => t !== 'access'))('R6 %s: the record’s shellWebsite does not move the start', (type) => {
    expect(recoveryTreeFor({ type, shellWebsite: true })).toBe(recoveryTree(type));
  });

  it('R6 deregister is a single end: submit a change filing first', () => {
    const tree = recoveryTree('deregister')!;
    expect(tree.start).toBe('change-first');
    expect(Object.keys(tree.nodes)).toEqual(['change-first']);
    const end = tree.nodes['change-first']!;
    expect(end.kind === 'end' && end.steps).toEqual(['recovery.s.changeFilingFirst', 'recovery.s.waitChangeApproved', 'recovery.s.deregisterAgain']);
  });

  it('R6 the number-change path tells that the SMS then goes to the new number', () => {
    const end = recoveryTree('first_filing')!.nodes['change-number']!;
    expect(end.kind === 'end' && end.steps).toContain('recovery.s.smsToNewNumber');
  });

  it('R6 cancel_access has no SMS step: no recovery tree', () => {
    expect(recoveryTree('cancel_access')).toBeUndefined();
  });

  const trees = FILING_TYPES.filter((t) => t !== 'cancel_access').map((t) => [t, recoveryTree(t)!] as const);

  it.each(trees)('R6 %s tree: the start and every answer’s next exist, ids match their keys, every node is reachable', (_type, tree) => {
    expect(tree.nodes[tree.start]).toBeDefined();
    const reached = new Set<string>([tree.start]);
    const queue = [tree.start];
    while (queue.length) {
      const node = tree.nodes[queue.shift()!]!;
      if (node.kind === 'question') {
        expect(node.answers.length).toBeGreaterThan(0);
        expect(new Set(node.answers.map((a) => a.id)).size).toBe(node.answers.length);
        for (const a of node.answers) {
          expect(tree.nodes[a.next], `${node.id} → ${a.next}`).toBeDefined();
          if (reached.has(a.next)) continue;
          reached.add(a.next);
          queue.push(a.next);
        }
      } else expect(node.steps.length).toBeGreaterThan(0);
    }
    for (const [key, node] of Object.entries(tree.nodes)) expect(node.id).toBe(key);
    expect([...reached].sort()).toEqual(Object.keys(tree.nodes).sort());
  });

  it.each(trees)('R6 %s tree: every question, answer label and step is a message key in en and zh', (_type, tree) => {
    const keys: string[] = [];
    for (const node of Object.values(tree.nodes)) {
      if (node.kind === 'question') keys.push(node.text, ...node.answers.map((a) => a.label));
      else keys.push(...node.steps);
    }
    for (const key of keys) {
      expect(en, key).toHaveProperty([key]);
      expect(zh, key).toHaveProperty([key]);
    }
  });
});

describe('R6 the provider reports again within 1 working day', () => {
  it.each([
    ['2026-11-30', { estimated: false, date: '2026-12-01' }],
    ['2026-11-27', { estimated: false, date: '2026-11-30' }],
    ['2026-09-30', { estimated: false, date: '2026-10-08' }],
    ['2026-02-13', { estimated: false, date: '2026-02-14' }],
    ['2026-12-30', { estimated: false, date: '2026-12-31' }],
    ['2026-12-31', { estimated: true, date: '2027-01-04', years: [2027] }],
    ['2027-02-04', { estimated: true, date: '2027-02-11', years: [2027] }],
  ])('R6 resubmitted %s → reported by %j', (date, expected) => {
    expect(reReportedBy(date, cal)).toEqual(expected);
  });
});

/** RULES R6: recovery after a return for failed verification, as a decision tree per filing type. */
import type { Filing, FilingType } from '../filings/filing.js';
import { addWorkingDays, type WorkCalendar, type WorkdayResult } from './workday.rules.js';

/** One answer to a question: its message key and the node it leads to. */
export interface RecoveryAnswer {
  id: string;
  label: string;
  next: string;
}

/** A node of the tree: a question with answers, or an end with concrete steps (message keys). */
export type RecoveryNode = { kind: 'question'; id: string; text: string; answers: RecoveryAnswer[] } | { kind: 'end'; id: string; steps: string[] };

/** A decision tree: its first node and every node by id. */
export interface RecoveryTree {
  start: string;
  nodes: Record<string, RecoveryNode>;
}

const resubmitTree: RecoveryTree = {
  start: 'phone-correct',
  nodes: {
    'phone-correct': {
      kind: 'question',
      id: 'phone-correct',
      text: 'recovery.q.phoneCorrect',
      answers: [
        { id: 'yes', label: 'recovery.a.phoneRight', next: 'resubmit' },
        { id: 'no', label: 'recovery.a.phoneMustChange', next: 'change-number' },
      ],
    },
    resubmit: { kind: 'end', id: 'resubmit', steps: ['recovery.s.checkConsole', 'recovery.s.resubmit'] },
    'change-number': {
      kind: 'end',
      id: 'change-number',
      steps: ['recovery.s.newNumberReceives', 'recovery.s.updateNumber', 'recovery.s.resubmit', 'recovery.s.smsToNewNumber'],
    },
  },
};

const accessTree: RecoveryTree = {
  start: 'hosted',
  nodes: {
    hosted: {
      kind: 'question',
      id: 'hosted',
      text: 'recovery.q.hosted',
      answers: [
        { id: 'yes', label: 'recovery.a.hostedReachable', next: 'principal-ok' },
        { id: 'shell', label: 'recovery.a.shell', next: 'deregister-new' },
        { id: 'unreach', label: 'recovery.a.unreachable', next: 'deregister-new' },
      ],
    },
    'principal-ok': {
      kind: 'question',
      id: 'principal-ok',
      text: 'recovery.q.principalOk',
      answers: [
        { id: 'yes', label: 'recovery.a.principalOk', next: 'verify-again' },
        { id: 'no', label: 'recovery.a.principalCannot', next: 'change-at-provider' },
        // Reached without the hosting question when the record says the site is hosted; the provider may still not answer.
        { id: 'unreach', label: 'recovery.a.unreachable', next: 'deregister-new' },
      ],
    },
    'verify-again': { kind: 'end', id: 'verify-again', steps: ['recovery.s.askCurrentProvider', 'recovery.s.verifyAgain'] },
    'change-at-provider': {
      kind: 'end',
      id: 'change-at-provider',
      steps: ['recovery.s.changeAtProvider', 'recovery.s.resubmitAccess'],
    },
    'deregister-new': { kind: 'end', id: 'deregister-new', steps: ['recovery.s.deregisterWebsite', 'recovery.s.newWebsiteFiling'] },
  },
};

const deregisterTree: RecoveryTree = {
  start: 'change-first',
  nodes: {
    'change-first': {
      kind: 'end',
      id: 'change-first',
      steps: ['recovery.s.changeFilingFirst', 'recovery.s.waitChangeApproved', 'recovery.s.deregisterAgain'],
    },
  },
};

/** R6: the recovery tree for a filing type; `undefined` for cancel_access, which has no SMS step. */
export function recoveryTree(type: FilingType): RecoveryTree | undefined {
  switch (type) {
    case 'first_filing':
    case 'new_website':
    case 'change':
      return resubmitTree;
    case 'access':
      return accessTree;
    case 'deregister':
      return deregisterTree;
    case 'cancel_access':
      return undefined;
  }
}

/** What the record may already say about an access filing's website. */
export type RecoveryFacts = Pick<Filing, 'type' | 'shellWebsite'>;

/**
 * R6: the recovery tree for a filing, starting past the question its record answers: an access
 * filing whose record says whether the website is a shell website skips "where is it hosted".
 */
export function recoveryTreeFor(filing: RecoveryFacts): RecoveryTree | undefined {
  const tree = recoveryTree(filing.type);
  if (!tree || filing.type !== 'access' || filing.shellWebsite === undefined) return tree;
  return { ...tree, start: filing.shellWebsite ? 'deregister-new' : 'principal-ok' };
}

/** R6: whether a filing of this type has a recovery path after a return (cancel_access has no SMS step, so none). */
export function hasRecovery(type: FilingType): boolean {
  return recoveryTree(type) !== undefined;
}

/** R6: after a resubmission on `date` (China), the provider reports again within 1 working day. */
export function reReportedBy(date: string, cal: WorkCalendar): WorkdayResult {
  return addWorkingDays(date, 1, cal);
}

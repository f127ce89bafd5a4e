/** The verify guide (R2), step by step, with the outcomes the MIIT system shows; and "I have verified". */
import type { Filing } from '../src/filings/filing.js';
import { wrongEntryBudget } from '../src/rules/warnings.rules.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired, notFound } from './step.results.js';
import { isMine, meIn, summaryFor, visibleFiling } from './my.filings.js';
import { myPart } from '../src/rules/my-part.rules.js';
import { menuButtons, miitLinkRow } from './menu.replies.js';
import { SESSION_VERSION, type FlowDeps, type SessionState, type StepResult } from '../src/turn.types.js';
import { filingCard } from './lookup.flow.js';
import type { FilingSummary, VerifierView } from '../src/summary/filing.summary.js';

type OpenWindow = NonNullable<FilingSummary['cycle']>;

/** The open cycle in which this person must verify now, as the one rule `myPart` decides, or their filing card instead. */
export async function myOpenCycle(id: string, deps: FlowDeps): Promise<{ ok: true; filing: Filing; summary: FilingSummary; window: OpenWindow; me: VerifierView; cycle: number } | { ok: false; result: StepResult }> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return { ok: false, result: notFound(deps, id) };
  const summary = await summaryFor(filing, deps);
  const me = meIn(summary, deps);
  if (myPart(filing, summary.state, isMine(deps)).kind !== 'verify' || !me || !summary.cycle) return { ok: false, result: done(await filingCard(filing, deps)) };
  return { ok: true, filing, summary, window: summary.cycle, me, cycle: summary.cycle.number };
}

function state(step: string, filingId: string, cycle: number): SessionState {
  return { v: SESSION_VERSION, flow: 'verify', step, data: { filingId, cycle } };
}

function inFlow(session: SessionState | undefined, id: string, cycle: number, steps: string[]): boolean {
  return session?.flow === 'verify' && session.data.filingId === id && session.data.cycle === cycle && steps.includes(session.step);
}

/** Step 1: where to verify. */
export async function verifyStart(id: string, deps: FlowDeps): Promise<StepResult> {
  const open = await myOpenCycle(id, deps);
  if (!open.ok) return open.result;
  return {
    status: 'waiting',
    state: state('where', id, open.cycle),
    replies: [reply([m('verify.step1'), m('warn.sender')], [miitLinkRow(), [btn('btn.next', encodeButton('vn', id))]])],
  };
}

/** Step 2: what to enter, then the outcome buttons. */
export async function verifyNext(id: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const open = await myOpenCycle(id, deps);
  if (!open.ok) return open.result;
  if (!inFlow(session, id, open.cycle, ['where', 'outcome'])) return expired(deps);
  const { deadline, left } = open.window;
  return {
    status: 'waiting',
    state: state('outcome', id, open.cycle),
    replies: [
      reply(
        [m('verify.step2', { phone: open.me.phone }), m('verify.step2b'), m('verify.permit'), m('verify.deadline', { deadline, left }), m('verify.ask')],
        [
          [btn('verify.btnAllDone', encodeButton('vo', id, 'done'))],
          [btn('verify.btnWaiting', encodeButton('vo', id, 'wait'))],
          [btn('verify.btnWrong', encodeButton('vo', id, 'wrong'))],
          [btn('btn.resendGuide', encodeButton('rg', id))],
        ],
      ),
    ],
  };
}

/** What the MIIT system said after submitting: all done, wait for others, or wrong input (R2, R7). */
export async function verifyOutcome(id: string, outcome: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const open = await myOpenCycle(id, deps);
  if (!open.ok) return open.result;
  if (!inFlow(session, id, open.cycle, ['outcome'])) return expired(deps);
  const { cycle, summary } = open;
  if (outcome === 'done') return { status: 'done', replies: [reply([m('verify.allDone')], menuButtons(deps))], effects: [{ type: 'selfReport', filingId: id, cycle }] };
  if (outcome === 'wait') {
    const others = summary.verifiers.filter((v) => v.state === 'pending' && v.key !== deps.me.phoneKey);
    const effects = [{ type: 'selfReport' as const, filingId: id, cycle }];
    if (others.length === 0) return { status: 'done', replies: [reply([m('verify.waitingNone')], menuButtons(deps))], effects };
    const lines = [m('verify.waiting', { deadline: open.window.deadline }), ...others.map((v) => m('lookup.verifier', { name: v.name, phone: v.phone, roles: v.roles, state: m('state.pending') }))];
    const linked = await deps.linkedCount(others.map((v) => v.rawPhone));
    if (linked === 0) return { status: 'done', replies: [reply([...lines, m('verify.remindNone')], menuButtons(deps))], effects };
    return {
      status: 'waiting',
      state: state('waiting', id, cycle),
      replies: [reply([...lines, m('verify.offerRemind', { count: linked })], [[btn('verify.btnRemind', encodeButton('vr', id))], ...menuButtons(deps)])],
      effects,
    };
  }
  if (outcome === 'wrong') {
    const facts = await deps.myFacts(open.filing);
    const budget = wrongEntryBudget(facts.wrong + 1);
    const lines = [m('verify.wrong', { count: budget.count, remaining: budget.remaining })];
    if (budget.exhausted) lines.push(m('verify.wrongOut'));
    else {
      if (budget.lastChance) lines.push(m('verify.wrongLast'));
      lines.push(m('verify.wrongCheck', { phone: open.me.phone }));
    }
    const effects = [{ type: 'count' as const, counter: 'wrong' as const, filingId: id, cycle }];
    if (budget.exhausted) return { status: 'done', replies: [reply(lines, menuButtons(deps))], effects };
    // Stay on the outcome step: the person may report more wrong entries, and each must count.
    return {
      status: 'waiting',
      state: state('outcome', id, cycle),
      replies: [reply(lines, [[btn('verify.btnAllDone', encodeButton('vo', id, 'done'))], [btn('verify.btnWaiting', encodeButton('vo', id, 'wait'))], [btn('verify.btnWrong', encodeButton('vo', id, 'wrong'))]])],
      effects,
    };
  }
  return expired(deps);
}

/** "Remind them": nudge the linked pending verifiers of this filing. */
export async function remindOthers(id: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const summary = await summaryFor(filing, deps);
  const cycle = summary.cycle?.number;
  if (cycle === undefined || !summary.cycle?.open || !inFlow(session, id, cycle, ['waiting'])) return expired(deps);
  const others = summary.verifiers.filter((v) => v.state === 'pending' && v.key !== deps.me.phoneKey);
  const count = await deps.linkedCount(others.map((v) => v.rawPhone));
  return { status: 'done', replies: [reply([m('verify.reminded', { count })], menuButtons(deps))], effects: [{ type: 'remindOthers', filingId: id, cycle }] };
}

/** "I have verified": a self-report that stops my reminders, kept apart from the filing system's confirmation. */
export async function selfReport(id: string, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const summary = await summaryFor(filing, deps);
  if (myPart(filing, summary.state, isMine(deps)).kind !== 'verify' || !summary.cycle) return done(reply([m('self.notPending', { id })], menuButtons(deps)));
  return {
    status: 'done',
    replies: [reply([m('self.done', { id, cycle: summary.cycle.number })], menuButtons(deps))],
    effects: [{ type: 'selfReport', filingId: id, cycle: summary.cycle.number }],
  };
}

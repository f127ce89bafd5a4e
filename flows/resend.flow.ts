/** The resend guide (R4): the budget of 2 per person per cycle, and the two outcomes with their checks (R7). */
import { resendBudget } from '../src/rules/resend.rules.js';
import { isVirtualOperator } from '../src/rules/warnings.rules.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired } from './step.results.js';
import { menuButtons, miitLinkRow } from './menu.replies.js';
import { SESSION_VERSION, type FlowDeps, type SessionState, type StepResult } from '../src/turn.types.js';
import { myOpenCycle } from './verify.flow.js';

/** Start: how many resends remain, and where to resend; at 0, what still helps. */
export async function resendStart(id: string, deps: FlowDeps): Promise<StepResult> {
  const open = await myOpenCycle(id, deps);
  if (!open.ok) return open.result;
  const budget = resendBudget((await deps.myFacts(open.filing)).resends);
  const { deadline, left } = open.window;
  if (budget.exhausted)
    return done(reply([m('resend.budget', { used: budget.used, remaining: 0 }), m('resend.exhausted', { deadline }), m('resend.noonHint')], [[btn('btn.verifyGuide', encodeButton('vg', id))], ...menuButtons(deps)]));
  const state: SessionState = { v: SESSION_VERSION, flow: 'resend', step: 'outcome', data: { filingId: id, cycle: open.cycle } };
  return {
    status: 'waiting',
    state,
    replies: [
      reply(
        [m('resend.where', { phone: open.me.phone }), m('resend.budget', { used: budget.used, remaining: budget.remaining }), m('resend.noDeadlineChange', { deadline, left }), m('resend.ask')],
        [miitLinkRow(), [btn('resend.btnOk', encodeButton('ro', id, 'ok')), btn('resend.btnNotFound', encodeButton('ro', id, 'nf'))]],
      ),
    ],
  };
}

/** The outcome: "已重发成功" counts one resend; "找不到记录" lists the checks. */
export async function resendOutcome(id: string, outcome: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const open = await myOpenCycle(id, deps);
  if (!open.ok) return open.result;
  if (session?.flow !== 'resend' || session.data.filingId !== id || session.data.cycle !== open.cycle) return expired(deps);
  const { deadline, left } = open.window;
  if (outcome === 'ok') {
    const budget = resendBudget((await deps.myFacts(open.filing)).resends + 1);
    const lines = [m('resend.ok', { phone: open.me.phone, remaining: budget.remaining }), m('resend.noDeadlineChange', { deadline, left })];
    if (budget.exhausted) lines.push(m('resend.exhausted', { deadline }));
    return {
      status: 'done',
      replies: [reply(lines, [[btn('btn.verifyGuide', encodeButton('vg', id))], ...menuButtons(deps)])],
      effects: [{ type: 'count', counter: 'resends', filingId: id, cycle: open.cycle }],
    };
  }
  if (outcome === 'nf') {
    const lines = [m('resend.notFound'), m('resend.nfPhone', { phone: open.me.phone }), m('resend.nfId'), m('resend.nfStatus', { status: m(`status.${open.filing.status}`) }), m('verify.permit'), m('resend.nfHandset')];
    if (isVirtualOperator(open.me.rawPhone)) lines.push(m('warn.virtual', { phone: open.me.phone }));
    return done(reply(lines, [miitLinkRow(), [btn('btn.verifyGuide', encodeButton('vg', id)), btn('btn.resendGuide', encodeButton('rg', id))], ...menuButtons(deps)]));
  }
  return expired(deps);
}

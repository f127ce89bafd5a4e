/** The recovery wizard (R6): the branching questions for the filing's type, ending with concrete steps and the re-reported-by date. */
import type { Filing } from '../src/filings/filing.js';
import { recoveryTree, reReportedBy, type RecoveryNode } from '../src/rules/recovery.rules.js';
import { toDateParams } from '../src/rules/workday.rules.js';
import { chinaDate } from '../src/time.js';
import type { Msg } from '../src/activity.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired, notFound } from './step.results.js';
import { menuButtons } from './menu.replies.js';
import { visibleFiling } from './my.filings.js';
import { SESSION_VERSION, type FlowDeps, type StepResult } from '../src/turn.types.js';
import type { SessionState } from '../src/turn.types.js';

/** R6: the "reported again by" line for a resubmission today. */
export function reportedByMsg(deps: FlowDeps): Msg {
  const by = reReportedBy(chinaDate(deps.clock.now()), deps.calendar);
  return m('recovery.reportedBy', toDateParams(by));
}

function showNode(filing: Filing, node: RecoveryNode, path: string[], deps: FlowDeps, intro: Msg[] = []): StepResult {
  if (node.kind === 'question') {
    const state: SessionState = { v: SESSION_VERSION, flow: 'recovery', step: node.id, data: { filingId: filing.id, path } };
    const buttons = node.answers.map((a) => [btn(a.label, encodeButton('ra', filing.id, node.id, a.id))]);
    return { status: 'waiting', state, replies: [reply([...intro, m(node.text)], buttons)] };
  }
  const lines = [...intro, m('recovery.steps'), ...node.steps.map((key, i) => m('recovery.step', { n: i + 1, text: m(key) })), reportedByMsg(deps)];
  return done(reply(lines, [[btn('recovery.restart', encodeButton('rc', filing.id))], ...menuButtons(deps)]));
}

/** Start the wizard for a returned filing. */
export async function recoveryStart(id: string, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const tree = recoveryTree(filing.type);
  if (!tree) return done(reply([m('recovery.notApplicable')], menuButtons(deps)));
  if (filing.status !== 'returned') return done(reply([m('recovery.notReturned', { id, status: m(`status.${filing.status}`) })], menuButtons(deps)));
  const intro: Msg[] = [m('recovery.intro', { id, type: m(`type.${filing.type}`), reason: m(`reason.${filing.returnReason ?? 'other'}`) })];
  if (filing.returnReason === 'other') intro.push(m('recovery.otherReason'));
  if (filing.type === 'access' && filing.shellWebsite) intro.push(m('recovery.shellNote'));
  return showNode(filing, tree.nodes[tree.start]!, [], deps, intro);
}

/** An answer button: valid only for the question this conversation is on now. */
export async function recoveryAnswer(id: string, nodeId: string, answerId: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const tree = recoveryTree(filing.type);
  const node = tree?.nodes[nodeId];
  const answer = node?.kind === 'question' ? node.answers.find((a) => a.id === answerId) : undefined;
  if (!tree || !answer || filing.status !== 'returned' || session?.flow !== 'recovery' || session.data.filingId !== id || session.step !== nodeId) return expired(deps);
  return showNode(filing, tree.nodes[answer.next]!, [...(session.data.path ?? []), `${nodeId}=${answerId}`], deps);
}

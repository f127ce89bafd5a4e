/** The recovery wizard (R6): the branching questions for the filing, past what its record answers, ending with concrete steps and the re-reported-by date. */
import type { Filing } from '../src/filings/filing.js';
import { recoveryTree, type RecoveryNode } from '../src/rules/recovery.rules.js';
import type { Msg } from '../src/activity.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired, notFound } from './step.results.js';
import { menuButtons } from './menu.replies.js';
import { visibleFiling } from './my.filings.js';
import { recoveryPath, type RecoveryPath } from './team.flow.js';
import { SESSION_VERSION, type FlowDeps, type StepResult } from '../src/turn.types.js';
import type { SessionState } from '../src/turn.types.js';

function showNode(filing: Filing, path: RecoveryPath, node: RecoveryNode, answered: string[], deps: FlowDeps, intro: Msg[] = []): StepResult {
  if (node.kind === 'question') {
    const state: SessionState = { v: SESSION_VERSION, flow: 'recovery', step: node.id, data: { filingId: filing.id, path: answered } };
    const buttons = node.answers.map((a) => [btn(a.label, encodeButton('ra', filing.id, node.id, a.id))]);
    return { status: 'waiting', state, replies: [reply([...intro, m(node.text, path.params)], buttons)] };
  }
  const steps = node.steps.map((key, i) => m('recovery.step', { n: i + 1, text: m(key, path.params) }));
  return done(reply([...intro, m('recovery.steps'), ...steps, path.reportedBy], [[btn('recovery.restart', encodeButton('rc', filing.id))], ...menuButtons(deps)]));
}

/** Start the wizard for a returned filing, with what its record already says about the website. */
export async function recoveryStart(id: string, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const path = recoveryPath(deps, filing);
  if (!path.tree) return done(reply(path.notes, menuButtons(deps)));
  if (filing.status !== 'returned') return done(reply([m('recovery.notReturned', { id, status: m(`status.${filing.status}`) })], menuButtons(deps)));
  const intro: Msg[] = [m('recovery.intro', { id, type: m(`type.${filing.type}`), reason: m(`reason.${filing.returnReason ?? 'other'}`) }), ...path.notes];
  return showNode(filing, path, path.tree.nodes[path.tree.start]!, [], deps, intro);
}

/** An answer button: valid only for the question this conversation is on now. */
export async function recoveryAnswer(id: string, nodeId: string, answerId: string, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  const tree = recoveryTree(filing.type);
  const node = tree?.nodes[nodeId];
  const answer = node?.kind === 'question' ? node.answers.find((a) => a.id === answerId) : undefined;
  if (!tree || !answer || filing.status !== 'returned' || session?.flow !== 'recovery' || session.data.filingId !== id || session.step !== nodeId) return expired(deps);
  return showNode(filing, recoveryPath(deps, filing), tree.nodes[answer.next]!, [...(session.data.path ?? []), `${nodeId}=${answerId}`], deps);
}

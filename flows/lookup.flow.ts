/** Lookup: a filing's type, status, verifiers (masked), deadline, whether I must verify, and R7 warnings. */
import type { Button, Msg, Reply } from '../src/activity.js';
import type { Filing } from '../src/filings/filing.js';
import { hasRecovery } from '../src/rules/recovery.rules.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, notFound } from './step.results.js';
import { isMine, partLine, summaryFor, visibleFiling } from './my.filings.js';
import { myPart, type MyPart } from '../src/rules/my-part.rules.js';
import { menuButtons } from './menu.replies.js';
import type { FlowDeps, StepResult } from '../src/turn.types.js';
import type { FilingSummary } from '../src/summary/filing.summary.js';

/** The lines describing a filing for an applicant, ending with what this person must do. */
export function filingCardLines(summary: FilingSummary, part: MyPart, deps: FlowDeps): Msg[] {
  const lines: Msg[] = [m('lookup.header', { id: summary.id, type: summary.type, status: summary.status }), m('lookup.subject', { name: summary.subjectName })];
  if (summary.returnReason) lines.push(m('lookup.returned', { reason: summary.returnReason }));
  if (!summary.noSms) lines.push(...verificationLines(summary));
  const mine = partLine(part, deps.me.phoneMasked ?? '');
  if (mine) lines.push(mine);
  lines.push(...summary.warnings);
  return lines;
}

/** The cycle, the verifiers (masked) and where the cycle stands. */
function verificationLines(summary: FilingSummary): Msg[] {
  const cycle = summary.cycle;
  const lines = [cycle ? m('lookup.cycle', { cycle: cycle.number, reportedAt: cycle.reportedAt }) : m('lookup.notReported'), m('lookup.verifiers')];
  for (const v of summary.verifiers) lines.push(m('lookup.verifier', { name: v.name, phone: v.phone, roles: v.roles, state: cycle ? m(`state.${v.state}`) : m('state.pending') }));
  if (cycle) {
    if (cycle.allVerified) lines.push(m('lookup.allVerified'));
    else if (cycle.open) lines.push(m('lookup.deadline', { deadline: cycle.deadline, left: cycle.left }));
    else if (cycle.overdue && summary.returnReason === undefined) lines.push(m('lookup.overdue', { deadline: cycle.deadline }));
    else lines.push(m('lookup.closed', { deadline: cycle.deadline }));
  }
  return lines;
}

/** The buttons under a filing card: what this person can do next. */
export function filingButtons(filing: Filing, part: MyPart, deps: FlowDeps): Button[][] {
  const rows: Button[][] = [];
  if (part.kind === 'verify') {
    rows.push([btn('btn.verifyGuide', encodeButton('vg', filing.id)), btn('btn.resendGuide', encodeButton('rg', filing.id))]);
    rows.push([btn('btn.iVerified', encodeButton('iv', filing.id))]);
  }
  if (filing.status === 'returned' && hasRecovery(filing.type)) rows.push([btn('btn.recovery', encodeButton('rc', filing.id))]);
  return [...rows, ...menuButtons(deps)];
}

/** The card reply for a visible filing. */
export async function filingCard(filing: Filing, deps: FlowDeps): Promise<Reply> {
  const summary = await summaryFor(filing, deps);
  const part = myPart(filing, summary.state, isMine(deps));
  return reply(filingCardLines(summary, part, deps), filingButtons(filing, part, deps));
}

/** `/lookup <id>` (alias `/status`), or the lookup button. */
export async function lookup(id: string | undefined, deps: FlowDeps): Promise<StepResult> {
  if (!id) return done(reply([m('lookup.usage')], menuButtons(deps)));
  const filing = await visibleFiling(deps, id);
  if (!filing) return notFound(deps, id);
  return done(await filingCard(filing, deps));
}

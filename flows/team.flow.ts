/**
 * The internal team's actions, on any staff platform: nudge a filing's pending verifiers (at most
 * once per 10 minutes per filing), record a verifier's confirmation by phone, and the R6 recovery
 * path. Adapters translate their platform's payloads into these calls and render the results.
 */
import type { Msg } from '../src/activity.js';
import type { Filing, FilingType } from '../src/filings/filing.js';
import type { People } from '../src/people.js';
import { reReportedBy, recoveryTree, type RecoveryTree } from '../src/rules/recovery.rules.js';
import { toDateParams, type WorkCalendar } from '../src/rules/workday.rules.js';
import type { Nudger } from '../src/reminders/nudge.sender.js';
import { chinaDate, instant, toChinaTime } from '../src/time.js';
import type { FilingSummary, VerifierView } from '../src/summary/filing.summary.js';
import { offeredActions, pendingCount, summaryOf, type TeamViewDeps } from './team.views.js';

/** Nudges are refused when repeated within this long, per filing. */
export const NUDGE_COOLDOWN_MS = 10 * 60_000;

/** What the team did, for the audit log; `actor` is the team member's id on their platform. */
export type TeamAuditAction = 'nudge' | 'nudge.refused' | 'team_confirm';

/** What the team's actions need, on top of what its reads need. */
export interface TeamDeps extends TeamViewDeps {
  people: Pick<People, 'confirmations' | 'facts' | 'keyOf' | 'teamConfirm'>;
  calendar: WorkCalendar;
  /** Reaches a filing's linked pending verifiers; absent when the reminder service is not running. */
  nudge?: Nudger;
  /** Writes one audit line. */
  audit(action: TeamAuditAction, fields: { filingId: string; actor: string } & Record<string, unknown>): void;
}

/** What a nudge did. */
export type NudgeResult = { status: 'done'; count: number } | { status: 'refused'; at: string; by: string; next: string } | { status: 'nothing' } | { status: 'no_service' };

interface NudgeMark {
  at: number;
  by: string;
}

/**
 * Nudges the linked pending verifiers of a filing through the reminder service, at most once per
 * 10 minutes per filing (judged by the injected clock, under the filing's lock), audit-logged.
 */
export async function nudgeFiling(deps: TeamDeps, filing: Filing, actor: string): Promise<NudgeResult> {
  const summary = await summaryOf(deps, filing);
  if (filing.status !== 'verifying' || !summary.cycle?.open || pendingCount(summary) === 0) return { status: 'nothing' };
  const nudge = deps.nudge;
  if (!nudge) return { status: 'no_service' };
  const key = `nudge:${filing.id}`;
  const now = deps.clock.now().valueOf();
  const claim = await deps.marks.withLock(key, async (): Promise<NudgeMark | 'claimed'> => {
    const last = await deps.marks.get<NudgeMark>(key);
    if (last && now - last.at < NUDGE_COOLDOWN_MS) return last;
    await deps.marks.set<NudgeMark>(key, { at: now, by: actor }, NUDGE_COOLDOWN_MS);
    return 'claimed';
  });
  if (claim !== 'claimed') {
    deps.audit('nudge.refused', { filingId: filing.id, actor, lastBy: claim.by });
    return { status: 'refused', at: toChinaTime(instant(claim.at)), by: claim.by, next: toChinaTime(instant(claim.at + NUDGE_COOLDOWN_MS)) };
  }
  let count: number;
  try {
    count = await nudge(filing, { kind: 'team' });
  } catch (error) {
    // The nudge did not happen: let the next tap try again at once.
    await deps.marks.delete(key);
    throw error;
  }
  deps.audit('nudge', { filingId: filing.id, cycle: summary.cycle.number, actor, reached: count });
  return { status: 'done', count };
}

/** Whom a confirmation may be recorded for: nobody, or the pending verifiers of the current cycle. */
export type ConfirmChoices = { status: 'none' } | { status: 'choose'; summary: FilingSummary; cycle: number };

/** The verifiers a team member may confirm by phone: the pending ones of a filing being verified. */
export async function confirmChoices(deps: TeamDeps, filing: Filing): Promise<ConfirmChoices> {
  const summary = await summaryOf(deps, filing);
  return offeredActions(filing, summary).confirm && filing.cycle ? { status: 'choose', summary, cycle: filing.cycle.number } : { status: 'none' };
}

/** One choice from the chooser: the cycle it was made for, the verifier's index and a prefix of their phone key. */
export interface ConfirmChoice {
  cycle: number;
  index: number;
  keyPrefix: string;
}

/** What recording a phone confirmation did. */
export type ConfirmResult = { status: 'recorded'; who: VerifierView } | { status: 'already'; who: VerifierView } | { status: 'stale' };

/**
 * Records that a team member confirmed a pending verifier by phone, in the cycle the chooser was
 * made for; audit-logged with the member's id. The summary then shows "confirmed by team", apart
 * from the filing system's own confirmations. A choice made for another cycle or record is stale.
 */
export async function recordConfirmation(deps: TeamDeps, filing: Filing, choice: ConfirmChoice, actor: string): Promise<ConfirmResult> {
  if (filing.status !== 'verifying' || filing.cycle?.number !== choice.cycle) return { status: 'stale' };
  const summary = await summaryOf(deps, filing);
  const who = summary.verifiers[choice.index];
  if (!who?.key.startsWith(choice.keyPrefix)) return { status: 'stale' };
  if (who.state !== 'pending') return { status: 'already', who };
  const recorded = await deps.people.teamConfirm(filing.id, choice.cycle, who.key, { at: deps.clock.now().toISOString(), by: actor });
  if (!recorded) return { status: 'already', who };
  deps.audit('team_confirm', { filingId: filing.id, cycle: choice.cycle, verifier: who.phone, actor });
  return { status: 'recorded', who };
}

/** R6 for one filing: its type's decision tree (none for a type without an SMS step), the notes that apply, and the re-report line. */
export interface RecoveryPath {
  filingId: string;
  type: FilingType;
  tree?: RecoveryTree;
  /** Shown before the tree: why there is none, or what to know first. */
  notes: Msg[];
  reportedBy: Msg;
}

/** R6: the "reported again by" line for a resubmission today (China working days). */
export function reportedBy(deps: Pick<TeamDeps, 'clock' | 'calendar'>): Msg {
  const by = reReportedBy(chinaDate(deps.clock.now()), deps.calendar);
  return { key: 'recovery.reportedBy', params: toDateParams(by) };
}

/** R6: the whole recovery path for a filing, with the notes its return reason and type call for. */
export function recoveryPath(deps: Pick<TeamDeps, 'clock' | 'calendar'>, filing: Filing): RecoveryPath {
  const tree = recoveryTree(filing.type);
  const notes: Msg[] = [];
  if (!tree) notes.push({ key: 'recovery.notApplicable' });
  else {
    if (filing.status === 'returned' && filing.returnReason === 'other') notes.push({ key: 'recovery.otherReason' });
    if (filing.type === 'access' && filing.shellWebsite) notes.push({ key: 'recovery.shellNote' });
  }
  return { filingId: filing.id, type: filing.type, ...(tree ? { tree } : {}), notes, reportedBy: reportedBy(deps) };
}

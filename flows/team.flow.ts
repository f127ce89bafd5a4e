/**
 * The internal team's actions, on any staff platform: nudge a filing's pending verifiers (at most
 * once per 10 minutes per filing), record a verifier's confirmation by phone, and the R6 recovery
 * path. Adapters translate their platform's payloads into these calls, apply the mark writes they
 * return, and render the results.
 */
import type { Msg, MsgParam } from '../src/activity.js';
import type { Filing, FilingType } from '../src/filings/filing.js';
import type { TeamConfirmation } from '../src/people.js';
import { reReportedBy, recoveryTreeFor, type RecoveryTree } from '../src/rules/recovery.rules.js';
import { toDateParams, type WorkCalendar } from '../src/rules/workday.rules.js';
import type { Nudger } from '../src/reminders/nudge.sender.js';
import type { MarkStep, MarkWrite } from '../src/store/marks.js';
import { chinaDate, instant, toChinaTime } from '../src/time.js';
import type { FilingSummary, VerifierView } from '../src/summary/filing.summary.js';
import { offeredActions, pendingCount, summaryOf, type TeamViewDeps } from './team.views.js';

/** Nudges are refused when repeated within this long, per filing. */
export const NUDGE_COOLDOWN_MS = 10 * 60_000;

/** What the team did, for the audit log; `actor` is the team member's id on their platform. */
export type TeamAuditAction = 'nudge' | 'nudge.refused' | 'team_confirm';

/** What the team's actions need, on top of what its reads need; their writes are returned for the caller to apply. */
export interface TeamDeps extends TeamViewDeps {
  calendar: WorkCalendar;
  /** Reaches a filing's linked pending verifiers; absent when the reminder service is not running. */
  nudge?: Nudger;
  /** Writes one audit line. */
  audit(action: TeamAuditAction, fields: { filingId: string; actor: string } & Record<string, unknown>): void;
}

/** What a nudge did. */
export type NudgeResult = { status: 'done'; count: number } | { status: 'refused'; at: string; by: string; next: string } | { status: 'nothing' } | { status: 'no_service' };

/** The last nudge of a filing: when and by whom; kept for the cooldown. */
export interface NudgeMark {
  at: number;
  by: string;
}

/** What a nudge step decided: an answer now, or the cooldown claimed, with the write that releases it should the nudge fail. */
export type NudgeStep = Exclude<NudgeResult, { status: 'done' }> | { status: 'claimed'; cycle: number; release: MarkWrite[] };

/** The mark holding a filing's last nudge, under whose lock the caller runs `nudgeStep` and applies its writes. */
export function nudgeKey(filingId: string): string {
  return `nudge:${filingId}`;
}

/**
 * Decides a nudge from the filing's last one (read under its mark's lock): nothing to nudge, no
 * service, refused within 10 minutes of the last (judged by the injected clock, audit-logged), or
 * claimed, with the mark to write before the caller sends through `deps.nudge` and reports with `nudgeSent`.
 */
export async function nudgeStep(deps: TeamDeps, filing: Filing, actor: string, last: NudgeMark | undefined): Promise<MarkStep<NudgeStep>> {
  const summary = await summaryOf(deps, filing);
  if (filing.status !== 'verifying' || !summary.cycle?.open || pendingCount(summary) === 0) return { result: { status: 'nothing' }, writes: [] };
  if (!deps.nudge) return { result: { status: 'no_service' }, writes: [] };
  const now = deps.clock.now().valueOf();
  if (last && now - last.at < NUDGE_COOLDOWN_MS) {
    deps.audit('nudge.refused', { filingId: filing.id, actor, lastBy: last.by });
    return { result: { status: 'refused', at: toChinaTime(instant(last.at)), by: last.by, next: toChinaTime(instant(last.at + NUDGE_COOLDOWN_MS)) }, writes: [] };
  }
  const key = nudgeKey(filing.id);
  const mark: NudgeMark = { at: now, by: actor };
  // A nudge that did not happen releases its claim, so the next tap tries again at once.
  return { result: { status: 'claimed', cycle: summary.cycle.number, release: [{ type: 'mark.delete', key }] }, writes: [{ type: 'mark.set', key, value: mark, ttlMs: NUDGE_COOLDOWN_MS }] };
}

/** A claimed nudge that went out to `count` verifiers: audit-logged, answered as done. */
export function nudgeSent(deps: Pick<TeamDeps, 'audit'>, filing: Filing, claim: Extract<NudgeStep, { status: 'claimed' }>, actor: string, count: number): NudgeResult {
  deps.audit('nudge', { filingId: filing.id, cycle: claim.cycle, actor, reached: count });
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

/** A phone confirmation for the caller to write with `People.teamConfirm` (which writes it once only). */
export interface TeamConfirmWrite {
  filingId: string;
  cycle: number;
  phoneKey: string;
  confirmation: TeamConfirmation;
}

/** What a confirmation step decided: an answer now, or the confirmation to write. */
export type ConfirmStep = Exclude<ConfirmResult, { status: 'recorded' }> | { status: 'record'; who: VerifierView; write: TeamConfirmWrite };

/**
 * Decides a team member's phone confirmation of a pending verifier, in the cycle the chooser was
 * made for: stale (a choice made for another cycle or record), already confirmed, or the
 * confirmation to write, dated by the clock. The summary then shows "confirmed by team", apart
 * from the filing system's own confirmations.
 */
export async function confirmStep(deps: TeamDeps, filing: Filing, choice: ConfirmChoice, actor: string): Promise<ConfirmStep> {
  if (filing.status !== 'verifying' || filing.cycle?.number !== choice.cycle) return { status: 'stale' };
  const summary = await summaryOf(deps, filing);
  const who = summary.verifiers[choice.index];
  if (!who?.key.startsWith(choice.keyPrefix)) return { status: 'stale' };
  if (who.state !== 'pending') return { status: 'already', who };
  return { status: 'record', who, write: { filingId: filing.id, cycle: choice.cycle, phoneKey: who.key, confirmation: { at: deps.clock.now().toISOString(), by: actor } } };
}

/** The answer once the caller wrote the confirmation: recorded and audit-logged with the member's id, or already there. */
export function confirmationWritten(deps: Pick<TeamDeps, 'audit'>, step: Extract<ConfirmStep, { status: 'record' }>, written: boolean): ConfirmResult {
  if (!written) return { status: 'already', who: step.who };
  const { filingId, cycle, confirmation } = step.write;
  deps.audit('team_confirm', { filingId, cycle, verifier: step.who.phone, actor: confirmation.by });
  return { status: 'recorded', who: step.who };
}

/** R6 for one filing: its decision tree (none for a type without an SMS step), the notes that apply, and the re-report line. */
export interface RecoveryPath {
  filingId: string;
  type: FilingType;
  /** Starts past any question the record already answers. */
  tree?: RecoveryTree;
  /** Shown before the tree: why there is none, or what to know first. */
  notes: Msg[];
  /** What every question and step of the tree is rendered with: `provider`, named when the record names it. */
  params: Record<string, MsgParam>;
  reportedBy: Msg;
}

/** R6: the "reported again by" line for a resubmission today (China working days). */
export function reportedBy(deps: Pick<TeamDeps, 'clock' | 'calendar'>): Msg {
  const by = reReportedBy(chinaDate(deps.clock.now()), deps.calendar);
  return { key: 'recovery.reportedBy', params: toDateParams(by) };
}

/** R6: the access provider the steps send the person to: the one the record names, or "the current access provider". */
function providerParam(filing: Filing): Msg {
  const name = filing.type === 'access' ? filing.currentAccessProvider?.trim() : undefined;
  return name ? { key: 'recovery.provider.named', params: { name } } : { key: 'recovery.provider.current' };
}

/** R6: what the record says about an access filing's website, so the person is not asked what is known. */
function accessNotes(filing: Filing): Msg[] {
  if (filing.shellWebsite) return [{ key: 'recovery.shellNote' }];
  const notes: Msg[] = [];
  if (filing.shellWebsite === false) notes.push({ key: 'recovery.hostedNote' });
  const provider = filing.currentAccessProvider?.trim();
  if (provider) notes.push({ key: 'recovery.providerNote', params: { provider } });
  return notes;
}

/** R6: the whole recovery path for a filing, with the notes its return reason and record call for. */
export function recoveryPath(deps: Pick<TeamDeps, 'clock' | 'calendar'>, filing: Filing): RecoveryPath {
  const tree = recoveryTreeFor(filing);
  const notes: Msg[] = [];
  if (!tree) notes.push({ key: 'recovery.notApplicable' });
  else {
    if (filing.status === 'returned' && filing.returnReason === 'other') notes.push({ key: 'recovery.otherReason' });
    if (filing.type === 'access') notes.push(...accessNotes(filing));
  }
  return { filingId: filing.id, type: filing.type, ...(tree ? { tree } : {}), notes, params: { provider: providerParam(filing) }, reportedBy: reportedBy(deps) };
}

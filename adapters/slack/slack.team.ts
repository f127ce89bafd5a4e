/** The team's reads and actions over the core: summaries, the pending list, App Home data, nudges and phone confirmations. */
import type { Msg } from '../../src/activity.js';
import type { Core } from '../../src/core.js';
import type { Filing } from '../../src/filing.js';
import { deadlineOf } from '../../src/rules/cycle.rules.js';
import { reReportedBy } from '../../src/rules/recovery.rules.js';
import { toDateParams } from '../../src/rules/workday.rules.js';
import { chinaDate, toChinaTime, instant } from '../../src/time.js';
import { summarizeFiling, type FilingSummary, type VerifierView } from '../../src/summary/filing.summary.js';
import type { CycleFacts } from '../../src/people.js';
import { pendingCount as pending, type HomeData, type ListedFiling, type ReturnedEntry } from './slack.render.js';

/** RULES R5/issue 5: a filing is at risk with 4 h or less left and someone pending. */
export const AT_RISK_MS = 4 * 3_600_000;
/** Nudges are refused when repeated within this long, per filing. */
export const NUDGE_COOLDOWN_MS = 10 * 60_000;
/** App Home lists returns of this many days. */
export const RETURNED_WINDOW_MS = 7 * 86_400_000;

/** A filing's summary now, with the team's and applicants' own confirmations. */
export async function summaryOf(core: Core, filing: Filing): Promise<FilingSummary> {
  return summarizeFiling(filing, core.clock.now(), await core.people.confirmations(filing), core.people.keyOf);
}

/** What each verifier reported in the filing's current cycle (resends, wrong entries), by phone key. */
export async function cycleFacts(core: Core, filing: Filing, summary: FilingSummary): Promise<Record<string, CycleFacts>> {
  const cycle = filing.cycle?.number;
  if (cycle === undefined) return {};
  const out: Record<string, CycleFacts> = {};
  for (const v of summary.verifiers) out[v.key] = await core.people.facts(v.key, filing.id, cycle);
  return out;
}

/** Filings in an open verification window: those with someone pending first, each group by time left, least first. */
export async function pendingWindows(core: Core): Promise<ListedFiling[]> {
  const out: ListedFiling[] = [];
  for (const filing of core.filings.openWindows()) {
    const summary = await summaryOf(core, filing);
    if (summary.cycle?.open) out.push({ filing, summary });
  }
  return out.sort(
    (a, b) =>
      Number(pending(b.summary) > 0) - Number(pending(a.summary) > 0) ||
      a.summary.cycle!.msLeft - b.summary.cycle!.msLeft ||
      a.filing.id.localeCompare(b.filing.id),
  );
}

/** The store key under which a return seen by this app is dated. */
export function returnedKey(filingId: string, cycle: number): string {
  return `slack:returned:${filingId}:${cycle}`;
}

/**
 * Dates returns as they happen (the filing records carry no return time): a `filing.returned`
 * event is dated by its `at`, any other change into `returned` by the clock.
 */
export function trackReturns(core: Core): () => void {
  let active = true;
  core.filings.onChange((filing, previous, event) => {
    if (!active || filing.status !== 'returned' || previous?.status === 'returned') return;
    const at = event.type === 'filing.returned' ? instant(event.at).toISOString() : core.clock.now().toISOString();
    void core.store.set(returnedKey(filing.id, filing.cycle?.number ?? 0), at, 2 * RETURNED_WINDOW_MS).catch((error: unknown) => core.logger.warn('slack: could not date a return', { filingId: filing.id, error }));
  });
  return () => {
    active = false;
  };
}

/** App Home's data: at-risk filings (overdue ones included, until the bureau returns them), recent returns, counts by status. */
export async function homeData(core: Core): Promise<HomeData> {
  const now = core.clock.now();
  const atRisk: ListedFiling[] = [];
  for (const filing of core.filings.openWindows()) {
    const summary = await summaryOf(core, filing);
    if (summary.cycle && pending(summary) > 0 && summary.cycle.msLeft <= AT_RISK_MS) atRisk.push({ filing, summary });
  }
  atRisk.sort((a, b) => a.summary.cycle!.msLeft - b.summary.cycle!.msLeft || a.filing.id.localeCompare(b.filing.id));

  const returned: Array<ReturnedEntry & { ms: number }> = [];
  const counts: HomeData['counts'] = {};
  for (const filing of core.filings.all()) {
    counts[filing.status] = (counts[filing.status] ?? 0) + 1;
    if (filing.status !== 'returned' || !filing.cycle) continue;
    const tracked = await core.store.get<string>(returnedKey(filing.id, filing.cycle.number));
    // Without a tracked return, the bureau returns a timed-out filing at the earliest at the deadline.
    const at = tracked ? instant(tracked) : deadlineOf(filing.cycle.reportedAt);
    const age = now.valueOf() - at.valueOf();
    if (age >= 0 && age <= RETURNED_WINDOW_MS) returned.push({ filing, at: toChinaTime(at), approximate: !tracked, ms: at.valueOf() });
  }
  returned.sort((a, b) => b.ms - a.ms || a.filing.id.localeCompare(b.filing.id));
  return { now: toChinaTime(now), atRisk, returned: returned.map(({ ms: _ms, ...r }) => r), counts };
}

/** R6: the "reported again by" line for a resubmission today (China working days). */
export function reportedBy(core: Core): Msg {
  const by = reReportedBy(chinaDate(core.clock.now()), core.calendar);
  return { key: 'recovery.reportedBy', params: toDateParams(by) };
}

/** What a nudge did. */
export type NudgeResult =
  | { status: 'done'; count: number }
  | { status: 'refused'; at: string; by: string; next: string }
  | { status: 'nothing' }
  | { status: 'no_service' };

interface NudgeMark {
  at: number;
  by: string;
}

/**
 * Nudges the linked pending verifiers of a filing through the reminder service, at most once per
 * 10 minutes per filing (judged by the core clock, under the filing's lock), audit-logged.
 */
export async function nudgeFiling(core: Core, filing: Filing, slackUser: string): Promise<NudgeResult> {
  const summary = await summaryOf(core, filing);
  if (filing.status !== 'verifying' || !summary.cycle?.open || pending(summary) === 0) return { status: 'nothing' };
  const nudger = core.nudge;
  if (!nudger) return { status: 'no_service' };
  const key = `slack:nudge:${filing.id}`;
  const now = core.clock.now().valueOf();
  const claim = await core.store.withLock(key, async (): Promise<NudgeMark | 'claimed'> => {
    const last = await core.store.get<NudgeMark>(key);
    if (last && now - last.at < NUDGE_COOLDOWN_MS) return last;
    await core.store.set<NudgeMark>(key, { at: now, by: slackUser }, NUDGE_COOLDOWN_MS);
    return 'claimed';
  });
  if (claim !== 'claimed') {
    core.logger.info('audit', { action: 'slack.nudge.refused', filingId: filing.id, slackUser, lastBy: claim.by });
    return { status: 'refused', at: toChinaTime(instant(claim.at)), by: claim.by, next: toChinaTime(instant(claim.at + NUDGE_COOLDOWN_MS)) };
  }
  let count: number;
  try {
    count = await nudger(filing, { kind: 'team' });
  } catch (error) {
    // The nudge did not happen: let the next tap try again at once.
    await core.store.delete(key);
    throw error;
  }
  core.logger.info('audit', { action: 'slack.nudge', filingId: filing.id, cycle: summary.cycle.number, slackUser, reached: count });
  return { status: 'done', count };
}

/** What recording a phone confirmation did. */
export type ConfirmResult =
  | { status: 'recorded'; who: VerifierView }
  | { status: 'already'; who: VerifierView }
  | { status: 'stale' };

/** A chooser button's value: filing, cycle, verifier index, and a prefix of that verifier's phone key. */
export function parseConfirmValue(value: string): { filingId: string; cycle: number; index: number; keyPrefix: string } | undefined {
  const match = /^([A-Za-z0-9_-]{4,40}):(\d{1,6}):(\d{1,3}):([A-Za-z0-9_-]{1,22})$/.exec(value);
  if (!match) return undefined;
  return { filingId: match[1]!, cycle: Number(match[2]), index: Number(match[3]), keyPrefix: match[4]! };
}

/**
 * Records that a team member confirmed a pending verifier by phone, in the cycle the chooser was
 * made for; audit-logged with the Slack user id. The summary then shows "confirmed by team",
 * apart from the filing system's own confirmations.
 */
export async function recordConfirmation(core: Core, filing: Filing, choice: { cycle: number; index: number; keyPrefix: string }, slackUser: string): Promise<ConfirmResult> {
  if (filing.status !== 'verifying' || filing.cycle?.number !== choice.cycle) return { status: 'stale' };
  const summary = await summaryOf(core, filing);
  const who = summary.verifiers[choice.index];
  if (!who || !who.key.startsWith(choice.keyPrefix)) return { status: 'stale' };
  if (who.state !== 'pending') return { status: 'already', who };
  const recorded = await core.people.teamConfirm(filing.id, choice.cycle, who.key, { at: core.clock.now().toISOString(), by: slackUser });
  if (!recorded) return { status: 'already', who };
  core.logger.info('audit', { action: 'slack.team_confirm', filingId: filing.id, cycle: choice.cycle, verifier: who.phone, slackUser });
  return { status: 'recorded', who };
}

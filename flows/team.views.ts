/**
 * What the internal team reads, on any staff platform: a filing's summary with every confirmation,
 * the pending list, and the home view (at risk, recent returns, counts), over narrow ports.
 */
import type { Clock } from '../src/clock.js';
import type { Filing, FilingStatus } from '../src/filings/filing.js';
import type { FilingEvent } from '../src/filings/events.js';
import type { FilingSource } from '../src/filings/filings.port.js';
import type { CycleFacts, People } from '../src/people.js';
import { deadlineOf } from '../src/rules/cycle.rules.js';
import { hasRecovery } from '../src/rules/recovery.rules.js';
import { AT_RISK_MS } from '../src/rules/schedule.rules.js';
import type { MarkWrite } from '../src/store/marks.js';
import type { StateStore } from '../src/store/state-store.js';
import { instant, toChinaTime } from '../src/time.js';
import { summarizeFiling, type FilingSummary } from '../src/summary/filing.summary.js';

/** App Home lists returns of this many days. */
export const RETURNED_WINDOW_MS = 7 * 86_400_000;

/** What the team's reads need: the clock, the filings, the people's confirmations and facts, and the team's own marks, read only. */
export interface TeamViewDeps {
  clock: Clock;
  filings: Pick<FilingSource, 'get' | 'openWindows' | 'all'>;
  people: Pick<People, 'confirmations' | 'facts' | 'keyOf'>;
  /** Where the team's marks live (nudge cooldowns, dated returns); the adapter gives each staff platform its namespace and applies the writes. */
  marks: Pick<StateStore, 'get'>;
}

/** One entry of the pending list. */
export interface ListedFiling {
  filing: Filing;
  summary: FilingSummary;
}

/** A filing returned recently, with when (tracked, or approximated by the cycle's deadline). */
export interface ReturnedEntry {
  filing: Filing;
  at: string;
  approximate: boolean;
}

/** What the home view shows. */
export interface HomeData {
  now: string;
  atRisk: ListedFiling[];
  returned: ReturnedEntry[];
  counts: Partial<Record<FilingStatus, number>>;
}

/** How many verifiers of a summary are still pending. */
export function pendingCount(s: FilingSummary): number {
  return s.verifiers.filter((v) => v.state === 'pending').length;
}

/** The team actions a filing offers now, which a staff platform shows as buttons. */
export interface OfferedActions {
  /** Someone is pending in an open window. */
  nudge: boolean;
  /** R6: the filing's type has a recovery path. */
  recovery: boolean;
  /** Someone is pending in the current cycle (the window may have closed: the bureau may still accept). */
  confirm: boolean;
}

/** What the team may do about a filing, given its summary. */
export function offeredActions(filing: Filing, s: FilingSummary): OfferedActions {
  const pending = filing.status === 'verifying' && pendingCount(s) > 0;
  return { nudge: pending && s.cycle?.open === true, recovery: hasRecovery(filing.type), confirm: pending && Boolean(s.cycle) };
}

/** A filing's summary now, with the team's and applicants' own confirmations. */
export async function summaryOf(deps: TeamViewDeps, filing: Filing): Promise<FilingSummary> {
  return summarizeFiling(filing, deps.clock.now(), await deps.people.confirmations(filing), deps.people.keyOf);
}

/** What each verifier reported in the filing's current cycle (resends, wrong entries), by phone key. */
export async function cycleFacts(deps: TeamViewDeps, filing: Filing, summary: FilingSummary): Promise<Record<string, CycleFacts>> {
  const cycle = filing.cycle?.number;
  if (cycle === undefined) return {};
  const out: Record<string, CycleFacts> = {};
  for (const v of summary.verifiers) out[v.key] = await deps.people.facts(v.key, filing.id, cycle);
  return out;
}

/** Filings in an open verification window: those with someone pending first, each group by time left, least first. */
export async function pendingWindows(deps: TeamViewDeps): Promise<ListedFiling[]> {
  const out: ListedFiling[] = [];
  for await (const filing of deps.filings.openWindows()) {
    const summary = await summaryOf(deps, filing);
    if (summary.cycle?.open) out.push({ filing, summary });
  }
  return out.sort((a, b) => Number(pendingCount(b.summary) > 0) - Number(pendingCount(a.summary) > 0) || a.summary.cycle!.msLeft - b.summary.cycle!.msLeft || a.filing.id.localeCompare(b.filing.id));
}

/** The mark under which a return seen by this process is dated. */
function returnedKey(filingId: string, cycle: number): string {
  return `returned:${filingId}:${cycle}`;
}

/**
 * The mark that dates a return as it happens (the filing records carry no return time), for the
 * caller to write: a `filing.returned` event is dated by its `at`, any other change into `returned`
 * by the clock. None for any other change.
 */
export function returnDate(deps: Pick<TeamViewDeps, 'clock'>, filing: Filing, previous: Filing | undefined, event: FilingEvent): MarkWrite | undefined {
  if (filing.status !== 'returned' || previous?.status === 'returned') return undefined;
  const at = event.type === 'filing.returned' ? instant(event.at).toISOString() : deps.clock.now().toISOString();
  return { type: 'mark.set', key: returnedKey(filing.id, filing.cycle?.number ?? 0), value: at, ttlMs: 2 * RETURNED_WINDOW_MS };
}

/** The home view's data: at-risk filings (overdue ones included, until the bureau returns them), recent returns, counts by status. */
export async function homeData(deps: TeamViewDeps): Promise<HomeData> {
  const now = deps.clock.now();
  const atRisk: ListedFiling[] = [];
  for await (const filing of deps.filings.openWindows()) {
    const summary = await summaryOf(deps, filing);
    if (summary.cycle && pendingCount(summary) > 0 && summary.cycle.msLeft <= AT_RISK_MS) atRisk.push({ filing, summary });
  }
  atRisk.sort((a, b) => a.summary.cycle!.msLeft - b.summary.cycle!.msLeft || a.filing.id.localeCompare(b.filing.id));

  const returned: Array<ReturnedEntry & { ms: number }> = [];
  const counts: HomeData['counts'] = {};
  for await (const filing of deps.filings.all()) {
    counts[filing.status] = (counts[filing.status] ?? 0) + 1;
    if (filing.status !== 'returned' || !filing.cycle) continue;
    const tracked = await deps.marks.get<string>(returnedKey(filing.id, filing.cycle.number));
    // Without a tracked return, the bureau returns a timed-out filing at the earliest at the deadline.
    const at = tracked ? instant(tracked) : deadlineOf(filing.cycle.reportedAt);
    const age = now.valueOf() - at.valueOf();
    if (age >= 0 && age <= RETURNED_WINDOW_MS) returned.push({ filing, at: toChinaTime(at), approximate: !tracked, ms: at.valueOf() });
  }
  returned.sort((a, b) => b.ms - a.ms || a.filing.id.localeCompare(b.filing.id));
  return { now: toChinaTime(now), atRisk, returned: returned.map(({ ms: _ms, ...r }) => r), counts };
}

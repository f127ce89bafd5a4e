/** Planning a tick (RULES R5, R6): who needs what for one due filing at `now`, as work items ranked by deadline. */
import type { Reply } from '../activity.js';
import type { AlertKind } from '../adapter.js';
import type { Filing } from '../filings/filing.js';
import type { People } from '../people.js';
import { cycleState, type ExtraConfirmations } from '../rules/cycle.rules.js';
import { dueStage, stageAhead, type ReminderOffset, type ReminderStage } from '../rules/reminder.rules.js';
import { reReportedBy } from '../rules/recovery.rules.js';
import { nextDueAfter, teamAlertDue } from '../rules/schedule.rules.js';
import { phonesOf } from '../rules/verifiers.rules.js';
import type { WorkCalendar } from '../rules/workday.rules.js';
import type { StateStore } from '../store/state-store.js';
import { chinaDate, type Dayjs } from '../time.js';
import { returnedReply, stageReply } from './reminders.messages.js';
import { alertMarker, personMarker } from './sent.markers.js';
import type { Reachable } from './user.sender.js';

/** One unit of work: a person's stage (or returned notice), or a team alert. `priority` is the deadline it serves (EDF). */
export type Work =
  | { kind: 'person'; key: string; filingId: string; stage: string; dueAt?: number; priority: number; users: Reachable[]; reply: Reply }
  | { kind: 'alert'; key: string; filingId: string; alert: AlertKind; priority: number };

/** After a return the applicants are told once; this pending job survives a restart until they are. */
export function returnedJobKey(filingId: string, cycle: number): string {
  return `retjob:${filingId}:${cycle}`;
}

/** What planning reads: the people, the reminder offsets, the calendar, the reminders' store, and whether a team hears alerts. */
export interface PlannerDeps {
  people: People;
  reminderOffsets: ReminderOffset[];
  calendar: WorkCalendar;
  /** The reminders' own namespace, where the pending returned notices are kept. */
  store: StateStore;
  hasTeam: boolean;
}

/**
 * Who needs what for this filing at `now`, and when to look at it next. Reads only what it must:
 * reachability first (most verifiers never link), confirmations only for reachable people or an alert.
 */
export async function planFiling(deps: PlannerDeps, filing: Filing, now: Dayjs): Promise<{ work: Work[]; next?: number }> {
  if (filing.status === 'returned') return { work: await planReturned(deps, filing, now) };
  const cycle = filing.cycle;
  if (filing.status !== 'verifying' || !cycle) return { work: [] };
  const system = cycleState(filing, now)!;
  if (system.pending.length === 0) return { work: [] };
  const { people, reminderOffsets } = deps;
  const { reportedAt, deadline } = system;
  const next = nextDueAfter(reportedAt, reminderOffsets, now);
  let extra: ExtraConfirmations | undefined;
  const confirmations = async () => (extra ??= await people.confirmations(filing));
  const work: Work[] = [];

  const stage = dueStage(reportedAt, reminderOffsets, now);
  const ahead = stage && stageAhead(reportedAt, reminderOffsets, now);
  if (stage) {
    for (const verifier of system.pending) {
      const users = await people.reachable(verifier.phone);
      if (users.length === 0) continue;
      const known = await confirmations();
      // Verified by a team member's call, or by the person's own report: no more reminders (R5).
      if (known.team?.[verifier.phone] || known.self?.[verifier.phone]) continue;
      const phoneKey = people.keyOf(verifier.phone);
      const send = ahead ? await mergedSend(deps, filing.id, cycle.number, stage, ahead, phoneKey) : { marker: stage, wording: stage.id };
      if (!send) continue;
      work.push({
        kind: 'person',
        key: personMarker(filing.id, cycle.number, send.marker.id, phoneKey),
        filingId: filing.id,
        stage: send.marker.id,
        // A notice is due when the SMS went out, which the report event may tell us late: it is never a late reminder.
        dueAt: send.wording === 'notice' ? undefined : send.marker.dueAt.valueOf(),
        priority: deadline.valueOf(),
        users,
        reply: stageReply(filing, send.wording, verifier.phone, deadline, now),
      });
    }
  }

  const alert = deps.hasTeam ? teamAlertDue(reportedAt, now) : undefined;
  if (alert && cycleState(filing, now, await confirmations())!.pending.length > 0) work.push({ kind: 'alert', key: alertMarker(filing.id, cycle.number, alert), filingId: filing.id, alert, priority: deadline.valueOf() });
  return { work, next };
}

/**
 * One message where one will do (issue 12 item 4): the stage due now and the one due minutes later
 * go out once, now, under the later stage's marker (so it does not repeat), worded as the notice
 * when the notice is what the person has not had yet. When the stage due now already went out, the
 * later one waits for its own time. Reading that marker is a race with another instance at worst
 * worth one extra message; the claim itself stays atomic.
 */
async function mergedSend(deps: PlannerDeps, filingId: string, cycle: number, due: ReminderStage, ahead: ReminderStage, phoneKey: string): Promise<{ marker: ReminderStage; wording: string } | undefined> {
  if ((await deps.store.get(personMarker(filingId, cycle, due.id, phoneKey))) !== undefined) return undefined;
  return { marker: ahead, wording: due.id === 'notice' ? 'notice' : ahead.id };
}

/** R6: tell everyone linked to the filing (principals and the emergency contact) and the team, once per cycle. */
async function planReturned(deps: PlannerDeps, filing: Filing, now: Dayjs): Promise<Work[]> {
  const cycle = filing.cycle?.number ?? 0;
  if ((await deps.store.get(returnedJobKey(filing.id, cycle))) === undefined) return [];
  const reply = returnedReply(filing, reReportedBy(chinaDate(now), deps.calendar));
  // A return has no deadline of its own; the next report comes within about a day, so it ranks like a fresh notice.
  const priority = now.valueOf() + 86_400_000;
  const work: Work[] = [];
  for (const phone of phonesOf(filing)) {
    const users = await deps.people.reachable(phone);
    if (users.length === 0) continue;
    work.push({ kind: 'person', key: personMarker(filing.id, cycle, 'returned', deps.people.keyOf(phone)), filingId: filing.id, stage: 'returned', priority, users, reply });
  }
  if (deps.hasTeam) work.push({ kind: 'alert', key: alertMarker(filing.id, cycle, 'returned'), filingId: filing.id, alert: 'returned', priority });
  return work;
}

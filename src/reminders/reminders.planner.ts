/** Planning a tick (RULES R5, R6): who needs what for one due filing at `now`, as work items ranked by deadline. */
import type { Reply } from '../activity.js';
import type { AlertKind } from '../adapter.js';
import type { Filing } from '../filings/filing.js';
import type { People } from '../people.js';
import { cycleState, type ExtraConfirmations } from '../rules/cycle.rules.js';
import { dueStage, reminderStages, stageAhead, type ReminderOffset, type ReminderStage } from '../rules/reminder.rules.js';
import { reReportedBy } from '../rules/recovery.rules.js';
import { nextDueAfter, teamAlertDue } from '../rules/schedule.rules.js';
import { phonesOf } from '../rules/verifiers.rules.js';
import type { WorkCalendar } from '../rules/workday.rules.js';
import type { StateStore } from '../store/state-store.js';
import { chinaDate, type Dayjs } from '../time.js';
import { confirmedReply, returnedReply, stageReply } from './reminders.messages.js';
import { alertMarker, personMarker } from './sent.markers.js';
import type { Reachable } from './user.sender.js';

/**
 * One unit of work: a person's stage (or returned or confirmed notice), or a team alert. `priority` is
 * the deadline it serves (EDF); `job`, the pending job it ends once sent.
 */
export type Work =
  | { kind: 'person'; key: string; filingId: string; stage: string; dueAt?: number; priority: number; users: Reachable[]; reply: Reply; job?: string }
  | { kind: 'alert'; key: string; filingId: string; alert: AlertKind; priority: number };

/** After a return the applicants are told once; this pending job survives a restart until they are. */
export function returnedJobKey(filingId: string, cycle: number): string {
  return `retjob:${filingId}:${cycle}`;
}

/** A confirmation by the filing system is told once to the people linked to that phone; this pending job survives a restart until they are. */
export function confirmedJobKey(filingId: string, cycle: number, phoneKey: string): string {
  return `cfjob:${filingId}:${cycle}:${phoneKey}`;
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
  // Told even when the filing has moved on (the last confirmation may be followed at once by bureau review).
  const work = await planConfirmed(deps, filing, now);
  if (filing.status !== 'verifying' || !cycle) return { work };
  const system = cycleState(filing, now)!;
  if (system.pending.length === 0) return { work };
  const { people, reminderOffsets } = deps;
  const { reportedAt, deadline } = system;
  const next = nextDueAfter(reportedAt, reminderOffsets, now);
  let extra: ExtraConfirmations | undefined;
  const confirmations = async () => (extra ??= await people.confirmations(filing));

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
      const marker = ahead ? await mergedMarker(deps, filing.id, cycle.number, stage, ahead, phoneKey) : stage;
      if (!marker) continue;
      // The first message a person gets in a cycle is the notice, whichever stage it goes out under: a
      // report that reached us late, or a person who linked late, must still learn the deadline (issue 19 §4).
      const notice = marker.id === 'notice' || !(await hadMessage(deps, filing.id, cycle.number, reportedAt, marker, phoneKey));
      work.push({
        kind: 'person',
        key: personMarker(filing.id, cycle.number, marker.id, phoneKey),
        filingId: filing.id,
        stage: marker.id,
        // A notice is due when the SMS went out, which the report event may tell us late: it is never a late reminder.
        dueAt: notice ? undefined : marker.dueAt.valueOf(),
        priority: deadline.valueOf(),
        users,
        reply: stageReply(filing, notice ? 'notice' : marker.id, verifier.phone, deadline, now, stage),
      });
    }
  }

  const alert = deps.hasTeam ? teamAlertDue(reportedAt, now) : undefined;
  if (alert && cycleState(filing, now, await confirmations())!.pending.length > 0) work.push({ kind: 'alert', key: alertMarker(filing.id, cycle.number, alert), filingId: filing.id, alert, priority: deadline.valueOf() });
  return { work, next };
}

/**
 * One message where one will do (issue 12 item 4): the stage due now and the one due minutes later
 * go out once, now, under the later stage's marker (so it does not repeat). When the stage due now
 * already went out, the later one waits for its own time. Reading that marker is a race with another
 * instance at worst worth one extra message; the outbox id of each stage keeps that stage itself once.
 */
async function mergedMarker(deps: PlannerDeps, filingId: string, cycle: number, due: ReminderStage, ahead: ReminderStage, phoneKey: string): Promise<ReminderStage | undefined> {
  if ((await deps.store.get(personMarker(filingId, cycle, due.id, phoneKey))) !== undefined) return undefined;
  return ahead;
}

/** Whether this person was sent (or is being sent) any stage of the cycle before `marker`; each such message began with the notice. */
async function hadMessage(deps: PlannerDeps, filingId: string, cycle: number, reportedAt: Dayjs, marker: ReminderStage, phoneKey: string): Promise<boolean> {
  for (const earlier of reminderStages(reportedAt, deps.reminderOffsets)) {
    if (earlier.dueAt.valueOf() >= marker.dueAt.valueOf()) break;
    if ((await deps.store.get(personMarker(filingId, cycle, earlier.id, phoneKey))) !== undefined) return true;
  }
  return false;
}

/** Each phone the filing system confirmed in this cycle with a pending job: its linked people hear that no more reminders come. */
async function planConfirmed(deps: PlannerDeps, filing: Filing, now: Dayjs): Promise<Work[]> {
  const cycle = filing.cycle;
  if (!cycle) return [];
  const work: Work[] = [];
  for (const phone of Object.keys(cycle.verified)) {
    const phoneKey = deps.people.keyOf(phone);
    const job = confirmedJobKey(filing.id, cycle.number, phoneKey);
    if ((await deps.store.get(job)) === undefined) continue;
    // Nobody reachable any more still ends the job: the claim is marked sent with no one to send to.
    const users = await deps.people.reachable(phone);
    // Nothing is urgent about it: it ranks after every reminder whose window is still open.
    const priority = now.valueOf() + 86_400_000;
    work.push({ kind: 'person', key: personMarker(filing.id, cycle.number, 'confirmed', phoneKey), filingId: filing.id, stage: 'confirmed', priority, users, reply: confirmedReply(filing), job });
  }
  return work;
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

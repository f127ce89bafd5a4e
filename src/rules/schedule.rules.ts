/** RULES R5, as the scheduler needs it: when team alerts are due, and every instant at which something may fall due. */
import type { AlertKind } from '../adapter.js';
import { deadlineOf } from './cycle.rules.js';
import { reminderStages, type ReminderOffset } from './reminder.rules.js';
import type { Dayjs } from '../time.js';

/** R5: the team hears "at risk" once this much or less is left with someone pending. */
export const AT_RISK_MS = 4 * 3_600_000;

/**
 * How long after the deadline the one "window closed" alert may still go out. After longer downtime
 * the alert is stale (the filing system will have returned the filing), and the markers that make it
 * once-only may have expired, so it is not sent at all.
 */
export const WINDOW_CLOSED_GRACE_MS = 24 * 3_600_000;

/** R5: the team alert due at `now` for a cycle with someone pending: only the latest, like the stages. */
export function teamAlertDue(reportedAt: Dayjs, now: Dayjs): Extract<AlertKind, 'at_risk' | 'window_closed'> | undefined {
  const left = deadlineOf(reportedAt).valueOf() - now.valueOf();
  if (left <= 0) return -left < WINDOW_CLOSED_GRACE_MS ? 'window_closed' : undefined;
  return left <= AT_RISK_MS ? 'at_risk' : undefined;
}

/** Every instant (epoch ms, ascending, unique) at which a stage or a team alert of this cycle falls due. */
export function duePoints(reportedAt: Dayjs, offsets: ReminderOffset[]): number[] {
  const deadline = deadlineOf(reportedAt).valueOf();
  const points = new Set([...reminderStages(reportedAt, offsets).map((s) => s.dueAt.valueOf()), deadline - AT_RISK_MS, deadline]);
  return [...points].sort((a, b) => a - b);
}

/** The first instant after `now` at which something of this cycle falls due; `undefined` once the deadline has passed. */
export function nextDueAfter(reportedAt: Dayjs, offsets: ReminderOffset[], now: Dayjs): number | undefined {
  return duePoints(reportedAt, offsets).find((p) => p > now.valueOf());
}

/** Whether a cycle still needs the scheduler at `now`: it has not been reported in the future, and it is not past the closed-window grace. */
export function isSchedulable(reportedAt: Dayjs, now: Dayjs): boolean {
  return now.valueOf() < deadlineOf(reportedAt).valueOf() + WINDOW_CLOSED_GRACE_MS;
}

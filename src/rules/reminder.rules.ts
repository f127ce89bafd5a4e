/** RULES R5: reminder stages before the 24 h deadline. */
import type { Dayjs } from '../time.js';
import { deadlineOf } from './cycle.rules.js';

/** A reminder offset before the deadline, with the label it was written as (`4h`, `30m`). */
export interface ReminderOffset {
  label: string;
  ms: number;
}

/** One stage of a cycle: the start notice, or an offset before the deadline. */
export interface ReminderStage {
  /** `notice` or the offset's label. */
  id: string;
  dueAt: Dayjs;
  /** The offset before the deadline, 0 for none (the notice has the whole window). */
  offsetMs: number;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000 };

/**
 * R5 (our choice): a stage that falls due within this long after the one due now is sent with it as
 * one message (issue 12 item 4): a late report's notice and its 12h stage, or two stages after downtime.
 */
export const MERGE_WINDOW_MS = 5 * 60_000;

/** Parses `REMINDER_OFFSETS` (`12h,4h,1h`; `m` and `h` units) into offsets, longest first; throws a clear error otherwise. */
export function parseReminderOffsets(text: string): ReminderOffset[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('needs at least one offset, like 12h,4h,1h');
  const offsets = parts.map((part) => {
    const m = /^(\d{1,4})([mh])$/.exec(part);
    if (!m) throw new Error(`"${part}" is not an offset; write a whole number of minutes or hours, like 30m or 4h`);
    const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
    if (ms <= 0 || ms >= 24 * 3_600_000) throw new Error(`"${part}" must be more than 0 and less than 24h`);
    return { label: `${Number(m[1])}${m[2]}`, ms };
  });
  const unique = new Map(offsets.map((o) => [o.ms, o]));
  if (unique.size !== offsets.length) throw new Error('has the same offset twice');
  return [...unique.values()].sort((a, b) => b.ms - a.ms);
}

/** R5: every stage of a cycle in time order: the notice at the report, then each offset before the deadline. */
export function reminderStages(reportedAt: Dayjs, offsets: ReminderOffset[]): ReminderStage[] {
  const deadline = deadlineOf(reportedAt);
  return [{ id: 'notice', dueAt: reportedAt, offsetMs: 0 }, ...offsets.map((o) => ({ id: o.label, dueAt: deadline.subtract(o.ms, 'ms'), offsetMs: o.ms }))].sort((a, b) => a.dueAt.valueOf() - b.dueAt.valueOf());
}

/**
 * R5: the one stage due at `now`: the latest whose time has come, so that after downtime only the
 * latest is sent, never a stale one; none at or after the deadline.
 */
export function dueStage(reportedAt: Dayjs, offsets: ReminderOffset[], now: Dayjs): ReminderStage | undefined {
  if (now.valueOf() >= deadlineOf(reportedAt).valueOf()) return undefined;
  let due: ReminderStage | undefined;
  for (const stage of reminderStages(reportedAt, offsets)) if (stage.dueAt.valueOf() <= now.valueOf()) due = stage;
  return due;
}

/**
 * R5: the stage the one due at `now` merges into: the latest that falls due after `now` but within
 * `windowMs`; none when no stage is due at `now` (nothing merges into an early send) or after the deadline.
 */
export function stageAhead(reportedAt: Dayjs, offsets: ReminderOffset[], now: Dayjs, windowMs = MERGE_WINDOW_MS): ReminderStage | undefined {
  if (!dueStage(reportedAt, offsets, now)) return undefined;
  let ahead: ReminderStage | undefined;
  for (const stage of reminderStages(reportedAt, offsets)) if (stage.dueAt.valueOf() > now.valueOf() && stage.dueAt.valueOf() <= now.valueOf() + windowMs) ahead = stage;
  return ahead;
}

/** R5: when the next stage after `now` falls due, or the deadline if no stage is left; used to index reminders by time. */
export function nextStageAt(reportedAt: Dayjs, offsets: ReminderOffset[], now: Dayjs): Dayjs {
  const next = reminderStages(reportedAt, offsets).find((s) => s.dueAt.valueOf() > now.valueOf());
  return next ? next.dueAt : deadlineOf(reportedAt);
}

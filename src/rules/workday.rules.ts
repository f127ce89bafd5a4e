/**
 * Chinese working days (RULES R6 "within 1 working day"), from a data file an operator can extend;
 * past it, from the estimate of the holiday regulation, marked as such.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { MsgParam } from '../activity.js';
import { chinaDate, dayjs, type Dayjs } from '../time.js';
import { isEstimatedWorkday } from './holiday-estimate.rules.js';
import { projectFile } from '../paths.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The official calendar: the years it covers, their holidays and their make-up working days. */
export const WorkCalendarSchema = z
  .object({
    years: z.array(z.number().int().min(2000).max(2100)).min(1),
    holidays: z.record(z.string().regex(DATE), z.string()),
    workdays: z.record(z.string().regex(DATE), z.string()),
  })
  .superRefine((cal, ctx) => {
    for (const d of [...Object.keys(cal.holidays), ...Object.keys(cal.workdays)]) if (!cal.years.includes(Number(d.slice(0, 4)))) ctx.addIssue({ code: 'custom', message: `${d} is outside the listed years` });
    for (const d of Object.keys(cal.holidays)) if (d in cal.workdays) ctx.addIssue({ code: 'custom', message: `${d} is both a holiday and a working day` });
  });

/** A validated official calendar. */
export type WorkCalendar = z.output<typeof WorkCalendarSchema>;

/** The calendar shipped in `data/cn-calendar.json`. */
export const DEFAULT_CALENDAR_FILE = projectFile('data', 'cn-calendar.json');

/** Loads and validates a calendar file; throws an error naming the problem. */
export function loadWorkCalendar(file: string | URL = DEFAULT_CALENDAR_FILE): WorkCalendar {
  const parsed = WorkCalendarSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`calendar ${String(file)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** Whether a date is a working day: `undefined` when its year is not in the calendar. */
export function isWorkday(date: string, cal: WorkCalendar): boolean | undefined {
  if (!cal.years.includes(Number(date.slice(0, 4)))) return undefined;
  if (date in cal.workdays) return true;
  if (date in cal.holidays) return false;
  const dow = dayjs(date).day();
  return dow !== 0 && dow !== 6;
}

/**
 * The result of counting working days: a date from the official calendar, or an estimated one and
 * the years whose official arrangement it lacked.
 */
export type WorkdayResult = { estimated: false; date: string } | { estimated: true; date: string; years: number[] };

/**
 * The date `n` Chinese working days after `date` (a `YYYY-MM-DD` in China), honouring holidays and
 * make-up working days. A day in a year the calendar does not cover is judged by the estimate, and
 * the result then says it is estimated.
 */
export function addWorkingDays(date: string, n: number, cal: WorkCalendar): WorkdayResult {
  let d = dayjs(date);
  let left = n;
  const years = new Set<number>();
  while (left > 0) {
    d = d.add(1, 'day');
    const day = d.format('YYYY-MM-DD');
    let work = isWorkday(day, cal);
    if (work === undefined) {
      years.add(d.year());
      work = isEstimatedWorkday(day);
    }
    if (work) left -= 1;
  }
  const result = d.format('YYYY-MM-DD');
  return years.size === 0 ? { estimated: false, date: result } : { estimated: true, date: result, years: [...years] };
}

/**
 * A working-day result as message parameters: `date`, and `mark`, which is empty for an official date
 * and says why for an estimated one (the templates place it after the date's sentence).
 */
export function toDateParams(by: WorkdayResult): { date: string; mark: MsgParam } {
  if (!by.estimated) return { date: by.date, mark: '' };
  return { date: by.date, mark: { key: 'workday.estimated', params: { years: by.years.map((y) => ({ raw: String(y) })) } } };
}

/** How far the official calendar reaches, whether today's answers are estimates, and whether to warn the operator. */
export interface CalendarStatus {
  /** The last day of the official table (`YYYY-MM-DD`). */
  officialThrough: string;
  /** A working day counted from today already needs the estimate. */
  estimating: boolean;
  /** The table ends within {@link CALENDAR_WARN_DAYS} days, or has ended. */
  warn: boolean;
}

/** How many days before the official table ends the operator is warned. */
export const CALENDAR_WARN_DAYS = 60;

/** The calendar's status at `now`, for the start-up warning, /healthz and the team's help. */
export function calendarStatus(cal: WorkCalendar, now: Dayjs): CalendarStatus {
  const officialThrough = `${Math.max(...cal.years)}-12-31`;
  const today = chinaDate(now);
  const warnFrom = dayjs(officialThrough).subtract(CALENDAR_WARN_DAYS, 'day').format('YYYY-MM-DD');
  return { officialThrough, estimating: addWorkingDays(today, 1, cal).estimated, warn: today >= warnFrom };
}

/** The operator's warning for a status that warrants one: when the table ends and what to add. */
export function calendarWarning(status: CalendarStatus): string {
  const next = Number(status.officialThrough.slice(0, 4)) + 1;
  return (
    `working-day calendar: the official holiday table runs through ${status.officialThrough}` +
    `${status.estimating ? '; re-report dates are already estimated, without make-up working days' : ''}. ` +
    `Add the State Council's ${next} holiday notice to data/cn-calendar.json: ${next} in "years", its days off in "holidays", its make-up working days in "workdays", the notice in "sources".`
  );
}

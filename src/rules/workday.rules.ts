/** Chinese working days (RULES R6 "within 1 working day"), from a data file an operator can extend. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dayjs } from '../time.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The official calendar: the years it covers, their holidays and their make-up working days. */
export const WorkCalendarSchema = z
  .object({
    years: z.array(z.number().int().min(2000).max(2100)).min(1),
    holidays: z.record(z.string().regex(DATE), z.string()),
    workdays: z.record(z.string().regex(DATE), z.string()),
  })
  .superRefine((cal, ctx) => {
    for (const d of [...Object.keys(cal.holidays), ...Object.keys(cal.workdays)])
      if (!cal.years.includes(Number(d.slice(0, 4)))) ctx.addIssue({ code: 'custom', message: `${d} is outside the listed years` });
    for (const d of Object.keys(cal.holidays))
      if (d in cal.workdays) ctx.addIssue({ code: 'custom', message: `${d} is both a holiday and a working day` });
  });

/** A validated official calendar. */
export type WorkCalendar = z.output<typeof WorkCalendarSchema>;

/** The calendar shipped in `data/cn-calendar.json`. */
export const DEFAULT_CALENDAR_FILE = new URL('../../data/cn-calendar.json', import.meta.url);

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

/** The result of counting working days: a date, or the plain fact that the calendar does not reach it. */
export type WorkdayResult = { known: true; date: string } | { known: false; knownThrough: string };

/**
 * The date `n` Chinese working days after `date` (a `YYYY-MM-DD` in China), honouring holidays and
 * make-up working days. Beyond the calendar's last year it says so instead of guessing.
 */
export function addWorkingDays(date: string, n: number, cal: WorkCalendar): WorkdayResult {
  let d = dayjs(date);
  let left = n;
  while (left > 0) {
    d = d.add(1, 'day');
    const work = isWorkday(d.format('YYYY-MM-DD'), cal);
    if (work === undefined) return { known: false, knownThrough: `${Math.max(...cal.years)}-12-31` };
    if (work) left -= 1;
  }
  return { known: true, date: d.format('YYYY-MM-DD') };
}

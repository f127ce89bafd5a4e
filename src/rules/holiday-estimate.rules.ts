/**
 * An estimate of a year's Chinese public holidays (RULES R6) for years the official calendar does
 * not cover yet: the statutory days of the national holiday regulation (全国年节及纪念日放假办法, as
 * revised in 2024), with the lunar dates and the Qingming solar term from lunar-typescript. The
 * make-up working days (调休) and the bridge days they pay for are only in each year's State
 * Council notice, so an estimate can be wrong around a holiday.
 */
import { createRequire } from 'node:module';
import type { Solar } from 'lunar-typescript';
import { dayjs } from '../time.js';

// Loaded on the first estimate, not at start-up: most starts never estimate (issue 12).
const requireLazily = createRequire(import.meta.url);
let lunarModule: typeof import('lunar-typescript') | undefined;
const Lunar = {
  fromYmd: (year: number, month: number, day: number) => (lunarModule ??= requireLazily('lunar-typescript') as typeof import('lunar-typescript')).Lunar.fromYmd(year, month, day),
};

const ymd = (solar: Solar): string => solar.toYmd();
const fixed = (year: number, month: number, day: number): string => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The statutory days off of a year for every citizen (date → holiday), before weekend substitution. */
export function statutoryHolidays(year: number): Map<string, string> {
  const days = new Map<string, string>();
  const springFestival = Lunar.fromYmd(year, 1, 1).getSolar();
  days.set(fixed(year, 1, 1), '元旦');
  // Spring Festival eve is the last day of the twelfth lunar month, which may be its 29th or 30th.
  for (let i = -1; i <= 2; i += 1) days.set(ymd(springFestival.next(i)), '春节');
  days.set(ymd(Lunar.fromYmd(year, 1, 1).getJieQiTable().清明!), '清明节');
  days.set(fixed(year, 5, 1), '劳动节');
  days.set(fixed(year, 5, 2), '劳动节');
  days.set(ymd(Lunar.fromYmd(year, 5, 5).getSolar()), '端午节');
  days.set(ymd(Lunar.fromYmd(year, 8, 15).getSolar()), '中秋节');
  for (const day of [1, 2, 3]) days.set(fixed(year, 10, day), '国庆节');
  return days;
}

const isWeekend = (date: string): boolean => [0, 6].includes(dayjs(date).day());
const cache = new Map<number, ReadonlyMap<string, string>>();

/**
 * The estimated days off of a year (date → holiday): the statutory days, plus, for each that falls on
 * a Saturday or Sunday, the next weekday not already off (the regulation's article 6: 适逢周六、周日，
 * 应当在工作日补假). Weekends are not listed.
 */
export function estimatedHolidays(year: number): ReadonlyMap<string, string> {
  const known = cache.get(year);
  if (known) return known;
  const statutory = statutoryHolidays(year);
  const days = new Map(statutory);
  for (const [date, name] of [...statutory].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isWeekend(date)) continue;
    let d = dayjs(date).add(1, 'day');
    while (isWeekend(d.format('YYYY-MM-DD')) || days.has(d.format('YYYY-MM-DD'))) d = d.add(1, 'day');
    days.set(d.format('YYYY-MM-DD'), name);
  }
  const sorted = new Map([...days].filter(([date]) => !isWeekend(date)).sort(([a], [b]) => a.localeCompare(b)));
  cache.set(year, sorted);
  return sorted;
}

/** Whether a date is an estimated working day: a weekday that is not an estimated holiday. */
export function isEstimatedWorkday(date: string): boolean {
  return !isWeekend(date) && !estimatedHolidays(Number(date.slice(0, 4))).has(date);
}

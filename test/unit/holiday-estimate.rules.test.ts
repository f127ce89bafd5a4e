import { describe, expect, it } from 'vitest';
import { estimatedHolidays, isEstimatedWorkday, statutoryHolidays } from '../../src/rules/holiday-estimate.rules.js';
import { addWorkingDays, isWorkday, loadWorkCalendar } from '../../src/rules/workday.rules.js';
import { dayjs } from '../../src/time.js';

const cal = loadWorkCalendar();
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const weekday = (date: string) => WEEKDAY[dayjs(date).day()];

describe('R6 estimate: the statutory days of the holiday regulation (2024 revision)', () => {
  // 2027 by hand: 2026-01-01 is a Thursday, so 2027-01-01 is a Friday and 2027-02-06 (春节, 正月初一,
  // lunar-typescript) a Saturday; 除夕 is the day before, Friday 02-05; 初二 and 初三 are Sunday and Monday.
  it.each<[number, Record<string, string>]>([
    [
      2027,
      {
        '2027-01-01': '元旦',
        '2027-02-05': '春节',
        '2027-02-06': '春节',
        '2027-02-07': '春节',
        '2027-02-08': '春节',
        '2027-04-05': '清明节',
        '2027-05-01': '劳动节',
        '2027-05-02': '劳动节',
        '2027-06-09': '端午节',
        '2027-09-15': '中秋节',
        '2027-10-01': '国庆节',
        '2027-10-02': '国庆节',
        '2027-10-03': '国庆节',
      },
    ],
    [
      // A 29-day twelfth lunar month: 除夕 2025-01-28 is 腊月廿九; every date matches the 2025 notice.
      2025,
      {
        '2025-01-01': '元旦',
        '2025-01-28': '春节',
        '2025-01-29': '春节',
        '2025-01-30': '春节',
        '2025-01-31': '春节',
        '2025-04-04': '清明节',
        '2025-05-01': '劳动节',
        '2025-05-02': '劳动节',
        '2025-05-31': '端午节',
        '2025-10-06': '中秋节',
        '2025-10-01': '国庆节',
        '2025-10-02': '国庆节',
        '2025-10-03': '国庆节',
      },
    ],
  ])('R6 the 11 statutory days of %i (13 dates: Spring Festival is 4 days)', (year, expected) => {
    expect(Object.fromEntries(statutoryHolidays(year))).toEqual(expected);
  });

  it('R6 every statutory day of 2025 and 2026 is a day off in the official notices', () => {
    for (const year of [2025, 2026]) for (const date of statutoryHolidays(year).keys()) expect(isWorkday(date, cal), date).toBe(false);
  });

  it('R6 2027: a holiday on a weekend is made up on the next weekday (article 6), weekends are not listed', () => {
    expect([...estimatedHolidays(2027).keys()].map((d) => `${d} ${weekday(d)}`)).toEqual([
      '2027-01-01 Fri',
      '2027-02-05 Fri', // 除夕
      '2027-02-08 Mon', // 初三
      '2027-02-09 Tue', // for 初一, a Saturday
      '2027-02-10 Wed', // for 初二, a Sunday
      '2027-04-05 Mon',
      '2027-05-03 Mon', // for 5-1, a Saturday
      '2027-05-04 Tue', // for 5-2, a Sunday
      '2027-06-09 Wed',
      '2027-09-15 Wed',
      '2027-10-01 Fri',
      '2027-10-04 Mon', // for 10-2, a Saturday
      '2027-10-05 Tue', // for 10-3, a Sunday
    ]);
  });

  it.each<[string, boolean]>([
    ['2027-01-01', false],
    ['2027-01-02', false],
    ['2027-01-04', true],
    ['2027-02-04', true],
    ['2027-02-05', false],
    ['2027-02-10', false],
    ['2027-02-11', true],
    ['2027-04-05', false],
    ['2027-10-05', false],
    ['2027-10-06', true],
  ])('R6 isEstimatedWorkday(%s) → %s', (date, expected) => {
    expect(isEstimatedWorkday(date)).toBe(expected);
  });
});

/** Every day of a year on which the estimate and the official table disagree, sorted into the two kinds the notices add. */
function differences(year: number): { makeUp: string[]; bridge: string[]; other: string[] } {
  const out = { makeUp: [] as string[], bridge: [] as string[], other: [] as string[] };
  for (let d = dayjs(`${year}-01-01`); d.year() === year; d = d.add(1, 'day')) {
    const date = d.format('YYYY-MM-DD');
    const official = isWorkday(date, cal);
    if (official === isEstimatedWorkday(date)) continue;
    const weekend = d.day() === 0 || d.day() === 6;
    // A make-up working day (调休上班) is a weekend the notice makes a working day; a bridge day is a
    // weekday the notice gives off to join a holiday to a weekend, paid for by a make-up day.
    if (official && weekend && date in cal.workdays) out.makeUp.push(`${date} ${weekday(date)} ${cal.workdays[date]}`);
    else if (!official && !weekend && date in cal.holidays) out.bridge.push(`${date} ${weekday(date)} ${cal.holidays[date]}`);
    else out.other.push(date);
  }
  return out;
}

describe('R6 estimate against the official notices: only make-up and bridge days differ', () => {
  it('R6 2025', () => {
    expect(differences(2025)).toEqual({
      makeUp: ['2025-01-26 Sun 春节', '2025-02-08 Sat 春节', '2025-04-27 Sun 劳动节', '2025-09-28 Sun 国庆节', '2025-10-11 Sat 国庆节'],
      bridge: ['2025-02-03 Mon 春节', '2025-02-04 Tue 春节', '2025-05-05 Mon 劳动节', '2025-10-07 Tue 国庆节', '2025-10-08 Wed 国庆节'],
      other: [],
    });
  });

  it('R6 2026', () => {
    expect(differences(2026)).toEqual({
      makeUp: ['2026-01-04 Sun 元旦', '2026-02-14 Sat 春节', '2026-02-28 Sat 春节', '2026-05-09 Sat 劳动节', '2026-09-20 Sun 国庆节', '2026-10-10 Sat 国庆节'],
      bridge: ['2026-01-02 Fri 元旦', '2026-02-20 Fri 春节', '2026-02-23 Mon 春节', '2026-05-05 Tue 劳动节', '2026-10-06 Tue 国庆节', '2026-10-07 Wed 国庆节'],
      other: [],
    });
  });

  it('R6 official data wins inside the table: the make-up Saturday 2026-02-14 counts, the bridge Friday 2026-01-02 does not', () => {
    expect(isEstimatedWorkday('2026-02-14')).toBe(false);
    expect(addWorkingDays('2026-02-13', 1, cal)).toEqual({ estimated: false, date: '2026-02-14' });
    expect(isEstimatedWorkday('2026-01-02')).toBe(true);
    expect(addWorkingDays('2025-12-31', 1, cal)).toEqual({ estimated: false, date: '2026-01-04' });
  });

  it('R6 the weekend make-up rule reproduces the notices: 2025 端午 (Sat 5-31 → Mon 6-2), 2026 清明 (Sun 4-5 → Mon 4-6), 2026 劳动节 (Sat 5-2 → Mon 5-4)', () => {
    for (const date of ['2025-06-02', '2026-04-06', '2026-05-04']) {
      expect(isEstimatedWorkday(date), date).toBe(false);
      expect(isWorkday(date, cal), date).toBe(false);
    }
  });
});

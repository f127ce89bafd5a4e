import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMsg } from '../../src/i18n/catalog.js';
import { addWorkingDays, calendarStatus, calendarWarning, DEFAULT_CALENDAR_FILE, isWorkday, loadWorkCalendar, toDateParams } from '../../src/rules/workday.rules.js';
import { instant } from '../../src/time.js';

const cal = loadWorkCalendar();
const dir = mkdtempSync(join(tmpdir(), 'beian-calendar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a calendar file into the temp dir and returns its path. */
function calendarFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('R6 Chinese working days: isWorkday', () => {
  it.each<[string, string, boolean | undefined]>([
    ['2026-11-30', 'an ordinary Monday', true],
    ['2026-11-27', 'an ordinary Friday', true],
    ['2026-11-28', 'an ordinary Saturday', false],
    ['2026-11-29', 'an ordinary Sunday', false],
    ['2026-01-04', 'a Sunday that is a make-up working day', true],
    ['2026-02-14', 'a Saturday that is a make-up working day', true],
    ['2026-09-20', 'a Sunday that is a make-up working day (National Day)', true],
    ['2026-10-10', 'a Saturday that is a make-up working day (National Day)', true],
    ['2026-10-01', 'a weekday holiday (National Day)', false],
    ['2026-10-07', 'the last National Day holiday', false],
    ['2026-10-03', 'a Saturday inside a holiday', false],
    ['2026-02-16', 'a Monday in Spring Festival', false],
    ['2026-10-08', 'the Thursday after National Day', true],
    ['2025-10-08', 'a 2025 holiday', false],
    ['2025-09-28', 'a 2025 make-up Sunday', true],
    ['2024-05-06', 'a year the calendar does not cover', undefined],
    ['2027-01-04', 'a year beyond the calendar', undefined],
  ])('R6 %s (%s) → %s', (date, _what, expected) => {
    expect(isWorkday(date, cal)).toBe(expected);
  });
});

describe('R6 addWorkingDays', () => {
  it.each<[string, number, object]>([
    ['2026-09-30', 1, { estimated: false, date: '2026-10-08' }],
    ['2026-11-27', 1, { estimated: false, date: '2026-11-30' }],
    ['2026-11-28', 1, { estimated: false, date: '2026-11-30' }],
    ['2026-11-30', 1, { estimated: false, date: '2026-12-01' }],
    ['2026-02-13', 1, { estimated: false, date: '2026-02-14' }],
    ['2026-02-13', 2, { estimated: false, date: '2026-02-24' }],
    ['2025-12-31', 1, { estimated: false, date: '2026-01-04' }],
    ['2026-10-09', 1, { estimated: false, date: '2026-10-10' }],
    ['2026-11-30', 0, { estimated: false, date: '2026-11-30' }],
    ['2026-12-31', 1, { estimated: true, date: '2027-01-04', years: [2027] }],
    ['2026-12-30', 1, { estimated: false, date: '2026-12-31' }],
    ['2026-12-30', 2, { estimated: true, date: '2027-01-04', years: [2027] }],
  ])('R6 %s + %d working day(s) → %j', (date, n, expected) => {
    expect(addWorkingDays(date, n, cal)).toEqual(expected);
  });
});

describe('R6 loadWorkCalendar', () => {
  it('R6 the shipped calendar covers 2025 and 2026', () => {
    expect(loadWorkCalendar(DEFAULT_CALENDAR_FILE).years).toEqual([2025, 2026]);
  });

  it('R6 a minimal valid calendar loads and is used', () => {
    const file = calendarFile('ok.json', { years: [2030], holidays: { '2030-01-01': '元旦' }, workdays: { '2030-01-05': 'make-up' } });
    const loaded = loadWorkCalendar(file);
    expect(isWorkday('2030-01-01', loaded)).toBe(false);
    expect(isWorkday('2030-01-05', loaded)).toBe(true);
    expect(addWorkingDays('2030-12-31', 1, loaded)).toEqual({ estimated: true, date: '2031-01-02', years: [2031] });
  });

  it.each<[string, unknown, RegExp]>([
    ['a holiday outside the listed years', { years: [2026], holidays: { '2027-01-01': '元旦' }, workdays: {} }, /2027-01-01 is outside the listed years/],
    ['a date both holiday and working day', { years: [2026], holidays: { '2026-10-01': '国庆' }, workdays: { '2026-10-01': '国庆' } }, /2026-10-01 is both a holiday and a working day/],
    ['a badly written date', { years: [2026], holidays: { '2026-1-1': '元旦' }, workdays: {} }, /^calendar /],
    ['no years', { years: [], holidays: {}, workdays: {} }, /^calendar /],
    ['a missing field', { years: [2026], holidays: {} }, /^calendar /],
    ['a year out of range', { years: [1999], holidays: {}, workdays: {} }, /^calendar /],
  ])('R6 rejects a calendar with %s', (name, content, message) => {
    const file = calendarFile(`${name.replace(/\W+/g, '-')}.json`, content);
    expect(() => loadWorkCalendar(file)).toThrow(message);
  });

  it('R6 rejects a file that is not JSON', () => {
    expect(() => loadWorkCalendar(calendarFile('broken.json', '{ "years": [2026], '))).toThrow();
  });

  it('R6 rejects a missing file', () => {
    expect(() => loadWorkCalendar(join(dir, 'missing.json'))).toThrow();
  });
});

describe('R6 estimated dates are marked, official ones are not', () => {
  const line = (locale: 'zh' | 'en', date: string, n = 1) => renderMsg(locale, { key: 'recovery.reportedBy', params: toDateParams(addWorkingDays(date, n, cal)) });

  it.each<[string, string, string]>([
    ['2026-12-30', '如今天提交，预计 2026-12-31 前上报。届时', 'if you resubmit today, by 2026-12-31. A new SMS'],
    ['2026-12-31', '如今天提交，预计 2027-01-04 前上报（估算：2027 年放假安排尚未公布）。届时', 'if you resubmit today, by 2027-01-04 (estimated: the official 2027 arrangement is not yet published). A new SMS'],
    ['2027-02-04', '如今天提交，预计 2027-02-11 前上报（估算：2027 年放假安排尚未公布）。届时', 'if you resubmit today, by 2027-02-11 (estimated: the official 2027 arrangement is not yet published). A new SMS'],
  ])('R6 resubmitted %s', (date, zh, en) => {
    expect(line('zh', date)).toContain(zh);
    expect(line('en', date)).toContain(en);
  });

  it('R6 a count that crosses two unpublished years names both', () => {
    expect(addWorkingDays('2028-12-30', 1, cal)).toEqual({ estimated: true, date: '2029-01-02', years: [2028, 2029] });
    expect(line('zh', '2028-12-30')).toContain('预计 2029-01-02 前上报（估算：2028、2029 年放假安排尚未公布）。');
    expect(line('en', '2028-12-30')).toContain('by 2029-01-02 (estimated: the official 2028, 2029 arrangement is not yet published).');
  });
});

describe('R6 calendarStatus: how far the official table reaches, and when to warn', () => {
  it.each<[string, boolean, boolean]>([
    ['2026-10-31T23:59:00+08:00', false, false],
    ['2026-11-01T00:00:00+08:00', false, true],
    ['2026-12-30T23:59:00+08:00', false, true],
    ['2026-12-31T00:00:00+08:00', true, true],
    ['2027-03-01T12:00:00+08:00', true, true],
    ['2025-06-01T12:00:00+08:00', false, false],
  ])('R6 at %s: estimating %s, warn %s', (now, estimating, warn) => {
    expect(calendarStatus(cal, instant(now))).toEqual({ officialThrough: '2026-12-31', estimating, warn });
  });

  it('R6 the warning names the end date and what to add, and says when dates are already estimated', () => {
    const soon = calendarWarning(calendarStatus(cal, instant('2026-11-01T08:00:00+08:00')));
    expect(soon).toBe(
      'working-day calendar: the official holiday table runs through 2026-12-31. Add the State Council\'s 2027 holiday notice to data/cn-calendar.json: 2027 in "years", its days off in "holidays", its make-up working days in "workdays", the notice in "sources".',
    );
    expect(calendarWarning(calendarStatus(cal, instant('2027-01-05T08:00:00+08:00')))).toContain('runs through 2026-12-31; re-report dates are already estimated, without make-up working days.');
  });
});

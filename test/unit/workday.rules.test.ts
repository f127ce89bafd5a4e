import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addWorkingDays, DEFAULT_CALENDAR_FILE, isWorkday, loadWorkCalendar } from '../../src/rules/workday.rules.js';

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
    ['2026-09-30', 1, { known: true, date: '2026-10-08' }],
    ['2026-11-27', 1, { known: true, date: '2026-11-30' }],
    ['2026-11-28', 1, { known: true, date: '2026-11-30' }],
    ['2026-11-30', 1, { known: true, date: '2026-12-01' }],
    ['2026-02-13', 1, { known: true, date: '2026-02-14' }],
    ['2026-02-13', 2, { known: true, date: '2026-02-24' }],
    ['2025-12-31', 1, { known: true, date: '2026-01-04' }],
    ['2026-10-09', 1, { known: true, date: '2026-10-10' }],
    ['2026-11-30', 0, { known: true, date: '2026-11-30' }],
    ['2026-12-31', 1, { known: false, knownThrough: '2026-12-31' }],
    ['2026-12-30', 2, { known: false, knownThrough: '2026-12-31' }],
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
    expect(addWorkingDays('2030-12-31', 1, loaded)).toEqual({ known: false, knownThrough: '2030-12-31' });
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

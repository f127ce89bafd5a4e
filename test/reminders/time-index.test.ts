import { describe, expect, it } from 'vitest';
import { parseReminderOffsets } from '../../src/rules/reminder.rules.js';
import { AT_RISK_MS, duePoints, isSchedulable, nextDueAfter, teamAlertDue, WINDOW_CLOSED_GRACE_MS } from '../../src/rules/schedule.rules.js';
import { TimeIndex } from '../../src/reminders/time.index.js';
import { instant } from '../../src/time.js';

const HOUR = 3_600_000;
const REPORTED = instant('2026-11-29T09:00:00+08:00');
const after = (ms: number) => instant(REPORTED.valueOf() + ms);
const DEFAULT = parseReminderOffsets('12h,4h,1h');

describe('TimeIndex', () => {
  it('pops only what is due, earliest first, and each key once', () => {
    const index = new TimeIndex();
    index.set('c', 30);
    index.set('a', 10);
    index.set('b', 20);
    expect(index.popDue(5)).toEqual([]);
    expect(index.popDue(20)).toEqual(['a', 'b']);
    expect(index.popDue(20)).toEqual([]);
    expect(index.size).toBe(1);
    expect(index.peek()).toBe(30);
  });

  it('moving or deleting a key leaves no ghost behind', () => {
    const index = new TimeIndex();
    index.set('a', 10);
    index.set('a', 50);
    index.set('b', 20);
    index.delete('b');
    expect(index.popDue(40)).toEqual([]);
    index.setEarlier('a', 60);
    expect(index.get('a')).toBe(50);
    index.setEarlier('a', 5);
    expect(index.popDue(100)).toEqual(['a']);
  });

  it('agrees with a plain map under many random moves, and stays compact', () => {
    const index = new TimeIndex();
    const model = new Map<string, number>();
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      const id = `f${rand(500)}`;
      const op = rand(10);
      if (op < 6) {
        const at = now + rand(1_000);
        index.set(id, at);
        model.set(id, at);
      } else if (op < 7) {
        index.delete(id);
        model.delete(id);
      } else {
        now += rand(50);
        const expected = [...model].filter(([, at]) => at <= now).sort((x, y) => x[1] - y[1]);
        const got = index.popDue(now);
        expect(got.map((g) => model.get(g))).toEqual(expected.map(([, at]) => at));
        expect(new Set(got)).toEqual(new Set(expected.map(([k]) => k)));
        for (const k of got) model.delete(k);
      }
    }
    expect(index.size).toBe(model.size);
  });
});

describe('R5 schedule rules', () => {
  it('R5 due points: notice, 12h, at-risk (4h), 1h, deadline', () => {
    expect(duePoints(REPORTED, DEFAULT).map((p) => (p - REPORTED.valueOf()) / HOUR)).toEqual([0, 12, 20, 23, 24]);
  });

  it('R5 the at-risk point stays at 4 h even when no stage is there', () => {
    expect(duePoints(REPORTED, parseReminderOffsets('6h')).map((p) => (p - REPORTED.valueOf()) / HOUR)).toEqual([0, 18, 24 - AT_RISK_MS / HOUR, 24]);
  });

  it('R5 next due after an instant, none after the deadline', () => {
    expect(nextDueAfter(REPORTED, DEFAULT, REPORTED)).toBe(after(12 * HOUR).valueOf());
    expect(nextDueAfter(REPORTED, DEFAULT, after(23 * HOUR))).toBe(after(24 * HOUR).valueOf());
    expect(nextDueAfter(REPORTED, DEFAULT, after(24 * HOUR))).toBeUndefined();
  });

  it.each([
    [0, undefined],
    [19.99, undefined],
    [20, 'at_risk'],
    [23.99, 'at_risk'],
    [24, 'window_closed'],
    [24 + WINDOW_CLOSED_GRACE_MS / HOUR - 0.01, 'window_closed'],
    [24 + WINDOW_CLOSED_GRACE_MS / HOUR, undefined],
  ])('R5 %s h after the report the team alert due is %s', (hours, kind) => {
    expect(teamAlertDue(REPORTED, after(hours * HOUR))).toBe(kind);
  });

  it('R5 a cycle is scheduled until the closed-window grace ends', () => {
    expect(isSchedulable(REPORTED, after(30 * HOUR))).toBe(true);
    expect(isSchedulable(REPORTED, after(48 * HOUR))).toBe(false);
  });
});

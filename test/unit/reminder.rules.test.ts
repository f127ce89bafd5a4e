import { describe, expect, it } from 'vitest';
import { dueStage, nextStageAt, parseReminderOffsets, reminderStages } from '../../src/rules/reminder.rules.js';
import { instant } from '../../src/time.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const REPORTED = instant('2026-11-29T09:00:00+08:00');
const after = (ms: number) => instant(REPORTED.valueOf() + ms);
const DEFAULT = parseReminderOffsets('12h,4h,1h');

describe('R5 parseReminderOffsets', () => {
  it.each([
    [
      '12h,4h,1h',
      [
        ['12h', 12 * HOUR],
        ['4h', 4 * HOUR],
        ['1h', HOUR],
      ],
    ],
    [
      '1h,12h,4h',
      [
        ['12h', 12 * HOUR],
        ['4h', 4 * HOUR],
        ['1h', HOUR],
      ],
    ],
    [
      ' 12h , 4h ,1h ',
      [
        ['12h', 12 * HOUR],
        ['4h', 4 * HOUR],
        ['1h', HOUR],
      ],
    ],
    ['30m', [['30m', 30 * MIN]]],
    [
      '6h,90m,15m',
      [
        ['6h', 6 * HOUR],
        ['90m', 90 * MIN],
        ['15m', 15 * MIN],
      ],
    ],
    ['04h', [['4h', 4 * HOUR]]],
    ['23h', [['23h', 23 * HOUR]]],
    ['1439m', [['1439m', 1439 * MIN]]],
  ])('R5 %j → longest first', (text, expected) => {
    expect(parseReminderOffsets(text).map((o) => [o.label, o.ms])).toEqual(expected);
  });

  it.each([
    ['0h', /more than 0/],
    ['0m', /more than 0/],
    ['24h', /less than 24h/],
    ['25h', /less than 24h/],
    ['1440m', /less than 24h/],
    ['abc', /not an offset/],
    ['5x', /not an offset/],
    ['1d', /not an offset/],
    ['-1h', /not an offset/],
    ['1.5h', /not an offset/],
    ['4h,4h', /same offset twice/],
    ['60m,1h', /same offset twice/],
    ['', /at least one offset/],
    [' , ,', /at least one offset/],
  ])('R5 %j is rejected with a clear error', (text, message) => {
    expect(() => parseReminderOffsets(text)).toThrow(message);
  });
});

describe('R5 reminderStages', () => {
  it('R5 default stages: the notice at the report, then 12 h, 4 h and 1 h before the deadline, in time order', () => {
    expect(reminderStages(REPORTED, DEFAULT).map((s) => [s.id, s.dueAt.valueOf() - REPORTED.valueOf(), s.offsetMs])).toEqual([
      ['notice', 0, 0],
      ['12h', 12 * HOUR, 12 * HOUR],
      ['4h', 20 * HOUR, 4 * HOUR],
      ['1h', 23 * HOUR, HOUR],
    ]);
  });

  it('R5 stages are in time order whatever order the offsets come in', () => {
    const offsets = [...DEFAULT].reverse();
    expect(reminderStages(REPORTED, offsets).map((s) => s.id)).toEqual(['notice', '12h', '4h', '1h']);
  });
});

describe('R5 dueStage: only the latest stage due, nothing stale, nothing after the deadline', () => {
  it.each<[string, number, string | undefined]>([
    ['before the report', -1, undefined],
    ['an hour before the report', -HOUR, undefined],
    ['right at the report', 0, 'notice'],
    ['just after the report', MIN, 'notice'],
    ['just before the 12h stage', 12 * HOUR - 1, 'notice'],
    ['at the 12h stage', 12 * HOUR, '12h'],
    ['between 12h and 4h', 15 * HOUR, '12h'],
    ['at reportedAt + 20h', 20 * HOUR, '4h'],
    ['at reportedAt + 21h (after downtime: 4h, not notice or 12h)', 21 * HOUR, '4h'],
    ['at reportedAt + 23h', 23 * HOUR, '1h'],
    ['1 ms before the deadline', 24 * HOUR - 1, '1h'],
    ['at the deadline', 24 * HOUR, undefined],
    ['after the deadline', 30 * HOUR, undefined],
    ['days after the deadline', 72 * HOUR, undefined],
  ])('R5 %s', (_name, offset, stage) => {
    expect(dueStage(REPORTED, DEFAULT, after(offset))?.id).toBe(stage);
  });

  it('R5 a single 30m offset: notice until deadline − 30 min, then 30m', () => {
    const offsets = parseReminderOffsets('30m');
    expect(dueStage(REPORTED, offsets, after(23 * HOUR + 29 * MIN))?.id).toBe('notice');
    expect(dueStage(REPORTED, offsets, after(23 * HOUR + 30 * MIN))?.id).toBe('30m');
  });

  it('R5 a 23h offset falls due 1 hour after the report', () => {
    const offsets = parseReminderOffsets('23h');
    expect(dueStage(REPORTED, offsets, after(59 * MIN))?.id).toBe('notice');
    expect(dueStage(REPORTED, offsets, after(HOUR))?.id).toBe('23h');
  });

  it('R5 the due stage carries its due time', () => {
    const stage = dueStage(REPORTED, DEFAULT, after(21 * HOUR))!;
    expect(stage.dueAt.valueOf()).toBe(REPORTED.valueOf() + 20 * HOUR);
    expect(stage.offsetMs).toBe(4 * HOUR);
  });
});

describe('R5 nextStageAt', () => {
  it.each<[string, number, number]>([
    ['before the report → the notice', -HOUR, 0],
    ['at the report → the 12h stage', 0, 12 * HOUR],
    ['after the notice → the 12h stage', HOUR, 12 * HOUR],
    ['at the 12h stage → the 4h stage', 12 * HOUR, 20 * HOUR],
    ['at reportedAt + 21h → the 1h stage', 21 * HOUR, 23 * HOUR],
    ['after the last stage → the deadline', 23 * HOUR, 24 * HOUR],
    ['after the deadline → the deadline', 30 * HOUR, 24 * HOUR],
  ])('R5 %s', (_name, now, next) => {
    expect(nextStageAt(REPORTED, DEFAULT, after(now)).valueOf() - REPORTED.valueOf()).toBe(next);
  });
});

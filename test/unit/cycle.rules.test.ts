import { describe, expect, it } from 'vitest';
import { cycleState, deadlineOf, timeLeftParts, VERIFY_WINDOW_MS } from '../../src/rules/cycle.rules.js';
import { chinaDate, instant, toChinaTime } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const at = (iso: string) => instant(iso);
const HOUR = 3_600_000;
const MIN = 60_000;

/** A first filing with subject 13800138000 and website principal 13900139000, reported at REPORTED. */
function filing(verified: Record<string, string> = {}, overrides: Record<string, unknown> = {}) {
  return makeFiling({ cycle: { number: 1, reportedAt: REPORTED, verified }, ...overrides });
}

describe('R3 deadline = reportedAt + 24 h', () => {
  it('R3 the window is 24 hours', () => {
    expect(VERIFY_WINDOW_MS).toBe(24 * HOUR);
  });

  it.each([
    ['2026-11-29T09:00:00+08:00', '2026-11-30 09:00'],
    ['2026-11-29T01:00:00Z', '2026-11-30 09:00'],
    ['2026-12-31T20:30:00+08:00', '2027-01-01 20:30'],
    ['2026-02-28T23:59:00+08:00', '2026-03-01 23:59'],
  ])('R3 reported %s → deadline %s China time', (reportedAt, deadline) => {
    expect(toChinaTime(deadlineOf(reportedAt))).toBe(deadline);
    expect(toChinaTime(deadlineOf(instant(reportedAt)))).toBe(deadline);
  });

  it('R3 the cycle state carries the same deadline', () => {
    const state = cycleState(filing(), at('2026-11-29T10:00:00+08:00'))!;
    expect(state.reportedAt.valueOf()).toBe(at(REPORTED).valueOf());
    expect(state.deadline.valueOf()).toBe(at(REPORTED).valueOf() + 24 * HOUR);
    expect(state.number).toBe(1);
  });

  it('R3 a filing with no cycle has no cycle state', () => {
    expect(cycleState(makeFiling({ status: 'draft', cycle: undefined }), at(REPORTED))).toBeUndefined();
  });
});

describe('R2/R3 verified vs pending, overdue only past the deadline with someone pending', () => {
  it.each<[string, Record<string, string>, string, { open: boolean; overdue: boolean; allVerified: boolean; pending: string[] }]>([
    ['nobody verified, inside the window', {}, '2026-11-29T10:00:00+08:00', { open: true, overdue: false, allVerified: false, pending: ['13800138000', '13900139000'] }],
    ['one verified, inside the window', { '13800138000': '2026-11-29T09:30:00+08:00' }, '2026-11-29T10:00:00+08:00', { open: true, overdue: false, allVerified: false, pending: ['13900139000'] }],
    [
      'all verified, inside the window',
      { '13800138000': '2026-11-29T09:30:00+08:00', '13900139000': '2026-11-29T09:40:00+08:00' },
      '2026-11-29T10:00:00+08:00',
      { open: true, overdue: false, allVerified: true, pending: [] },
    ],
    ['one pending, 1 minute before the deadline', { '13800138000': '2026-11-29T09:30:00+08:00' }, '2026-11-30T08:59:00+08:00', { open: true, overdue: false, allVerified: false, pending: ['13900139000'] }],
    ['one pending, at the deadline', { '13800138000': '2026-11-29T09:30:00+08:00' }, '2026-11-30T09:00:00+08:00', { open: false, overdue: true, allVerified: false, pending: ['13900139000'] }],
    ['one pending, past the deadline', { '13800138000': '2026-11-29T09:30:00+08:00' }, '2026-11-30T12:00:00+08:00', { open: false, overdue: true, allVerified: false, pending: ['13900139000'] }],
    [
      'all verified, past the deadline',
      { '13800138000': '2026-11-29T09:30:00+08:00', '13900139000': '2026-11-30T08:00:00+08:00' },
      '2026-11-30T12:00:00+08:00',
      { open: false, overdue: false, allVerified: true, pending: [] },
    ],
  ])('R3 %s', (_name, verified, now, expected) => {
    const state = cycleState(filing(verified), at(now))!;
    expect({ open: state.open, overdue: state.overdue, allVerified: state.allVerified, pending: state.pending.map((v) => v.phone).sort() }).toEqual(expected);
    for (const v of state.verifiers) expect(v.state).toBe(expected.pending.includes(v.phone) ? 'pending' : 'verified');
  });

  it('R2 a verified key written in any form counts for the normalized phone', () => {
    const state = cycleState(filing({ '+86 138-0013-8000': '2026-11-29T09:30:00+08:00' }), at('2026-11-29T10:00:00+08:00'))!;
    expect(state.verifiers.find((v) => v.phone === '13800138000')).toMatchObject({ state: 'verified', source: 'system' });
  });

  it('R1/R2 one verification covers every role of a shared phone', () => {
    const shared = makeFiling({
      websites: [{ name: '官网', principal: { name: '张三', phone: '+86 138 0013 8000' } }],
      cycle: { number: 1, reportedAt: REPORTED, verified: { '13800138000': '2026-11-29T09:30:00+08:00' } },
    });
    const state = cycleState(shared, at('2026-11-29T10:00:00+08:00'))!;
    expect(state.verifiers).toHaveLength(1);
    expect(state.verifiers[0]!.roles).toHaveLength(2);
    expect(state.allVerified).toBe(true);
  });

  it('R3 a verification of the emergency phone does not count', () => {
    const state = cycleState(filing({ '13700137000': '2026-11-29T09:30:00+08:00' }, { emergencyPhone: '13700137000' }), at('2026-11-29T10:00:00+08:00'))!;
    expect(state.pending).toHaveLength(2);
  });

  it('R3 a returned filing is not open, even inside the 24 hours', () => {
    const state = cycleState(filing({}, { status: 'returned', returnReason: 'sms_failed' }), at('2026-11-29T10:00:00+08:00'))!;
    expect(state.open).toBe(false);
    expect(state.overdue).toBe(false);
  });

  it('R1 cancel_access has no verifiers, so its cycle is never overdue', () => {
    const state = cycleState(filing({}, { type: 'cancel_access' }), at('2026-12-05T10:00:00+08:00'))!;
    expect(state.verifiers).toEqual([]);
    expect(state.overdue).toBe(false);
  });
});

describe('R5 verification source precedence: system > team > self', () => {
  const PHONE = '13900139000';
  it.each<[string, { system?: string; team?: string; self?: string }, 'system' | 'team' | 'self' | undefined, string | undefined]>([
    ['system only', { system: '2026-11-29T10:00:00+08:00' }, 'system', '2026-11-29T10:00:00+08:00'],
    ['team only', { team: '2026-11-29T11:00:00+08:00' }, 'team', '2026-11-29T11:00:00+08:00'],
    ['self only', { self: '2026-11-29T12:00:00+08:00' }, 'self', '2026-11-29T12:00:00+08:00'],
    ['system, team and self → system', { system: '2026-11-29T10:00:00+08:00', team: '2026-11-29T11:00:00+08:00', self: '2026-11-29T12:00:00+08:00' }, 'system', '2026-11-29T10:00:00+08:00'],
    ['team and self → team', { team: '2026-11-29T11:00:00+08:00', self: '2026-11-29T12:00:00+08:00' }, 'team', '2026-11-29T11:00:00+08:00'],
    ['system and self → system', { system: '2026-11-29T10:00:00+08:00', self: '2026-11-29T12:00:00+08:00' }, 'system', '2026-11-29T10:00:00+08:00'],
    ['none → pending', {}, undefined, undefined],
  ])('R5 %s', (_name, { system, team, self }, source, verifiedAt) => {
    const state = cycleState(filing(system ? { [PHONE]: system } : {}), at('2026-11-29T13:00:00+08:00'), {
      team: team ? { [PHONE]: team } : {},
      self: self ? { [PHONE]: self } : undefined,
    })!;
    const v = state.verifiers.find((x) => x.phone === PHONE)!;
    expect(v.source).toBe(source);
    expect(v.verifiedAt).toBe(verifiedAt);
    expect(v.state).toBe(source ? 'verified' : 'pending');
  });

  it('R5 a self-report stops the overdue flag (the team still sees it is self-reported)', () => {
    const state = cycleState(filing({ '13800138000': '2026-11-29T10:00:00+08:00' }), at('2026-11-30T10:00:00+08:00'), {
      self: { '13900139000': '2026-11-29T20:00:00+08:00' },
    })!;
    expect(state.overdue).toBe(false);
    expect(state.verifiers.map((v) => v.source).sort()).toEqual(['self', 'system']);
  });
});

describe('R3 time left in hours and minutes', () => {
  it.each([
    [3 * HOUR + 12 * MIN, { hours: 3, minutes: 12 }],
    [3 * HOUR + 12 * MIN + 59_999, { hours: 3, minutes: 12 }],
    [24 * HOUR, { hours: 24, minutes: 0 }],
    [59 * MIN, { hours: 0, minutes: 59 }],
    [59_999, { hours: 0, minutes: 0 }],
    [0, { hours: 0, minutes: 0 }],
    [-5 * MIN, { hours: 0, minutes: 0 }],
  ])('R3 %i ms → %j', (ms, parts) => {
    expect(timeLeftParts(ms)).toEqual(parts);
  });

  it('R3 the cycle state’s msLeft gives “3 h 12 min left” at deadline − 3:12', () => {
    const state = cycleState(filing(), at('2026-11-30T05:48:00+08:00'))!;
    expect(timeLeftParts(state.msLeft)).toEqual({ hours: 3, minutes: 12 });
  });

  it('R3 msLeft is negative after the deadline', () => {
    expect(cycleState(filing(), at('2026-11-30T10:00:00+08:00'))!.msLeft).toBe(-HOUR);
  });
});

describe('R3 times shown in China Standard Time', () => {
  it.each([
    ['2026-11-29T01:00:00Z', '2026-11-29 09:00', '2026-11-29'],
    ['2026-11-28T16:30:00Z', '2026-11-29 00:30', '2026-11-29'],
    ['2026-11-29T15:59:00Z', '2026-11-29 23:59', '2026-11-29'],
    ['2026-11-29T09:00:00+08:00', '2026-11-29 09:00', '2026-11-29'],
    ['2026-07-01T12:00:00-04:00', '2026-07-02 00:00', '2026-07-02'],
  ])('R3 %s → %s (Asia/Shanghai)', (iso, shown, date) => {
    expect(toChinaTime(instant(iso))).toBe(shown);
    expect(chinaDate(instant(iso))).toBe(date);
  });
});

import { describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import { rawFiling } from '../fixtures/filings.fixture.js';

const base = { eventId: 'evt-1', at: '2026-11-29T13:00:00+08:00' };

describe('CONTRACT §2 FilingEventSchema accepts each event type', () => {
  it('§2 filing.upserted carries a full record, phones normalized', () => {
    const e = FilingEventSchema.parse({ ...base, type: 'filing.upserted', filing: rawFiling({ emergencyPhone: '0086 137 0013 7000' }) });
    expect(e.type === 'filing.upserted' && e.filing.emergencyPhone).toBe('13700137000');
  });

  it.each([
    [
      { type: 'filing.reported', filingId: 'VE-2026-000101' },
      { type: 'filing.reported', filingId: 'VE-2026-000101' },
    ],
    [
      { type: 'verification.confirmed', filingId: 'VE-2026-000101', phone: '+86 138-0013-8000' },
      { type: 'verification.confirmed', phone: '13800138000' },
    ],
    [
      { type: 'filing.returned', filingId: 'VE-2026-000101', reason: 'sms_timeout' },
      { type: 'filing.returned', reason: 'sms_timeout' },
    ],
    [
      { type: 'filing.status', filingId: 'VE-2026-000101', status: 'bureau_review' },
      { type: 'filing.status', status: 'bureau_review' },
    ],
  ])('§2 %j', (body, expected) => {
    expect(FilingEventSchema.parse({ ...base, ...body })).toMatchObject({ ...base, ...expected });
  });

  it.each(['2026-11-29T05:00:00Z', '2026-11-29T13:00+08:00', '2026-11-29T13:00:00.123+0800'])('§2 at %s is an accepted date-time', (at) => {
    expect(FilingEventSchema.safeParse({ ...base, at, type: 'filing.reported', filingId: 'VE-1234' }).success).toBe(true);
  });
});

describe('CONTRACT §2 a bad body is rejected, naming the field', () => {
  it.each<[string, Record<string, unknown>, Array<string | number>]>([
    ['an unknown type', { ...base, type: 'filing.deleted', filingId: 'VE-1234' }, ['type']],
    ['no type', { ...base, filingId: 'VE-1234' }, ['type']],
    ['no eventId', { at: base.at, type: 'filing.reported', filingId: 'VE-1234' }, ['eventId']],
    ['an empty eventId', { ...base, eventId: '', type: 'filing.reported', filingId: 'VE-1234' }, ['eventId']],
    ['no at', { eventId: 'e', type: 'filing.reported', filingId: 'VE-1234' }, ['at']],
    ['an at without offset', { ...base, at: '2026-11-29T13:00:00', type: 'filing.reported', filingId: 'VE-1234' }, ['at']],
    ['an at that is not a date', { ...base, at: 'yesterday', type: 'filing.reported', filingId: 'VE-1234' }, ['at']],
    ['no filingId', { ...base, type: 'filing.reported' }, ['filingId']],
    ['a filingId with spaces', { ...base, type: 'filing.reported', filingId: 'VE 1234' }, ['filingId']],
    ['a bad phone', { ...base, type: 'verification.confirmed', filingId: 'VE-1234', phone: '010-12345678' }, ['phone']],
    ['no phone', { ...base, type: 'verification.confirmed', filingId: 'VE-1234' }, ['phone']],
    ['an unknown return reason', { ...base, type: 'filing.returned', filingId: 'VE-1234', reason: 'bored' }, ['reason']],
    ['an unknown status', { ...base, type: 'filing.status', filingId: 'VE-1234', status: 'lost' }, ['status']],
    ['a record with a bad phone', { ...base, type: 'filing.upserted', filing: rawFiling({ subject: { name: '公司', principal: { name: '张三', phone: '123' } } }) }, ['filing', 'subject', 'principal', 'phone']],
    ['a record missing its type', { ...base, type: 'filing.upserted', filing: rawFiling({ type: undefined }) }, ['filing', 'type']],
    ['no record', { ...base, type: 'filing.upserted' }, ['filing']],
  ])('§2 %s', (_name, body, path) => {
    const result = FilingEventSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path)).toContainEqual(path);
  });

  it.each([null, 'text', [], 42])('§2 a body that is not an object (%j) is rejected', (body) => {
    expect(FilingEventSchema.safeParse(body).success).toBe(false);
  });
});

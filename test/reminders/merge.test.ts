/**
 * Issue 12 item 4, on the fake clock: a person's notice and a stage (or two stages) due within the
 * same few minutes reach them as one message with the latest state; the late-reminder metric
 * counts reminders sent late, never notices.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import { MERGE_WINDOW_MS, parseReminderOffsets, stageAhead } from '../../src/rules/reminder.rules.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld, type ReminderWorld } from './fakes.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const MIN = 60_000;
const at = (msAfterReport: number) => instant(instant(REPORTED).valueOf() + msAfterReport).toISOString();
const ALICE_PHONE = '13800138000';
const BOB_PHONE = '13900139000';

let open: ReminderWorld[] = [];
afterEach(async () => {
  for (const w of open) await w.close().catch(() => undefined);
  open = [];
});

async function world(opts: Parameters<typeof reminderWorld>[0]): Promise<ReminderWorld> {
  const w = await reminderWorld(opts);
  open.push(w);
  return w;
}

/** `notice` or `stage`, with the time left the message states. */
function labels(w: ReminderWorld, userId: string): string[] {
  return w.channel.to(userId).map((m) => {
    const left = /(\d+) h (\d+) min left/.exec(m.text);
    const kind = /has sent the verification SMS/.test(m.text) ? 'notice' : /Reminder:/.test(m.text) ? 'stage' : 'other';
    return `${kind} ${left?.[1]}h${left?.[2]}m`;
  });
}

async function metric(w: ReminderWorld, name: 'remindersSent' | 'remindersLate'): Promise<Record<string, number>> {
  return Object.fromEntries((await w.core.metrics[name].get()).values.map((v) => [String(v.labels.stage), v.value]));
}

describe('R5 stageAhead: the stage the due one merges into', () => {
  const reported = instant(REPORTED);
  const after = (ms: number) => instant(reported.valueOf() + ms);
  const offsets = parseReminderOffsets('12h,4h,1h');

  it.each<[string, number, string | undefined]>([
    ['right after the report: nothing within minutes', MIN, undefined],
    ['40 s before the 12h stage: the 12h stage', 12 * HOUR - 40_000, '12h'],
    ['exactly the window before the 12h stage: the 12h stage', 12 * HOUR - MERGE_WINDOW_MS, '12h'],
    ['just more than the window before it: nothing', 12 * HOUR - MERGE_WINDOW_MS - 1, undefined],
    ['at the 12h stage itself: nothing later within minutes', 12 * HOUR, undefined],
    ['2 min before the 1h stage: the 1h stage', 23 * HOUR - 2 * MIN, '1h'],
    ['before the report: nothing is due, so nothing merges', -MIN, undefined],
    ['after the deadline: nothing', 24 * HOUR + MIN, undefined],
  ])('R5 %s', (_name, ms, id) => {
    expect(stageAhead(reported, offsets, after(ms))?.id).toBe(id);
  });

  it('R5 with stages minutes apart, the latest of them within the window', () => {
    const close = parseReminderOffsets('4h,238m,236m');
    expect(stageAhead(reported, close, after(20 * HOUR))?.id).toBe('236m');
  });
});

describe('issue 12 item 4: one message where one will do', () => {
  it('a report that reaches us 40 s before the 12h stage: one notice with the latest time left, no 12h stage after it', async () => {
    const w = await world({ now: at(12 * HOUR - 40_000), filings: [makeFiling({ type: 'new_website' })] });
    await w.link('bob', BOB_PHONE);
    await w.at(at(12 * HOUR - 40_000));
    await w.at(at(12 * HOUR));
    await w.at(at(12 * HOUR + 15 * MIN));
    expect(labels(w, 'bob')).toEqual(['notice 12h0m']);
    expect(await metric(w, 'remindersSent')).toEqual({ '12h': 1 });
    // Then the next stages as usual.
    await w.at(at(20 * HOUR));
    expect(labels(w, 'bob')).toEqual(['notice 12h0m', 'stage 4h0m']);
    expect(await metric(w, 'remindersLate')).toEqual({});
  });

  it('two stages minutes apart after downtime: one message, under the later one, and nothing when the later one falls due', async () => {
    const env = { REMINDER_OFFSETS: '12h,4h,238m' };
    const w = await world({ now: at(20 * HOUR), filings: [makeFiling({ type: 'new_website' })], env });
    await w.link('bob', BOB_PHONE);
    await w.at(at(20 * HOUR));
    await w.at(at(20 * HOUR + 2 * MIN));
    await w.at(at(20 * HOUR + 10 * MIN));
    // Bob had nothing of this cycle yet: the one message is the notice, with the due 4h stage's urgency.
    expect(labels(w, 'bob')).toEqual(['notice 4h0m']);
    expect(w.channel.to('bob')[0]!.text).toContain('less than 4 h of the 24-hour window is left');
    expect(await metric(w, 'remindersSent')).toEqual({ '238m': 1 });
  });

  it('two stages minutes apart after downtime, the notice already had: one stage message, the later one', async () => {
    const env = { REMINDER_OFFSETS: '12h,4h,238m' };
    const w = await world({ now: REPORTED, filings: [makeFiling({ type: 'new_website' })], env });
    await w.link('bob', BOB_PHONE);
    await w.at(REPORTED);
    await w.at(at(20 * HOUR));
    await w.at(at(20 * HOUR + 2 * MIN));
    expect(labels(w, 'bob')).toEqual(['notice 24h0m', 'stage 4h0m']);
    expect(await metric(w, 'remindersSent')).toEqual({ notice: 1, '238m': 1 });
  });

  it('a stage already sent is not followed early by the next one: a plan minutes before the 4h stage sends nothing, the 4h stage goes at its time', async () => {
    const w = await world({ now: at(12 * HOUR), filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(12 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 12h0m']);
    // Bob verifies 2 minutes before the 4h stage: the filing is planned again then.
    w.clock.set(at(20 * HOUR - 2 * MIN));
    const event = FilingEventSchema.parse({ eventId: 'bob-ok', type: 'verification.confirmed', at: at(20 * HOUR - 2 * MIN), filingId: 'VE-TEST-0001', phone: BOB_PHONE });
    expect((await w.core.filings.apply(event)).ok).toBe(true);
    await w.reminders.tick();
    expect(labels(w, 'alice')).toEqual(['notice 12h0m']);
    await w.at(at(20 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 12h0m', 'stage 4h0m']);
  });

  it('the late-reminder metric: a notice sent long after the report is not late, a 4h stage sent 30 min late is', async () => {
    const w = await world({ now: at(2 * HOUR), filings: [makeFiling({ type: 'new_website' })] });
    await w.link('bob', BOB_PHONE);
    await w.at(at(2 * HOUR));
    expect(labels(w, 'bob')).toEqual(['notice 22h0m']);
    expect(await metric(w, 'remindersLate')).toEqual({});
    await w.at(at(20 * HOUR + 30 * MIN));
    expect(labels(w, 'bob')).toEqual(['notice 22h0m', 'stage 3h30m']);
    expect(await metric(w, 'remindersLate')).toEqual({ '4h': 1 });
    expect(await metric(w, 'remindersSent')).toEqual({ notice: 1, '4h': 1 });
  });
});

describe('issue 19 §4: a late report still brings the notice with its deadline', () => {
  /** A filing waiting for its report, and Bob (its only verifier) linked; then the report arrives `lateBy` after it happened. */
  async function lateReport(lateBy: number, locale?: 'zh') {
    const w = await world({ now: at(lateBy), filings: [makeFiling({ type: 'new_website', status: 'provider_review', cycle: undefined })] });
    await w.link('bob', BOB_PHONE, locale);
    const event = FilingEventSchema.parse({ eventId: `rep-${lateBy}`, type: 'filing.reported', at: REPORTED, filingId: 'VE-TEST-0001' });
    expect((await w.core.filings.apply(event)).ok).toBe(true);
    await w.reminders.tick();
    return w;
  }

  it('R5 the 12h stage already due: one message, the notice with the deadline and time left, plus the 12h urgency; nothing more until the 4h stage', async () => {
    const w = await lateReport(13 * HOUR);
    expect(w.channel.to('bob').map((m) => m.text)).toEqual([
      'The MIIT has sent the verification SMS for filing VE-TEST-0001 to 139****9000. Verify before 2026-11-30 09:00 (China time), 11 h 0 min left.\n' +
        'That SMS went out at 2026-11-29 09:00 (China time), so less than 12 h of the 24-hour window is left: please verify now, with the latest code you received.',
    ]);
    await w.at(at(13 * HOUR + 30 * MIN));
    await w.at(at(19 * HOUR));
    expect(labels(w, 'bob')).toEqual(['notice 11h0m']);
    await w.at(at(20 * HOUR));
    expect(labels(w, 'bob')).toEqual(['notice 11h0m', 'stage 4h0m']);
    expect(await metric(w, 'remindersSent')).toEqual({ '12h': 1, '4h': 1 });
    // Told late is not a late reminder.
    expect(await metric(w, 'remindersLate')).toEqual({});
  });

  it('R5 the 4h stage already due (zh): one notice with the deadline, time left and the 4h urgency, then the 1h stage', async () => {
    const w = await lateReport(21 * HOUR, 'zh');
    expect(w.channel.to('bob').map((m) => m.text)).toEqual([
      '工信部已向 139****9000 发送备案 VE-TEST-0001 的核验短信。请在 2026-11-30 09:00（北京时间）前完成核验，还剩 3 小时 0 分。\n' +
        '这条短信已于 2026-11-29 09:00（北京时间）发出，24 小时核验时限只剩不到 4 小时：请尽快用最近收到的验证码完成核验。',
    ]);
    await w.at(at(22 * HOUR));
    await w.at(at(23 * HOUR));
    expect(w.channel.to('bob')).toHaveLength(2);
    expect(w.channel.to('bob')[1]!.text).toMatch(/^提醒：备案 VE-TEST-0001 仍需要您完成短信核验。.*还剩 1 小时 0 分。$/);
  });

  it('R5 a report on time: the plain notice, no late line', async () => {
    const w = await lateReport(0);
    expect(w.channel.to('bob').map((m) => m.text)).toEqual(['The MIIT has sent the verification SMS for filing VE-TEST-0001 to 139****9000. Verify before 2026-11-30 09:00 (China time), 24 h 0 min left.']);
  });
});

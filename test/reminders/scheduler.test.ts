import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isLinkButton } from '../../src/activity.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import type { Filing } from '../../src/filings/filing.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { personMarker } from '../../src/reminders/sent.markers.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { PacedChannel, type RecordingChannel, reminderWorld, type ReminderWorld } from './fakes.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const MIN = 60_000;
const at = (msAfterReport: number) => instant(instant(REPORTED).valueOf() + msAfterReport).toISOString();
const ALICE_PHONE = '13800138000'; // subject principal of the fixture
const BOB_PHONE = '13900139000'; // website principal of the fixture

const dir = mkdtempSync(join(tmpdir(), 'beian-reminders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

/** The kinds of message a person gets from the scheduler, by their wording in either language. */
const KINDS: Array<[RegExp, string]> = [
  [/has sent the verification SMS|已向 .* 发送/, 'notice'],
  [/Reminder:|提醒：/, 'stage'],
  [/returned by the bureau|已被管局退回/, 'returned'],
  [/has recorded your SMS verification|已记录您对备案/, 'confirmed'],
];

/** What a message is: the notice, a stage reminder with its time left, the returned or the confirmed notice. */
function label(text: string): string {
  const left = /(\d+) h (\d+) min left|还剩 (\d+) 小时 (\d+) 分/.exec(text);
  const kind = KINDS.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
  return left ? `${kind} ${left[1] ?? left[3]}h${left[2] ?? left[4]}m` : kind;
}

function labels(w: ReminderWorld, userId: string): string[] {
  return w.channel.to(userId).map((m) => label(m.text));
}

function confirmed(filingId: string, phone: string, when: string) {
  return FilingEventSchema.parse({ eventId: `c-${phone}-${when}`, type: 'verification.confirmed', at: when, filingId, phone });
}

async function metricValue(w: ReminderWorld, name: 'remindersSent' | 'remindersLate', stage: string): Promise<number> {
  const metric = await w.core.metrics[name].get();
  return metric.values.find((v) => v.labels.stage === stage)?.value ?? 0;
}

describe('R5 a full 24 h cycle', () => {
  it('R5 two verifiers, one verifies midway: that one is told so and hears no more; the other gets notice, 12h, 4h and 1h; the team gets at_risk and window_closed once', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE, 'zh');
    for (let t = 0; t <= 25 * HOUR; t += 15 * MIN) {
      if (t === 4 * HOUR) expect((await w.core.filings.apply(confirmed('VE-TEST-0001', BOB_PHONE, at(t)))).ok).toBe(true);
      await w.at(at(t));
    }
    expect(labels(w, 'alice')).toEqual(['notice 24h0m', 'stage 12h0m', 'stage 4h0m', 'stage 1h0m']);
    expect(labels(w, 'bob')).toEqual(['notice 24h0m', 'confirmed']);
    expect(w.alerts.kinds()).toEqual(['at_risk', 'window_closed']);
    expect(await metricValue(w, 'remindersSent', 'notice')).toBe(2);
    expect(await metricValue(w, 'remindersSent', '1h')).toBe(1);
    expect(await metricValue(w, 'remindersLate', '1h')).toBe(0);
  });

  it('R3/R5 a reminder names the exact deadline in China time, the time left, and carries the three buttons, in the person’s locale', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE, 'zh');
    await w.at(at(0));
    const [notice] = w.channel.to('alice');
    expect(notice!.text).toBe('The MIIT has sent the verification SMS for filing VE-TEST-0001 to 138****8000. Verify before 2026-11-30 09:00 (China time), 24 h 0 min left.');
    expect(notice!.buttons.flat().map((b) => (isLinkButton(b) ? b.url : b.data))).toEqual(['vg:VE-TEST-0001', 'rg:VE-TEST-0001', 'iv:VE-TEST-0001']);
    expect(notice!.buttons.flat().map((b) => b.label)).toEqual(['How to verify', 'I got no SMS: resend', 'I have verified']);
    expect(w.channel.to('bob')[0]!.text).toContain('2026-11-30 09:00（北京时间）');
    expect(w.channel.to('bob')[0]!.text).toContain('139****9000');
    await w.at(at(20 * HOUR + 17 * MIN));
    expect(w.channel.to('alice')[1]!.text).toBe('Reminder: filing VE-TEST-0001 still needs your SMS verification. Deadline 2026-11-30 09:00 (China time), 3 h 43 min left.');
    expect(w.channel.sent.every((s) => s.priority === instant('2026-11-30T09:00:00+08:00').valueOf())).toBe(true);
  });

  it('R5 stops for a self-report, a team confirmation and /stop; nobody unlinked is messaged', async () => {
    const filing = makeFiling({
      type: 'first_filing',
      websites: [
        { name: 'A', domains: [], principal: { name: '李四', phone: BOB_PHONE } },
        { name: 'B', domains: [], principal: { name: '王五', phone: '13700137000' } },
        { name: 'C', domains: [], principal: { name: '赵六', phone: '13600136000' } },
      ],
    });
    const w = await world({ now: REPORTED, filings: [filing] });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE);
    await w.link('wang', '13700137000');
    await w.at(at(0));
    expect(w.channel.sent.map((s) => s.ref.userId).sort()).toEqual(['alice', 'bob', 'wang']);
    await w.core.people.selfReport(w.core.people.keyOf(ALICE_PHONE), filing.id, 1, at(HOUR));
    await w.core.people.teamConfirm(filing.id, 1, w.core.people.keyOf(BOB_PHONE), { at: at(HOUR), by: 'U1' });
    await w.core.people.updateUser('telegram', 'wang', (u) => ({ ...u, stopped: true }));
    w.channel.clear();
    await w.at(at(12 * HOUR));
    await w.at(at(20 * HOUR));
    await w.at(at(23 * HOUR));
    expect(w.channel.sent).toEqual([]);
  });
});

describe('R5 catch-up after downtime', () => {
  it('R5 downtime across the 12h and 4h stages sends only the 4h stage, counted late', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(0));
    await w.at(at(20 * HOUR + 30 * MIN));
    expect(labels(w, 'alice')).toEqual(['notice 24h0m', 'stage 3h30m']);
    expect(await metricValue(w, 'remindersLate', '4h')).toBe(1);
    expect(await metricValue(w, 'remindersSent', '12h')).toBe(0);
    expect(w.alerts.kinds()).toEqual(['at_risk']);
  });

  it('R5 a first tick after the notice and the 12h stage sends one message: the notice she never had, with the 12h stage’s urgency; the 4h stage follows as usual', async () => {
    const w = await world({ now: at(13 * HOUR), filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(13 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 11h0m']);
    expect(w.channel.to('alice')[0]!.text).toContain('That SMS went out at 2026-11-29 09:00 (China time), so less than 12 h of the 24-hour window is left');
    expect(await metricValue(w, 'remindersSent', '12h')).toBe(1);
    await w.at(at(20 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 11h0m', 'stage 4h0m']);
  });

  it('R5 nothing to applicants after the deadline: only one window_closed to the team', async () => {
    const w = await world({ now: at(24 * HOUR + 30 * MIN), filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(24 * HOUR + 30 * MIN));
    await w.at(at(25 * HOUR));
    expect(w.channel.sent).toEqual([]);
    expect(w.alerts.kinds()).toEqual(['window_closed']);
  });

  it('R5 a cycle long past its deadline gets no stale window_closed either', async () => {
    const w = await world({ now: at(3 * 24 * HOUR), filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(3 * 24 * HOUR));
    expect(w.channel.sent).toEqual([]);
    expect(w.alerts.posted).toEqual([]);
    expect(w.reminders.scheduler.indexed).toBe(0);
  });

  it('R5 no team alert when everyone pending is verified', async () => {
    const w = await world({ now: at(21 * HOUR), filings: [makeFiling({ cycle: { number: 1, reportedAt: REPORTED, verified: { [ALICE_PHONE]: at(HOUR), [BOB_PHONE]: at(2 * HOUR) } } })] });
    await w.at(at(21 * HOUR));
    await w.at(at(25 * HOUR));
    expect(w.alerts.posted).toEqual([]);
  });
});

describe('R5 exactly once across a restart on the same embedded store', () => {
  async function onFile(file: string, now: string, filings: Filing[]): Promise<ReminderWorld> {
    const w = await world({ now, filings, store: KeyvStateStore.sqlite(file) });
    return w;
  }

  it('R5 a person who links mid-window gets the stage due now, once, worded as the notice she never had; /stop then reminders on again does not repeat it', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.at(at(13 * HOUR));
    expect(labels(w, 'alice')).toEqual([]);
    await w.link('alice', ALICE_PHONE);
    await w.at(at(13 * HOUR + MIN));
    expect(labels(w, 'alice')).toEqual(['notice 10h59m']);
    await w.core.people.setStopped('telegram', 'alice', true);
    await w.core.people.setStopped('telegram', 'alice', false);
    await w.at(at(13 * HOUR + 2 * MIN));
    expect(labels(w, 'alice')).toEqual(['notice 10h59m']);
    await w.at(at(20 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 10h59m', 'stage 4h0m']);
  });

  it('R5 restart mid-cycle: no duplicate, no missed stage', async () => {
    const file = join(dir, 'restart.sqlite');
    const filings = [makeFiling()];
    const first = await onFile(file, REPORTED, filings);
    await first.link('alice', ALICE_PHONE);
    await first.link('bob', BOB_PHONE);
    await first.at(at(0));
    await first.at(at(12 * HOUR));
    const before = first.channel.sent.map((s) => `${s.ref.userId} ${label(s.message.text)}`);
    expect(before).toEqual(['alice notice 24h0m', 'bob notice 24h0m', 'alice stage 12h0m', 'bob stage 12h0m']);
    await first.close();
    open = open.filter((w) => w !== first);

    const second = await onFile(file, at(12 * HOUR + 5 * MIN), filings);
    await second.at(at(12 * HOUR + 5 * MIN));
    expect(second.channel.sent).toEqual([]);
    await second.core.filings.apply(confirmed('VE-TEST-0001', BOB_PHONE, at(13 * HOUR)));
    for (let t = 13 * HOUR; t <= 25 * HOUR; t += 30 * MIN) await second.at(at(t));
    expect(second.channel.sent.map((s) => `${s.ref.userId} ${label(s.message.text)}`)).toEqual(['bob confirmed', 'alice stage 4h0m', 'alice stage 1h0m']);
    expect(second.alerts.kinds()).toEqual(['at_risk', 'window_closed']);
  });

  it('issue 6 "done when": a filing reported 21 h ago gets the 4h stage (as the notice) and one at_risk alert soon after start; a restart repeats neither', async () => {
    const file = join(dir, 'done-when.sqlite');
    const now = at(21 * HOUR);
    const filings = [makeFiling()];
    const first = await onFile(file, now, filings);
    await first.link('alice', ALICE_PHONE);
    await first.at(now);
    expect(labels(first, 'alice')).toEqual(['notice 3h0m']);
    expect(first.alerts.kinds()).toEqual(['at_risk']);
    await first.close();
    open = open.filter((w) => w !== first);

    const second = await onFile(file, now, filings);
    // The Slack adapter dedupes too, but this fake does not remember across worlds: the marker alone must hold.
    await second.at(at(21 * HOUR + MIN));
    expect(second.channel.sent).toEqual([]);
    expect(second.alerts.posted).toEqual([]);
  });

  it('R5 a stage stored in the outbox whose marker was never written (a crash in between) is enqueued again under the same id: the person gets it once', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(0));
    expect(w.channel.sent.map((s) => s.ref.userId)).toEqual(['alice']);
    const marker = personMarker('VE-TEST-0001', 1, 'notice', w.core.people.keyOf(ALICE_PHONE));
    const reminders = w.core.store.namespace('reminders');
    expect(await reminders.get(marker)).toEqual({ s: 'sent', n: 1 });
    await reminders.delete(marker);
    // Becoming reachable again puts the filing back in the time index, so the next tick plans the notice again.
    w.reminders.scheduler.personReachable(w.core.people.keyOf(ALICE_PHONE));
    await w.at(at(MIN));
    expect(await reminders.get(marker)).toEqual({ s: 'sent', n: 1 });
    expect(w.channel.sent.map((s) => s.ref.userId)).toEqual(['alice']);
    expect((await w.core.backend.outbox.stats(Date.now())).pending).toBe(1);
  });
});

describe('R5 failed sends', () => {
  it('R5 a failed send is retried later for that person only, then given up after the attempts', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()], reminders: { retryMs: MIN, maxAttempts: 3 } });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE);
    w.channel.failFor.add('bob');
    await w.at(at(0));
    expect(w.channel.sent.map((s) => s.ref.userId)).toEqual(['alice']);
    w.channel.failFor.clear();
    await w.at(at(MIN));
    expect(w.channel.sent.map((s) => s.ref.userId)).toEqual(['alice', 'bob']);
    await w.at(at(2 * MIN));
    expect(w.channel.sent).toHaveLength(2);

    w.channel.failFor.add('alice');
    await w.at(at(12 * HOUR));
    await w.at(at(12 * HOUR + MIN));
    await w.at(at(12 * HOUR + 2 * MIN));
    await w.at(at(12 * HOUR + 3 * MIN));
    expect(w.channel.sent.map((s) => `${s.ref.userId} ${label(s.message.text)}`).slice(2)).toEqual(['bob stage 12h0m']);
    expect(w.logs.some((l) => l.includes('reminder given up'))).toBe(true);
  });

  it('R5 a failed team alert is retried', async () => {
    const w = await world({ now: at(20 * HOUR), filings: [makeFiling()], reminders: { retryMs: MIN } });
    w.alerts.fail = true;
    await w.at(at(20 * HOUR));
    w.alerts.fail = false;
    await w.at(at(20 * HOUR + MIN));
    expect(w.alerts.kinds()).toEqual(['at_risk']);
  });
});

describe('R5 earliest deadline first', () => {
  /** Twelve filings, all with a stage due now, deadlines 1 h to 23 h away, inserted in shuffled order. */
  function spread(): Filing[] {
    const hoursLeft = [7, 1, 12, 3, 23, 5, 2, 9, 15, 4, 11, 20];
    return hoursLeft.map((h, i) =>
      makeFiling({
        id: `VE-EDF-${String(h).padStart(2, '0')}`,
        type: 'new_website',
        websites: [{ name: 'W', domains: [], principal: { name: '甲', phone: `1370000${String(1000 + i)}` } }],
        cycle: { number: 1, reportedAt: at(-(24 - h) * HOUR), verified: {} },
      }),
    );
  }

  it('R5 with many due at once, a paced platform receives them in deadline order', async () => {
    const filings = spread();
    const paced = new PacedChannel(200, 'fifo');
    const w = await world({ now: REPORTED, filings, channel: paced as unknown as RecordingChannel });
    for (const [i, f] of filings.entries()) await w.link(`u${i}`, f.websites[0]!.principal.phone);
    await w.at(REPORTED);
    const order = paced.delivered.map((d) => /VE-EDF-(\d+)/.exec(d.message.text)![1]);
    expect(order).toEqual(['01', '02', '03', '04', '05', '07', '09', '11', '12', '15', '20', '23']);
    expect(paced.delivered.map((d) => d.priority)).toEqual([...paced.delivered.map((d) => d.priority!)].sort((a, b) => a - b));
  });

  it('R5 a 1h reminder due in a later tick overtakes 12h-away notices still queued in a priority outbox', async () => {
    const early = Array.from({ length: 10 }, (_, i) => makeFiling({ id: `VE-NEW-${i}`, type: 'new_website', websites: [{ name: 'W', domains: [], principal: { name: '甲', phone: `1370000${1000 + i}` } }] }));
    const paced = new PacedChannel(20, 'priority');
    const w = await world({ now: REPORTED, filings: early, channel: paced as unknown as RecordingChannel });
    for (const [i, f] of early.entries()) await w.link(`n${i}`, f.websites[0]!.principal.phone);
    const urgent = Array.from({ length: 3 }, (_, i) =>
      FilingEventSchema.parse({
        eventId: `up-${i}`,
        type: 'filing.upserted',
        at: REPORTED,
        filing: makeFiling({
          id: `VE-URG-${i}`,
          type: 'new_website',
          websites: [{ name: 'W', domains: [], principal: { name: '乙', phone: `1360000${1000 + i}` } }],
          cycle: { number: 1, reportedAt: at(-(23 * HOUR + 30 * MIN)), verified: {} },
        }),
      }),
    );
    for (const [i] of urgent.entries()) await w.link(`r${i}`, `1360000${1000 + i}`);
    await w.reminders.scheduler.dispatch(); // ten notices queue up behind the pacing
    for (const e of urgent) await w.core.filings.apply(e);
    await w.reminders.scheduler.dispatch();
    await w.reminders.scheduler.settled();
    const ids = paced.delivered.map((d) => /VE-(NEW|URG)-\d/.exec(d.message.text)![0]);
    expect(ids).toHaveLength(13);
    // The ten notices take half a second at 20/s; the urgent three arrive within a few milliseconds and go next.
    const firstUrgent = ids.findIndex((id) => id.startsWith('VE-URG'));
    expect(ids.slice(firstUrgent, firstUrgent + 3).every((id) => id.startsWith('VE-URG'))).toBe(true);
    expect(firstUrgent).toBeLessThan(6);
  });
});

describe('R5 the time index', () => {
  it('R5 after the catch-up, a tick takes only the filings with something due, not every open filing', async () => {
    // 960 filings reported a minute apart over 16 h.
    const filings = Array.from({ length: 960 }, (_, i) =>
      makeFiling({
        id: `VE-IDX-${i}`,
        type: 'new_website',
        websites: [{ name: 'W', domains: [], principal: { name: '甲', phone: `137${String(i).padStart(8, '0')}` } }],
        cycle: { number: 1, reportedAt: at(-i * MIN), verified: {} },
      }),
    );
    const w = await world({ now: REPORTED, filings, alerts: false });
    expect(w.reminders.scheduler.indexed).toBe(960);
    expect((await w.reminders.tick()).due).toBe(960);
    w.clock.advance(15 * 1000);
    expect((await w.reminders.tick()).due).toBe(0);
    // Only the filings reported 11 h 45 min to 12 h before the start have a point (their 12h stage) in these 15 minutes.
    w.clock.set(at(15 * MIN));
    const report = await w.reminders.tick();
    expect(report.due).toBe(15);
  });

  it('§2 a status change out of verifying (approved) ends reminders and alerts', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    await w.link('alice', ALICE_PHONE);
    await w.at(at(0));
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 's1', type: 'filing.status', at: at(HOUR), filingId: 'VE-TEST-0001', status: 'bureau_review' }));
    expect(w.reminders.scheduler.indexed).toBe(0);
    for (let t = 2 * HOUR; t <= 25 * HOUR; t += HOUR) await w.at(at(t));
    expect(labels(w, 'alice')).toEqual(['notice 24h0m']);
    expect(w.alerts.posted).toEqual([]);
  });
});

describe('R5 new cycles and returns', () => {
  it('R6 a return applied while the reminders are still starting (main opens the port first) is told, not missed', async () => {
    const w = await world({ now: at(25 * HOUR), filings: [makeFiling()], reminders: { deferred: true } });
    await w.link('alice', ALICE_PHONE);
    // The filing event arrives between the port opening and the scheduler following filing changes.
    const begun = w.reminders.begin();
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'r1', type: 'filing.returned', at: at(25 * HOUR), filingId: 'VE-TEST-0001', reason: 'sms_timeout' }));
    await begun;
    await w.at(at(25 * HOUR));
    expect(labels(w, 'alice')).toContain('returned');
  });

  it('R5 a new cycle reported while the reminders are still starting gets its notice', async () => {
    const w = await world({ now: at(48 * HOUR), filings: [makeFiling()], reminders: { deferred: true } });
    await w.link('alice', ALICE_PHONE);
    const begun = w.reminders.begin();
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'p2', type: 'filing.reported', at: at(48 * HOUR), filingId: 'VE-TEST-0001' }));
    await begun;
    await w.at(at(48 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 24h0m']);
  });

  it('R5/R6 a return tells linked applicants once with the recovery button and the reported-again date; a new report starts a new cycle', async () => {
    const w = await world({ now: at(25 * HOUR), filings: [makeFiling({ emergencyPhone: '13500135000' })] });
    await w.link('alice', ALICE_PHONE);
    await w.link('emma', '13500135000');
    await w.at(at(25 * HOUR));
    expect(w.alerts.kinds()).toEqual(['window_closed']);
    const returned = FilingEventSchema.parse({ eventId: 'r1', type: 'filing.returned', at: at(25 * HOUR), filingId: 'VE-TEST-0001', reason: 'sms_timeout' });
    await w.core.filings.apply(returned);
    await w.at(at(25 * HOUR));
    await w.core.filings.apply({ ...returned, eventId: 'r2' });
    await w.at(at(26 * HOUR));
    expect(w.channel.sent.map((s) => s.ref.userId).sort()).toEqual(['alice', 'emma']);
    const msg = w.channel.to('alice')[0]!;
    // 2026-11-30 is a Monday: resubmitted that day, reported again by Tuesday.
    expect(msg.text).toBe(
      'Filing VE-TEST-0001 was returned by the bureau: SMS verification not completed within 24 hours. I can walk you through what to do now.\n' +
        'When resubmitted, filing VE-TEST-0001 is reported again within 1 working day (by 2026-12-01 if resubmitted today); a new SMS verification will follow.',
    );
    expect(msg.buttons.flat().map((b) => (isLinkButton(b) ? b.url : b.data))).toEqual(['rc:VE-TEST-0001']);
    expect(w.alerts.kinds()).toEqual(['window_closed', 'returned']);
    expect([...(await collect(w.core.store.namespace('reminders').keys('retjob:')))]).toEqual([]);

    w.channel.clear();
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'p2', type: 'filing.reported', at: at(48 * HOUR), filingId: 'VE-TEST-0001' }));
    await w.at(at(48 * HOUR));
    expect(labels(w, 'alice')).toEqual(['notice 24h0m']);
    expect(w.channel.to('emma')).toEqual([]); // the emergency contact receives no SMS (R1)
  });

  it.each<[string, string, string, string]>([
    [
      '2026-12-30T09:00:00+08:00',
      '2026-12-31T10:00:00+08:00',
      '(by 2027-01-04 if resubmitted today) (estimated: the official 2027 arrangement is not yet published); a new',
      '（如今天提交，预计 2027-01-04 前）（估算：2027 年放假安排尚未公布），之后',
    ],
    ['2026-12-29T09:00:00+08:00', '2026-12-30T10:00:00+08:00', '(by 2026-12-31 if resubmitted today); a new', '（如今天提交，预计 2026-12-31 前），之后'],
  ])('R6 a return notice past the official calendar marks the date as estimated (cycle %s, returned %s)', async (reportedAt, returnedAt, en, zh) => {
    const w = await world({ now: returnedAt, filings: [makeFiling({ cycle: { number: 1, reportedAt, verified: {} } })] });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE, 'zh');
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'r1', type: 'filing.returned', at: returnedAt, filingId: 'VE-TEST-0001', reason: 'sms_timeout' }));
    await w.at(returnedAt);
    const [alice] = w.channel.to('alice');
    const [bob] = w.channel.to('bob');
    expect(alice!.text).toContain(en);
    expect(bob!.text).toContain(zh);
    expect(alice!.text.includes('estimated')).toBe(returnedAt.startsWith('2026-12-31'));
  });

  it('R6 a return accepted just before a crash is still told after the restart', async () => {
    const file = join(dir, 'returned.sqlite');
    const filings = [makeFiling()];
    const first = await world({ now: at(25 * HOUR), filings, store: KeyvStateStore.sqlite(file) });
    await first.link('alice', ALICE_PHONE);
    await first.core.filings.apply(FilingEventSchema.parse({ eventId: 'r1', type: 'filing.returned', at: at(25 * HOUR), filingId: 'VE-TEST-0001', reason: 'sms_failed' }));
    await first.reminders.stop(); // dies before its next tick
    await first.core.close();
    open = open.filter((w) => w !== first);
    const second = await world({ now: at(25 * HOUR + MIN), filings, store: KeyvStateStore.sqlite(file) });
    await second.at(at(25 * HOUR + MIN));
    expect(labels(second, 'alice')).toEqual(['returned']);
    expect(second.alerts.kinds()).toEqual(['returned']);
  });
});

describe('core.nudge', () => {
  it('sends remind.other to each linked pending verifier except the asker, and says how many it reached', async () => {
    const filing = makeFiling({
      websites: [
        { name: 'A', domains: [], principal: { name: '李四', phone: BOB_PHONE } },
        { name: 'B', domains: [], principal: { name: '王五', phone: '13700137000' } },
      ],
    });
    const w = await world({ now: at(2 * HOUR), filings: [filing] });
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE);
    const reached = await w.core.nudge!(filing, { excludeKey: w.core.people.keyOf(ALICE_PHONE), kind: 'other' });
    expect(reached).toBe(1);
    expect(w.channel.to('bob').map((m) => m.text)).toEqual(['Another verifier of filing VE-TEST-0001 asks you to complete your SMS verification before 2026-11-30 09:00 (China time), 22 h 0 min left.']);
    expect(await w.core.nudge!(filing, { kind: 'team' })).toBe(2);
    expect(w.channel.to('alice')[0]!.text).toMatch(/^Our team asks you/);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

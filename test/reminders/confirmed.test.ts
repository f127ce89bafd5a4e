/**
 * Issue 19 §13, on the fake clock: a confirmation from the filing system (the signed hook's
 * `verification.confirmed`) tells every chat linked to that phone, once per phone, filing and cycle,
 * that the verification is recorded; no reminder follows it, and a restart neither loses nor repeats it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld, SECRET, type ReminderWorld } from './fakes.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const MIN = 60_000;
const at = (msAfterReport: number) => instant(instant(REPORTED).valueOf() + msAfterReport).toISOString();
const ALICE_PHONE = '13800138000'; // subject principal of the fixture
const BOB_PHONE = '13900139000'; // website principal of the fixture

const ZH = '备案系统已记录您对备案 VE-TEST-0001 的短信核验。本轮核验期间不会再向您发送提醒。';
const EN = 'The filing system has recorded your SMS verification for filing VE-TEST-0001. You will get no more reminders in this verification cycle.';

const dir = mkdtempSync(join(tmpdir(), 'beian-confirmed-'));
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

/** Posts a signed `verification.confirmed` to the world's hook, as the filing system would; returns the HTTP status. */
async function confirm(w: ReminderWorld, port: number, eventId: string, phone: string): Promise<number> {
  const raw = JSON.stringify({ eventId, type: 'verification.confirmed', at: w.clock.now().toISOString(), filingId: 'VE-TEST-0001', phone });
  const ts = String(Math.floor(w.clock.now().valueOf() / 1000));
  const res = await fetch(`http://127.0.0.1:${port}/hooks/filing-events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signEvent(SECRET, ts, raw) }, body: raw });
  await res.text();
  return res.status;
}

describe('issue 19 §13: the filing system’s confirmation is told to the person', () => {
  it('every chat linked to the confirmed phone hears it once, each in their language (zh, en); no reminder follows; the other verifier’s go on', async () => {
    const w = await world({ now: REPORTED, filings: [makeFiling()] });
    const port = await w.server.listen(0, '127.0.0.1');
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE, 'zh');
    await w.link('bob-work', BOB_PHONE, 'en');
    await w.at(REPORTED);
    w.channel.clear();

    w.clock.set(at(2 * HOUR));
    expect(await confirm(w, port, 'bob-ok', '+86 139-0013-9000')).toBe(200);
    await w.reminders.tick();
    expect(w.channel.to('bob').map((m) => m.text)).toEqual([ZH]);
    expect(w.channel.to('bob-work').map((m) => m.text)).toEqual([EN]);
    expect(w.channel.to('alice')).toEqual([]);

    // The same event again, and another one for the same phone: nothing more.
    expect(await confirm(w, port, 'bob-ok', BOB_PHONE)).toBe(200);
    w.clock.set(at(3 * HOUR));
    expect(await confirm(w, port, 'bob-ok-again', BOB_PHONE)).toBe(200);
    for (let t = 3 * HOUR; t <= 25 * HOUR; t += 30 * MIN) await w.at(at(t));
    expect(w.channel.to('bob')).toHaveLength(1);
    expect(w.channel.to('bob-work')).toHaveLength(1);
    expect(w.channel.to('alice').map((m) => m.text.slice(0, 30))).toEqual(Array(3).fill('Reminder: filing VE-TEST-0001 '));
    // Its pending job is done with.
    expect(await w.core.store.namespace('reminders').get(`cfjob:VE-TEST-0001:1:${w.core.people.keyOf(BOB_PHONE)}`)).toBeUndefined();
  });

  it('the last confirmation is told even when bureau review follows at once', async () => {
    const w = await world({ now: at(HOUR), filings: [makeFiling({ type: 'new_website' })] });
    await w.link('bob', BOB_PHONE);
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'c', type: 'verification.confirmed', at: at(HOUR), filingId: 'VE-TEST-0001', phone: BOB_PHONE }));
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 's', type: 'filing.status', at: at(HOUR), filingId: 'VE-TEST-0001', status: 'bureau_review' }));
    await w.reminders.tick();
    expect(w.channel.to('bob').map((m) => m.text)).toEqual([EN]);
    await w.at(at(13 * HOUR));
    expect(w.channel.to('bob')).toHaveLength(1);
  });

  it('a phone nobody has linked gets nothing, and a confirmation in a filing’s file (not an event) is not announced', async () => {
    const verified = makeFiling({ cycle: { number: 1, reportedAt: REPORTED, verified: { [ALICE_PHONE]: at(HOUR) } } });
    const w = await world({ now: at(2 * HOUR), filings: [verified] });
    await w.core.filings.apply(FilingEventSchema.parse({ eventId: 'c', type: 'verification.confirmed', at: at(2 * HOUR), filingId: 'VE-TEST-0001', phone: BOB_PHONE }));
    await w.link('alice', ALICE_PHONE);
    await w.link('bob', BOB_PHONE);
    await w.at(at(2 * HOUR + MIN));
    expect(w.channel.sent).toEqual([]);
    const jobs: string[] = [];
    for await (const key of w.core.store.namespace('reminders').keys('cfjob:')) jobs.push(key);
    expect(jobs).toEqual([]);
  });

  it('a confirmation accepted just before a crash is told after the restart, and only once', async () => {
    const file = join(dir, 'confirmed.sqlite');
    const filings = [makeFiling()];
    const first = await world({ now: at(HOUR), filings, store: KeyvStateStore.sqlite(file) });
    await first.link('bob', BOB_PHONE);
    await first.core.filings.apply(FilingEventSchema.parse({ eventId: 'c', type: 'verification.confirmed', at: at(HOUR), filingId: 'VE-TEST-0001', phone: BOB_PHONE }));
    await first.reminders.stop(); // dies before its next tick
    await first.core.close();
    open = open.filter((w) => w !== first);
    expect(first.channel.sent).toEqual([]);

    const second = await world({ now: at(HOUR + MIN), filings, store: KeyvStateStore.sqlite(file) });
    await second.at(at(HOUR + MIN));
    expect(second.channel.to('bob').map((m) => m.text)).toEqual([EN]);
    await second.close();
    open = open.filter((w) => w !== second);

    const third = await world({ now: at(HOUR + 2 * MIN), filings, store: KeyvStateStore.sqlite(file) });
    await third.at(at(HOUR + 2 * MIN));
    await third.at(at(12 * HOUR));
    expect(third.channel.to('bob')).toEqual([]);
  });
});

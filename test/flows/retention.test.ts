/** Issue 11 §4: every record about a person expires; closed filings' state expires; the sweep runs at start and hourly, on the fake clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import { People, type PhoneRecord, type UserRecord } from '../../src/people.js';
import { SWEEP_EVERY_MS } from '../../src/retention.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { world, type World } from '../support/transcript.js';

const DAY = 86_400_000;
const NOW = '2026-11-29T12:00:00+08:00';

let w: World | undefined;
afterEach(async () => {
  await w?.core.close();
  w = undefined;
});

/** Moves the fake clock and runs the hourly check. */
async function after(ms: number) {
  w!.clock.advance(ms);
  return w!.core.retention.tick();
}

const people = () => w!.core.store.namespace('people');
const userRec = (id: string) => people().get<UserRecord>(`user:telegram:${id}`);

describe('retention of people', () => {
  it('a bare /start leaves a record that goes 180 days after the last activity; activity pushes it back', async () => {
    w = await world({ now: NOW });
    await w.chat({ channel: 'telegram', user: 'idle' }).send('/start');
    await w.chat({ channel: 'telegram', user: 'busy' }).send('/start');
    expect(await userRec('idle')).toMatchObject({ seen: new Date(NOW).toISOString() });
    await after(100 * DAY);
    await w.chat({ channel: 'telegram', user: 'busy' }).send('/help');
    await after(79 * DAY);
    expect(await userRec('idle')).toBeDefined();
    const report = await after(1 * DAY);
    expect(report).toMatchObject({ users: 1 });
    expect(await userRec('idle')).toBeUndefined();
    expect(await people().get('session:telegram:idle')).toBeUndefined();
    expect(await userRec('busy')).toBeDefined();
    await after(100 * DAY);
    expect(await userRec('busy')).toBeUndefined();
  });

  it('RETENTION_DAYS shortens it', async () => {
    w = await world({ now: NOW, env: { RETENTION_DAYS: '7' } });
    await w.chat({ channel: 'telegram', user: 'a' }).send('/start');
    await after(6 * DAY);
    expect(await userRec('a')).toBeDefined();
    await after(1 * DAY);
    expect(await userRec('a')).toBeUndefined();
  });

  it('a linked person goes 30 days after every filing naming them closed, with their phone record; the closed filing’s state goes too', async () => {
    w = await world({ now: NOW, filings: [makeFiling(), makeFiling({ id: 'VE-TEST-0002', status: 'provider_review', cycle: undefined })] });
    const chat = w.chat({ channel: 'telegram', user: 'alice' });
    await chat.contact('13800138000').expect('138****8000');
    const key = w.core.people.keyOf('13800138000');
    await w.core.people.count(key, 'VE-TEST-0001', 1, 'resends');
    await w.core.people.teamConfirm('VE-TEST-0001', 1, w.core.people.keyOf('13900139000'), { at: NOW, by: 'U1' });
    const close = (id: string, eventId: string) => w!.core.filings.apply(FilingEventSchema.parse({ eventId, type: 'filing.status', filingId: id, status: 'approved', at: w!.clock.now().toISOString() }));
    await close('VE-TEST-0001', 's1');
    expect(await w.core.filings.get('VE-TEST-0001')).toBeDefined();
    // One of her filings is still open: she stays, the closed filing goes after 30 days.
    await after(30 * DAY);
    expect(await userRec('alice')).toBeDefined();
    expect(await w.core.filings.get('VE-TEST-0001')).toBeUndefined();
    expect(await people().get('team:VE-TEST-0001#1')).toBeUndefined();
    // Her last filing closes: 29 days later she is still here, 30 days later she is gone.
    await close('VE-TEST-0002', 's2');
    await after(29 * DAY);
    expect(await userRec('alice')).toBeDefined();
    await chat.send('/help'); // activity does not keep records whose filings are all closed
    const report = await after(1 * DAY);
    expect(report).toMatchObject({ users: 1, filings: 1 });
    expect(await userRec('alice')).toBeUndefined();
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toBeUndefined();
    expect(await w.core.filings.count()).toBe(0);
  });

  it('a phone its last chat moved off keeps its counters, and they go RETENTION_DAYS after the sweep first finds it unlinked', async () => {
    w = await world({ now: NOW, env: { RETENTION_DAYS: '7' }, filings: [makeFiling()] });
    const chat = w.chat({ channel: 'telegram', user: 'alice' });
    await chat.contact('13800138000').expect('138****8000');
    const key = w.core.people.keyOf('13800138000');
    await w.core.people.count(key, 'VE-TEST-0001', 1, 'resends');
    await chat.contact('13900139000').expect('139****9000');
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toMatchObject({ users: [], cycles: { 'VE-TEST-0001#1': { resends: 1 } } });
    expect(await after(SWEEP_EVERY_MS)).toMatchObject({ phones: 0 });
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toMatchObject({ unlinkedSince: w.clock.now().toISOString() });
    await chat.send('/help'); // the person stays active on the other phone
    await after(7 * DAY - SWEEP_EVERY_MS);
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toMatchObject({ cycles: { 'VE-TEST-0001#1': { resends: 1 } } });
    expect(await after(SWEEP_EVERY_MS)).toMatchObject({ phones: 1 });
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toBeUndefined();
  });

  it('a phone linked again before its time is up is kept, and its clock starts afresh when it is left again', async () => {
    w = await world({ now: NOW, env: { RETENTION_DAYS: '7' }, filings: [makeFiling()] });
    const chat = w.chat({ channel: 'telegram', user: 'alice' });
    await chat.contact('13800138000').expect('138****8000');
    const key = w.core.people.keyOf('13800138000');
    await w.core.people.count(key, 'VE-TEST-0001', 1, 'resends');
    await chat.contact('13900139000').expect('139****9000');
    await after(SWEEP_EVERY_MS);
    await after(6 * DAY);
    await chat.contact('13800138000').expect('138****8000');
    const linked = await people().get<PhoneRecord>(`phone:${key}`);
    expect(linked).toMatchObject({ users: ['telegram:alice'], cycles: { 'VE-TEST-0001#1': { resends: 1 } } });
    expect(linked?.unlinkedSince).toBeUndefined();
    await after(2 * DAY);
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toMatchObject({ users: ['telegram:alice'] });
  });

  it('/forget deletes the counters of a phone nobody else links', async () => {
    w = await world({ now: NOW, filings: [makeFiling()] });
    const chat = w.chat({ channel: 'telegram', user: 'alice' });
    await chat.contact('13800138000').expect('138****8000');
    const key = w.core.people.keyOf('13800138000');
    await w.core.people.count(key, 'VE-TEST-0001', 1, 'resends');
    await w.core.people.forget('telegram', 'alice');
    expect(await people().get<PhoneRecord>(`phone:${key}`)).toBeUndefined();
  });

  it('a conversation’s flow state is kept no longer than RETENTION_DAYS (a week at most)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-session-'));
    try {
      const file = join(dir, 'state.sqlite');
      const expiryAfter = async (retentionDays: number) => {
        const store = KeyvStateStore.sqlite(file);
        const before = Date.now();
        await new People(store, (phone) => phone, { retentionDays }).saveSession('telegram', '2001', { v: 1 });
        await store.close();
        const db = new Database(file, { readonly: true });
        const row = db.prepare<[], { expires: number }>("SELECT expires FROM kv WHERE key = 'session:telegram:2001'").get();
        db.close();
        return row!.expires - before;
      };
      expect(await expiryAfter(1)).toBeLessThanOrEqual(DAY + 1000);
      expect(await expiryAfter(1)).toBeGreaterThan(DAY - 60_000);
      expect(await expiryAfter(180)).toBeLessThanOrEqual(7 * DAY + 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the sweep runs at start: a record already past its time is gone once the core is up', async () => {
    const store = KeyvStateStore.memory();
    const old = new Date(Date.parse(NOW) - 181 * DAY).toISOString();
    await store.namespace('people').set<UserRecord>('user:telegram:gone', { v: 1, seen: old });
    await store.namespace('people').set<UserRecord>('user:telegram:legacy', { v: 1 });
    w = await world({ now: NOW, store });
    expect(await userRec('gone')).toBeUndefined();
    // A record from before retention starts its clock at the first sweep.
    expect(await userRec('legacy')).toMatchObject({ seen: new Date(NOW).toISOString() });
  });

  it('the sweep runs hourly by the injected clock, not more often', async () => {
    w = await world({ now: NOW });
    expect(await after(SWEEP_EVERY_MS - 1)).toBeUndefined();
    expect(await after(1)).toEqual({ users: 0, phones: 0, filings: 0 });
    expect(await after(SWEEP_EVERY_MS / 2)).toBeUndefined();
  });
});

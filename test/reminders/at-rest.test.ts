/**
 * Issue 11 §3: nothing personal in clear at rest. After a realistic session (link, lookup, events,
 * reminders, a self-report, a team confirmation) the whole SQLite store, every row and every byte
 * of the file, holds no 11-digit number, no principal's full name and no key material.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Update } from 'telegraf/types';
import { afterAll, describe, expect, it } from 'vitest';
import { TELEGRAM_CAPABILITIES, toActivity } from '../../adapters/telegram/telegram.translate.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import { LEGACY_KEY } from '../../src/privacy.js';
import { sealPhone } from '../../src/rules/phone.rules.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { instant } from '../../src/time.js';
import { makeFiling, rawFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld } from './fakes.js';

const NOW = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const at = (ms: number) => instant(instant(NOW).valueOf() + ms).toISOString();
const SECRET_KEY = 'phone-key-for-the-at-rest-test-0123456789abcdef';
const PHONES = ['13800138000', '13900139000', '13700137000', '15012345678', '17012345678'];
const NAMES = ['张三', '李四', '王小明', '赵六'];

const dir = mkdtempSync(join(tmpdir(), 'beian-at-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let messageId = 0;
function update(id: number, body: { text: string } | { contact: { phone_number: string; user_id: number; first_name: string } }): Update {
  messageId += 1;
  const from = { id, is_bot: false, first_name: 'A', language_code: 'en' };
  return { update_id: messageId, message: { message_id: messageId, date: 0, chat: { id, type: 'private', first_name: 'A' }, from, ...body } } as unknown as Update;
}

describe('R8 the store at rest', () => {
  it('after a realistic session, no full phone, no principal name and no key material is anywhere in the store file', async () => {
    const file = join(dir, 'state.sqlite');
    const individual = rawFiling({
      id: 'VE-TEST-0002',
      type: 'new_website',
      subject: { name: '王小明', principal: { name: '王小明', phone: '15012345678' } },
      websites: [{ name: '王小明的个人博客', domains: ['wxm.example.cn'], principal: { name: '王小明', phone: '15012345678' } }],
      emergencyPhone: '13700137000',
      status: 'provider_review',
      cycle: undefined,
    });
    const w = await reminderWorld({ now: NOW, filings: [makeFiling({ emergencyPhone: '13700137000' })], store: KeyvStateStore.sqlite(file), env: { PHONE_KEY_SECRET: SECRET_KEY } });
    const handle = async (id: number, body: Parameters<typeof update>[1]) => w.core.runner.handle(toActivity(update(id, body))!, TELEGRAM_CAPABILITIES);
    const event = (e: Record<string, unknown>) => w.core.filings.apply(FilingEventSchema.parse({ at: w.clock.now().toISOString(), ...e }));

    // People: one links by contact and looks filings up, one only says /start, one links the individual's phone.
    await handle(2001, { text: '/start VE-TEST-0001' });
    await handle(2001, { contact: { phone_number: '+86 138 0013 8000', user_id: 2001, first_name: 'A' } });
    expect((await handle(2001, { text: '/lookup VE-TEST-0001' }))[0]!.text).toContain('138****8000');
    await handle(2002, { text: '/start' });
    await handle(2003, { contact: { phone_number: '15012345678', user_id: 2003, first_name: 'B' } });
    // Events: a new filing naming a person in its website's name, its report, confirmations, a status change.
    expect((await event({ eventId: 'u1', type: 'filing.upserted', filing: individual })).ok).toBe(true);
    expect((await event({ eventId: 'r1', type: 'filing.reported', filingId: 'VE-TEST-0002' })).ok).toBe(true);
    expect(
      (await event({ eventId: 'u2', type: 'filing.upserted', filing: rawFiling({ id: 'VE-TEST-0003', subject: { name: '赵六', principal: { name: '赵六', phone: '17012345678' } }, status: 'draft', cycle: undefined }) }))
        .ok,
    ).toBe(true);
    // Reminders through the day, a self-report, a resend counted, a team confirmation, a system confirmation.
    await w.at(at(0));
    await handle(2001, { text: '/lookup VE-TEST-0001' });
    await w.core.runner.handle({ channel: 'telegram', userId: '2001', conversationId: '2001', input: { type: 'action', data: 'iv:VE-TEST-0001' } }, TELEGRAM_CAPABILITIES);
    await w.core.people.count(w.core.people.keyOf('15012345678'), 'VE-TEST-0002', 1, 'resends');
    await w.core.people.teamConfirm('VE-TEST-0001', 1, w.core.people.keyOf('13900139000'), { at: w.clock.now().toISOString(), by: 'U0TEAM' });
    await w.at(at(4 * HOUR));
    expect((await event({ eventId: 'c1', type: 'verification.confirmed', filingId: 'VE-TEST-0002', phone: '150-1234-5678' })).ok).toBe(true);
    await w.at(at(12 * HOUR));
    expect((await event({ eventId: 's1', type: 'filing.status', filingId: 'VE-TEST-0002', status: 'approved' })).ok).toBe(true);
    await w.at(at(23 * HOUR));
    expect(w.channel.sent.length).toBeGreaterThanOrEqual(2);
    // The app still works on what it keeps: the confirmation by phone reached the sealed filing.
    expect((await w.core.filings.get('VE-TEST-0002'))!.cycle!.verified).toHaveProperty([sealPhone('15012345678', w.core.people.keyOf)]);
    await w.close();

    const db = new Database(file, { readonly: true });
    // The state's rows and the filings' table, which lives in the same file.
    const rows = db.prepare<[], { key: string; value: string }>("SELECT key, value FROM kv UNION ALL SELECT 'filing:' || id, json FROM filings").all();
    db.close();
    expect(rows.some((r) => r.key === 'filing:VE-TEST-0002')).toBe(true);
    expect(rows.some((r) => r.key.startsWith('people:user:'))).toBe(true);
    const dump = rows.map((r) => `${r.key}\t${r.value}`).join('\n');
    const bytes = readdirSync(dir)
      .filter((f) => f.startsWith('state.sqlite'))
      .map((f) => readFileSync(join(dir, f)).toString('utf8'))
      .join('\n');
    for (const text of [dump, bytes]) {
      expect(text.match(/(?<!\d)\d{11}(?!\d)/)?.[0]).toBeUndefined();
      for (const phone of PHONES) expect(text).not.toContain(phone);
      for (const name of NAMES) expect(text).not.toContain(name);
      expect(text).not.toContain(SECRET_KEY);
      expect(text).not.toContain(LEGACY_KEY);
    }
    // What is kept instead: masked forms.
    expect(dump).toContain('138****8000');
    expect(dump).toContain('王**的个人博客');
  });

  it('a filing an older version stored in clear is sealed at start, and moves from the store into the filings table', async () => {
    const store = KeyvStateStore.memory();
    await store.namespace('filings').set('filing:VE-TEST-0001', makeFiling());
    const w = await reminderWorld({ now: NOW, filings: [], store, env: { PHONE_KEY_SECRET: SECRET_KEY } });
    const kept = JSON.stringify(await w.core.filings.get('VE-TEST-0001'));
    const left = await store.namespace('filings').get('filing:VE-TEST-0001');
    await w.close();
    expect(kept).toContain('138****8000#');
    expect(kept).not.toMatch(/13800138000|张三|李四/);
    expect(left).toBeUndefined();
  });
});

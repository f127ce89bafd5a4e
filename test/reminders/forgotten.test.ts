/**
 * Issue 22 §3: once the retention sweep retires a person, nothing under `data/` names them: not the
 * store's rows, not the reminder markers, not the outbox (waiting or sent), not the -wal file, not free pages.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Update } from 'telegraf/types';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { telegramChannel } from '../../adapters/telegram/telegram.channel.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';
import { updateHandler } from '../../adapters/telegram/telegram.turns.js';
import { route } from '../../flows/router.js';
import { openBackend } from '../../src/backends/backend.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import { silentLogger } from '../../src/log.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { HttpServer } from '../../src/server.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startServices } from '../support/services.js';

const NOW = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SECRET_KEY = 'phone-key-for-the-retention-test-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'beian-forgotten-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let updateId = 0;
function update(chat: number, body: { text: string } | { contact: { phone_number: string; user_id: number; first_name: string } }): Update {
  updateId += 1;
  const from = { id: chat, is_bot: false, first_name: 'A', language_code: 'en' };
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat: { id: chat, type: 'private', first_name: 'A' }, from, ...body } } as unknown as Update;
}

/** The tables with a row whose text holds any of `needles` (read through SQLite, so only live rows count). */
function rowsNaming(file: string, needles: string[]): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    return tables.filter((t) => (db.prepare(`SELECT * FROM "${t}"`).all() as Array<Record<string, unknown>>).some((row) => needles.some((n) => JSON.stringify(row).includes(n)))).sort();
  } finally {
    db.close();
  }
}

/** Every file under the folder, as raw bytes read as latin1 (so no byte is lost to decoding). */
function dump(folder: string): { files: string[]; bytes: string } {
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' });
  return { files, bytes: files.map((f) => readFileSync(join(folder, f)).toString('latin1')).join('\n') };
}

describe('issue 22 §3 retention covers every trace', () => {
  it('RETENTION_DAYS=1, two days on: the sweep leaves nothing of their chat in data/, the filing names them only in its own row, and once it has closed 30 days nothing at all', async () => {
    const data = join(dir, 'data');
    const storeUrl = `file:${join(data, 'state.sqlite')}`;
    const clock = new FakeClock(NOW);
    const backend = openBackend(storeUrl);
    const config = loadConfig({ STORE_URL: storeUrl, RETENTION_DAYS: '1', PHONE_KEY_SECRET: SECRET_KEY, DEFAULT_LOCALE: 'en' });
    const core = await createCore(config, { route, clock, logger: silentLogger, backend, filings: [makeFiling()] });
    const now = () => clock.now().valueOf();
    // The turn's own calls (a button's answer, "typing") are not what this test is about: made at once, unpaced.
    const outbox = {
      enqueue: (messages: readonly NewOutboxMessage[]) => backend.outbox.enqueue(messages, now()),
      pending: async () => false,
      paced: async (_channel: string, _chat: string, call: () => Promise<unknown>) => {
        await call();
        return true;
      },
    };
    core.channels.add(telegramChannel({ outbox, people: core.people, metrics: core.metrics, log: silentLogger, now }));
    const server = new HttpServer(silentLogger);
    const reminders = await startServices(core, server, { reminders: { intervalMs: 0 } });
    const handle = updateHandler({
      turn: (a) => core.runner.run(a, TELEGRAM_CAPABILITIES),
      store: core.store,
      outbox,
      telegram: { answerCbQuery: async () => true, sendChatAction: async () => true },
      botId: 7,
      log: silentLogger,
      optional: async (_method, call) => void (await call()),
      typingAfterMs: 1000,
      now,
    });
    const say = async (chat: number, body: Parameters<typeof update>[1]) => expect(await handle(update(chat, body))).toEqual({ status: 'handled' });
    const tickAt = async (ms: number) => {
      clock.set(instant(instant(NOW).valueOf() + ms).toISOString());
      await reminders.tick();
    };
    /** Hands every waiting message to a platform that takes it (their ids are remembered as sent). */
    const deliverAll = async () => {
      for (const m of await backend.outbox.claim({ now: now(), limit: 1000, leaseMs: 30_000, owner: 'test' })) await backend.outbox.ack(m.id, now());
    };

    // Chat 2001 links 13800138000 and looks the filing up; chat 2002 links the other principal.
    await say(2001, { text: '/start VE-TEST-0001' });
    await say(2001, { contact: { phone_number: '+86 138 0013 8000', user_id: 2001, first_name: 'A' } });
    await say(2001, { text: '/lookup VE-TEST-0001' });
    await say(2002, { contact: { phone_number: '13900139000', user_id: 2002, first_name: 'B' } });
    await deliverAll();
    // Reminders: the 12-hour one sent, the 4-hour one still waiting in the outbox; a flow left half-way (/forget asks to confirm).
    await tickAt(12 * HOUR);
    await deliverAll();
    await tickAt(20 * HOUR);
    await say(2001, { text: '/forget' });
    expect(await core.store.namespace('people').get('session:telegram:2001')).toBeDefined();
    expect(await core.store.namespace('reminders').get(`rem:VE-TEST-0001:1:12h:${core.people.keyOf('13800138000')}`)).toBeDefined();
    const key = core.people.keyOf('13800138000');
    const otherKey = core.people.keyOf('13900139000');
    // The full number is never stored at all; the rest is, until the sweep.
    const traces = ['13800138000', '138****8000', key, 'telegram:2001', '"2001"', '2001'];
    const before = dump(data);
    for (const trace of traces.slice(1)) expect(before.bytes, trace).toContain(trace);
    expect((await backend.outbox.stats(now())).pending).toBeGreaterThan(0);

    // Two days on, 2002 is still active; 2001 was last seen two days ago.
    clock.set(instant(instant(NOW).valueOf() + 2 * DAY).toISOString());
    await say(2002, { text: '/help' });
    expect(await core.retention.sweep()).toMatchObject({ users: 1 });

    // While the process runs (the -wal file included): nothing of their chat is left. The filing's own
    // record still names its principal (masked, with the key) while the filing lives: that row alone.
    const chatTraces = ['13800138000', 'telegram:2001', '"2001"', '2001'];
    const running = dump(data);
    expect(running.files.some((f) => f.endsWith('-wal'))).toBe(true);
    for (const trace of chatTraces) expect(running.bytes, trace).not.toContain(trace);
    for (const kept of ['telegram:2002', '139****9000', otherKey]) expect(running.bytes, kept).toContain(kept);
    expect(rowsNaming(join(data, 'state.sqlite'), ['138****8000', key])).toEqual(['filing_phones', 'filings']);

    // The filing closes; 30 days later the sweep drops it, and then no byte names the person at all.
    await core.filings.apply(FilingEventSchema.parse({ eventId: 'close-1', type: 'filing.status', filingId: 'VE-TEST-0001', status: 'approved', at: clock.now().toISOString() }));
    clock.set(instant(clock.now().valueOf() + 31 * DAY).toISOString());
    await say(2002, { text: '/help' });
    await core.retention.sweep();
    const closed = dump(data);
    for (const trace of traces) expect(closed.bytes, trace).not.toContain(trace);
    await reminders.stop();
    await server.close();
    await core.close();
    const stopped = dump(data);
    for (const trace of traces) expect(stopped.bytes, trace).not.toContain(trace);
  });
});

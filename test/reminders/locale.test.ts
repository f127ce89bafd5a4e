/** Issue 11 §2: the person's own language by default, kept from first contact, so later notices and reminders use it; /lang still overrides. */
import type { Update } from 'telegraf/types';
import { afterEach, describe, expect, it } from 'vitest';
import { TELEGRAM_CAPABILITIES, toActivity } from '../../adapters/telegram/telegram.translate.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld, type ReminderWorld } from './fakes.js';

const NOW = '2026-11-29T09:00:00+08:00';
const HOUR = 3_600_000;
const at = (ms: number) => instant(instant(NOW).valueOf() + ms).toISOString();

let w: ReminderWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

let messageId = 0;
/** A private-chat update from Telegram user `id`, whose app language is `lang`. */
function update(id: number, lang: string, body: { text: string } | { contact: { phone_number: string; user_id: number; first_name: string } }): Update {
  messageId += 1;
  const from = { id, is_bot: false, first_name: 'A', language_code: lang };
  return { update_id: messageId, message: { message_id: messageId, date: 0, chat: { id, type: 'private', first_name: 'A' }, from, ...body } } as unknown as Update;
}

async function say(id: number, lang: string, body: Parameters<typeof update>[2]) {
  const activity = toActivity(update(id, lang, body));
  if (!activity) throw new Error('no activity');
  return w!.core.runner.handle(activity, TELEGRAM_CAPABILITIES);
}

describe('the platform language, kept from first contact', () => {
  it('a Telegram user with language_code en links in English, then gets the notice and a reminder in English (default zh)', async () => {
    w = await reminderWorld({ now: NOW, filings: [makeFiling({ status: 'provider_review', cycle: undefined })], env: { DEFAULT_LOCALE: 'zh' } });
    const linked = await say(1001, 'en', { contact: { phone_number: '+8613800138000', user_id: 1001, first_name: 'A' } });
    expect(linked[0]!.text).toContain('Linked: 138****8000');
    expect((await w.core.people.user('telegram', '1001'))?.locale).toBe('en');

    const reported = FilingEventSchema.parse({ eventId: 'r1', type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' });
    expect((await w.core.filings.apply(reported)).ok).toBe(true);
    await w.at(at(0));
    await w.at(at(12 * HOUR));
    const texts = w.channel.to('1001').map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('The MIIT has sent the verification SMS for filing VE-TEST-0001 to 138****8000');
    expect(texts[1]).toMatch(/Reminder:.*12 h 0 min left/s);
    expect(texts.join('')).not.toMatch(/[\u4e00-\u9fff]{4}/);
  });

  it('/lang zh overrides the platform language, and a later language_code does not undo it', async () => {
    w = await reminderWorld({ now: NOW, filings: [makeFiling({ status: 'provider_review', cycle: undefined })], env: { DEFAULT_LOCALE: 'en' } });
    await say(1002, 'en', { text: '/start' });
    expect((await w.core.people.user('telegram', '1002'))?.locale).toBe('en');
    await say(1002, 'en', { text: '/lang zh' });
    await say(1002, 'en', { contact: { phone_number: '13800138000', user_id: 1002, first_name: 'A' } });
    expect((await w.core.people.user('telegram', '1002'))?.locale).toBe('zh');
    const reported = FilingEventSchema.parse({ eventId: 'r2', type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' });
    await w.core.filings.apply(reported);
    await w.at(at(0));
    expect(w.channel.to('1002')[0]?.text).toContain('工信部');
  });

  it('an unknown language_code stores nothing: the default applies', async () => {
    w = await reminderWorld({ now: NOW, filings: [makeFiling()], env: { DEFAULT_LOCALE: 'zh' } });
    await say(1003, 'de', { text: '/help' });
    expect((await w.core.people.user('telegram', '1003'))?.locale).toBeUndefined();
  });
});

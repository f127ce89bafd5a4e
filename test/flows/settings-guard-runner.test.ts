import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_VERSION } from '../../src/turn.types.js';
import { world, type World } from '../support/transcript.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';

let w: World;
afterEach(async () => w?.core.close());

async function everyStoredValue(): Promise<string> {
  const out: string[] = [];
  for await (const key of w.core.store.keys('')) out.push(key, JSON.stringify(await w.core.store.get(key)));
  return out.join('\n');
}

describe('settings', () => {
  it('/lang switches language and remembers it', async () => {
    w = await world();
    const chat = w.chat();
    await chat.send('/lang en').expect('Language set to English.').send('/help').expect('What I can do').send('/lang').expect('Choose a language').tap('中文').expect('已切换为中文');
    expect((await w.core.people.user('console', 'u1'))?.locale).toBe('zh');
  });

  it('/stop switches reminders off; the button or /start switches them on again', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/stop').expect('Reminders are off');
    expect((await w.core.people.user('console', 'u1'))?.stopped).toBe(true);
    expect(await w.core.people.reachable('13800138000')).toEqual([]);
    await chat.tap('Turn reminders back on').expect('Reminders are on again');
    expect((await w.core.people.user('console', 'u1'))?.stopped).toBe(false);
    await chat.send('/stop').send('/start').expect('Reminders are on again');
    expect(await w.core.people.reachable('13800138000')).toHaveLength(1);
  });

  it('/forget asks first; "no" keeps everything, "yes" deletes links, sessions and counters', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('resend').tap('resent').send('/forget').expect('This deletes everything').tap('No, keep').expect('Nothing was deleted.');
    expect((await w.core.people.user('console', 'u1'))?.phoneKey).toBeDefined();
    await chat.send('/lookup VE-2026-000101').tap('How to verify').send('/forget').tap('Yes, delete').expect('Done: I deleted');
    expect(await w.core.people.user('console', 'u1')).toBeUndefined();
    expect(await w.core.people.phone(w.core.people.keyOf('13800138000'))).toBeUndefined();
    expect(await w.core.people.session('console', 'u1')).toBeUndefined();
    await chat.send('/lookup VE-2026-000101').expect('I found no filing');
  });

  it('a stale forget confirmation does nothing', async () => {
    w = await world();
    await w.chat({ locale: 'en' }).send('/link 13800138000').press('fg:yes').expect('This button has expired');
    expect((await w.core.people.user('console', 'u1'))?.phoneKey).toBeDefined();
  });
});

describe('R8 code guard', () => {
  it.each(['123456', '验证码 654321', 'my code is 123456', '11010519491231002X', '110105194912310', '31002X'])('R8 "%s" gets a warning and a delete request and is never stored or logged', async (text) => {
    w = await world();
    const chat = w.chat({ channel: 'telegram' });
    await chat.send('/link 13800138000').send(text).expect('请不要在这里发送短信验证码或证件号码').expect('我已请求删除');
    expect(chat.last[0]!.deleteIncoming).toBe(true);
    const secret = text.replace(/\D/g, '').slice(-6);
    expect(await everyStoredValue()).not.toContain(secret);
    expect(w.logs.join('\n')).not.toContain(secret);
  });

  it('R8 a filing id or a phone number is not mistaken for a code', async () => {
    w = await world();
    await w.chat().send('/link 13800138000').send('/lookup VE-2026-000101').expectNot('请不要');
  });
});

describe('turn runner', () => {
  it('anything else gets short help with buttons', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('hello there').expect('What I can do').expectButton('Help');
    await chat.send('/whatever').expect('What I can do');
  });

  it('a tampered or foreign button is expired with a fresh menu and does not act', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000');
    for (const data of ['zz:1', 'lk', 'vo:VE-2026-000101:done', `ro:VE-2026-000101:ok${'x'.repeat(70)}`, 'lk:<script>', 'ra:VE-2026-000112'])
      await chat.press(data).expect('This button has expired').expectButton('My filings');
    await chat.press('rg:VE-2026-000103').expect('I found no filing “VE-2026-000103”');
    await chat.press('iv:VE-2026-000103').expect('I found no filing');
    expect((await w.core.people.confirmations((await w.core.filings.get('VE-2026-000103'))!)).self).toEqual({});
  });

  it('two quick taps on one conversation are both counted (one turn at a time)', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('How to verify').tap('Next');
    const tap = () => chat.run({ type: 'action', data: 'vo:VE-2026-000101:wrong' });
    const [a, b] = await Promise.all([tap(), tap()]);
    const texts = [a[0]!.text, b[0]!.text].sort();
    expect(texts[0]).toContain('Wrong entries reported so far: 1.');
    expect(texts[1]).toContain('Wrong entries reported so far: 2.');
    expect((await w.core.people.facts(w.core.people.keyOf('13800138000'), 'VE-2026-000101', 1)).wrong).toBe(2);
  });

  it('a stored state from an older version restarts that flow and says so', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13500135000');
    await w.core.store.namespace('people').set('session:console:u1', { v: SESSION_VERSION - 1, flow: 'recovery', step: 'ask-phone', data: { filingId: 'VE-2026-000103' } });
    await chat.press('ra:VE-2026-000103:hosted:yes').expect('I was updated and could not continue our last conversation').expect('This button has expired');
    expect(await w.core.people.session('console', 'u1')).toBeUndefined();
    await chat.send('/lookup VE-2026-000103').expectNot('I was updated');
  });

  it('an error in a turn becomes a short apology and a redacted log line, and leaves state as it was', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('How to verify');
    const before = await w.core.people.session('console', 'u1');
    const original = w.core.filings.get.bind(w.core.filings);
    w.core.filings.get = () => {
      throw new Error('disk on fire for 13800138000');
    };
    await chat.send('/lookup VE-2026-000101').expect('Sorry, something went wrong on my side');
    w.core.filings.get = original;
    expect(await w.core.people.session('console', 'u1')).toEqual(before);
    const line = w.logs.find((l) => l.includes('turn failed'))!;
    expect(line).toContain('138****8000');
    expect(line).not.toContain('13800138000');
    await chat.press('vn:VE-2026-000101').expect('the 6-digit code from the SMS');
  });

  it('stores a ConversationRef for a linked user and follows them to a new conversation', async () => {
    w = await world();
    await w.chat({ channel: 'telegram', user: '42', conversation: '42' }).contact('13800138000');
    await w.chat({ channel: 'telegram', user: '42', conversation: '-100' }).send('/help');
    expect((await w.core.people.user('telegram', '42'))?.ref).toEqual({ channel: 'telegram', userId: '42', conversationId: '-100' });
  });

  it('R8 a message in a group does not move the ConversationRef there: reminders stay private', async () => {
    w = await world();
    await w.chat({ channel: 'telegram', user: '42', conversation: '42' }).contact('13800138000');
    await w.core.runner.handle({ channel: 'telegram', userId: '42', conversationId: '-1009999', shared: true, input: { type: 'text', text: '/lookup VE-2026-000101' } }, TELEGRAM_CAPABILITIES);
    expect((await w.core.people.user('telegram', '42'))?.ref).toEqual({ channel: 'telegram', userId: '42', conversationId: '42' });
  });
});

describe('R8 group chats', () => {
  it('R8 in a shared conversation no filing is shown, only a pointer to a private chat; the code guard still works', async () => {
    w = await world();
    await w.chat({ locale: 'en', user: 'g', conversation: 'private-g' }).send('/link 13800138000');
    const inGroup = async (input: import('../../src/activity.js').Activity['input']) =>
      w.core.runner.handle({ channel: 'telegram', userId: 'g', conversationId: '-1001', shared: true, locale: 'en', input }, TELEGRAM_CAPABILITIES);
    for (const input of [
      { type: 'text', text: '/lookup VE-2026-000101' },
      { type: 'action', data: 'my' },
      { type: 'text', text: '/start' },
    ] as const) {
      const [reply] = await inGroup(input);
      expect(reply!.text).toBe('For your privacy I only talk about filings in a private chat with you. Please message me directly.');
    }
    const [guard] = await inGroup({ type: 'text', text: '123456' });
    expect(guard!.deleteIncoming).toBe(true);
  });
});

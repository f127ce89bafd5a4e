import { afterEach, describe, expect, it } from 'vitest';
import type { Locale } from '../../src/activity.js';
import { world, type Chat, type World } from '../support/transcript.js';
import { makeFiling } from '../fixtures/filings.fixture.js';

let w: World;
afterEach(async () => w?.core.close());

const ME = { name: '张三', phone: '13800138000' };
const OTHER = { name: '李四', phone: '13900139000' };
const site = (principal: { name: string; phone: string }) => [{ name: '官网', domains: ['a.example.cn'], principal }];

/** Filings naming 13800138000 in each part the issue lists, all in an open window (21 h left at the demo anchor). */
const FILINGS = [
  makeFiling({ id: 'VE-LIST-PENDING', subject: { name: '甲公司', principal: ME }, websites: site(OTHER) }),
  makeFiling({
    id: 'VE-LIST-DONE',
    subject: { name: '乙公司', principal: ME },
    websites: site(OTHER),
    cycle: { number: 1, reportedAt: '2026-11-29T09:00:00+08:00', verified: { [ME.phone]: '2026-11-29T10:00:00+08:00' } },
  }),
  makeFiling({ id: 'VE-LIST-EMERGENCY', subject: { name: '丙公司', principal: { name: '钱七', phone: '15800158000' } }, websites: site(OTHER), emergencyPhone: ME.phone }),
  makeFiling({ id: 'VE-LIST-WEBCHANGE', type: 'change', changes: ['website'], subject: { name: '丁公司', principal: ME }, websites: site(OTHER) }),
  makeFiling({ id: 'VE-LIST-WEBDEREG', type: 'deregister', target: 'website', subject: { name: '戊公司', principal: ME }, websites: site(OTHER) }),
  // The website principal's side of the same table: a subject-only change and a subject deregistration.
  makeFiling({ id: 'VE-LIST-SUBCHANGE', type: 'change', changes: ['subject'], subject: { name: '己公司', principal: OTHER }, websites: site(ME) }),
  makeFiling({ id: 'VE-LIST-SUBDEREG', type: 'deregister', target: 'subject', subject: { name: '庚公司', principal: OTHER }, websites: site(ME) }),
];

/** The list line each filing should get, by locale. */
const LINES: Record<Locale, Record<string, string>> = {
  zh: {
    'VE-LIST-PENDING': '• VE-LIST-PENDING：首次备案，短信核验中（24 小时内）；请在 2026-11-30 09:00（北京时间）前核验，还剩 21 小时 0 分',
    'VE-LIST-DONE': '• VE-LIST-DONE：首次备案，短信核验中（24 小时内）；您本次已完成核验（备案系统已确认），正在等待其他核验人',
    'VE-LIST-EMERGENCY': '• VE-LIST-EMERGENCY：首次备案，短信核验中（24 小时内）；您不会收到核验短信：您是应急联系人，核验短信只发给备案中填写的负责人手机号码，不会发给应急联系电话',
    'VE-LIST-WEBCHANGE': '• VE-LIST-WEBCHANGE：变更备案，短信核验中（24 小时内）；您不会收到核验短信：本次变更只涉及网站信息，只由网站负责人核验，主体负责人无需核验',
    'VE-LIST-WEBDEREG': '• VE-LIST-WEBDEREG：注销备案，短信核验中（24 小时内）；您不会收到核验短信：注销网站只由该网站的网站负责人核验，主体负责人无需核验',
    'VE-LIST-SUBCHANGE': '• VE-LIST-SUBCHANGE：变更备案，短信核验中（24 小时内）；您不会收到核验短信：本次变更只涉及主体信息，只由主体负责人核验，网站负责人无需核验',
    'VE-LIST-SUBDEREG': '• VE-LIST-SUBDEREG：注销备案，短信核验中（24 小时内）；您不会收到核验短信：注销主体只由主体负责人核验，网站负责人无需核验',
  },
  en: {
    'VE-LIST-PENDING': '• VE-LIST-PENDING: first filing, SMS verification (24 h window); verify by 2026-11-30 09:00 (China time), 21 h 0 min left',
    'VE-LIST-DONE': '• VE-LIST-DONE: first filing, SMS verification (24 h window); you have verified in this cycle (confirmed by the filing system), now waiting for the other verifiers',
    'VE-LIST-EMERGENCY':
      '• VE-LIST-EMERGENCY: first filing, SMS verification (24 h window); no SMS for you: you are the emergency contact, and the SMS goes only to the principals’ numbers written in the filing, never to the emergency contact phone',
    'VE-LIST-WEBCHANGE':
      '• VE-LIST-WEBCHANGE: change, SMS verification (24 h window); no SMS for you: this change touches only the website’s information, so only the website principal verifies, not the subject principal',
    'VE-LIST-WEBDEREG': '• VE-LIST-WEBDEREG: deregistration, SMS verification (24 h window); no SMS for you: deregistering a website is verified by that website’s principal only, not the subject principal',
    'VE-LIST-SUBCHANGE':
      '• VE-LIST-SUBCHANGE: change, SMS verification (24 h window); no SMS for you: this change touches only the subject’s information, so only the subject principal verifies, not the website principal',
    'VE-LIST-SUBDEREG': '• VE-LIST-SUBDEREG: deregistration, SMS verification (24 h window); no SMS for you: deregistering the subject is verified by the subject principal only, not the website principal',
  },
};

/** What the card says about me for each filing: the same part as its list line. */
const CARD: Record<Locale, Record<string, string>> = {
  zh: {
    'VE-LIST-PENDING': '您需要核验：短信已发送至您的号码 138****8000。',
    'VE-LIST-DONE': '您本次已完成（备案系统已确认）。还有其他核验人未完成',
    'VE-LIST-EMERGENCY': '您的号码无需核验此备案：您是应急联系人，核验短信只发给备案中填写的负责人手机号码，不会发给应急联系电话。',
    'VE-LIST-WEBCHANGE': '您的号码无需核验此备案：本次变更只涉及网站信息，只由网站负责人核验，主体负责人无需核验。',
    'VE-LIST-WEBDEREG': '您的号码无需核验此备案：注销网站只由该网站的网站负责人核验，主体负责人无需核验。',
    'VE-LIST-SUBCHANGE': '您的号码无需核验此备案：本次变更只涉及主体信息，只由主体负责人核验，网站负责人无需核验。',
    'VE-LIST-SUBDEREG': '您的号码无需核验此备案：注销主体只由主体负责人核验，网站负责人无需核验。',
  },
  en: {
    'VE-LIST-PENDING': 'You must verify: the SMS went to your number 138****8000.',
    'VE-LIST-DONE': 'You are done for this cycle (confirmed by the filing system). Others still have to verify',
    'VE-LIST-EMERGENCY': 'Your number does not need to verify this filing: you are the emergency contact, and the SMS goes only to the principals’ numbers written in the filing, never to the emergency contact phone.',
    'VE-LIST-WEBCHANGE': 'Your number does not need to verify this filing: this change touches only the website’s information, so only the website principal verifies, not the subject principal.',
    'VE-LIST-WEBDEREG': 'Your number does not need to verify this filing: deregistering a website is verified by that website’s principal only, not the subject principal.',
    'VE-LIST-SUBCHANGE': 'Your number does not need to verify this filing: this change touches only the subject’s information, so only the subject principal verifies, not the website principal.',
    'VE-LIST-SUBDEREG': 'Your number does not need to verify this filing: deregistering the subject is verified by the subject principal only, not the website principal.',
  },
};

/** The list in the last turn has exactly these lines for these filings. */
function expectLines(chat: Chat, expected: Record<string, string>): void {
  const lines = chat.text.split('\n');
  for (const [id, line] of Object.entries(expected)) expect(lines.find((l) => l.includes(`${id}：`) || l.includes(`${id}:`))).toBe(line);
}

describe.each<Locale>(['zh', 'en'])('issue 19 each list line says what I must do (%s)', (locale) => {
  it('R1 R2 R3 right after linking: verify, verified while others pending, emergency contact, subject principal of a website-only change and of a website deregistration, website principal of a subject-only change and of a subject deregistration', async () => {
    w = await world({ filings: FILINGS });
    const chat = w.chat({ channel: 'telegram', locale });
    await chat.contact(ME.phone).check((c) => expectLines(c, LINES[locale]));
  });

  it('R1 R2 R3 under "my filings": the same lines', async () => {
    w = await world({ filings: FILINGS });
    const chat = w.chat({ locale });
    await chat
      .send(`/link ${ME.phone}`)
      .press('my')
      .check((c) => expect(c.text.split('\n')[0]).toBe(locale === 'zh' ? '填写了您号码的备案：' : 'Filings that name your number:'))
      .check((c) => expectLines(c, LINES[locale]));
  });

  it('R2 after my own report while the other verifier is pending, my line says I am done and wait for the others', async () => {
    w = await world({ filings: FILINGS });
    const chat = w.chat({ locale });
    const selfDone =
      locale === 'zh'
        ? '• VE-LIST-PENDING：首次备案，短信核验中（24 小时内）；您本次已完成核验（您自己报告的，备案系统尚未确认），正在等待其他核验人'
        : '• VE-LIST-PENDING: first filing, SMS verification (24 h window); you have verified in this cycle (as you reported; the filing system has not confirmed it yet), now waiting for the other verifiers';
    await chat
      .send(`/link ${ME.phone}`)
      .send('/lookup VE-LIST-PENDING')
      .tap(locale === 'zh' ? '我已完成核验' : 'I have verified')
      .press('my')
      .check((c) => expectLines(c, { 'VE-LIST-PENDING': selfDone }));
  });

  it('R1 R2 the card of each filing says the same as its list line', async () => {
    w = await world({ filings: FILINGS });
    const chat = w.chat({ locale });
    await chat.send(`/link ${ME.phone}`);
    for (const [id, sentence] of Object.entries(CARD[locale])) {
      await chat.send(`/lookup ${id}`).expect(sentence);
      // Only the emergency contact is told about the emergency phone.
      if (id !== 'VE-LIST-EMERGENCY') await chat.expectNot(locale === 'zh' ? '应急联系' : 'emergency contact');
    }
  });
});

describe('issue 19 the demo filings, where the list used to tell everyone to verify', () => {
  it('R1 the subject principal of a new website and the emergency contact of a change get no SMS, with their reasons (zh)', async () => {
    w = await world();
    await w
      .chat()
      .send('/link 13800138000')
      .check((c) =>
        expectLines(c, {
          'VE-2026-000101': '• VE-2026-000101：首次备案，短信核验中（24 小时内）；请在 2026-11-30 09:00（北京时间）前核验，还剩 21 小时 0 分',
          'VE-2026-000102': '• VE-2026-000102：新增网站，短信核验中（24 小时内）；您不会收到核验短信：新增网站只由网站负责人核验，主体负责人无需核验',
          'VE-2026-000104': '• VE-2026-000104：变更备案，短信核验中（24 小时内）；您不会收到核验短信：您是应急联系人，核验短信只发给备案中填写的负责人手机号码，不会发给应急联系电话',
          'VE-2026-000108': '• VE-2026-000108：变更备案，草稿；上报管局后需要您核验',
          'VE-2026-000112': '• VE-2026-000112：首次备案，已被管局退回；您本次已完成核验（备案系统已确认）',
        }),
      );
  });

  it('R1 cancel access: no SMS step, in the list and on the card (en)', async () => {
    w = await world();
    await w
      .chat({ locale: 'en' })
      .send('/link 18600186000')
      .check((c) =>
        expectLines(c, {
          'VE-2026-000106': '• VE-2026-000106: cancel access, bureau review; no SMS for you: cancelling access has no SMS verification step, so nobody verifies',
          'VE-2026-000105': '• VE-2026-000105: deregistration, returned by the bureau; no SMS for you: deregistering a website is verified by that website’s principal only, not the subject principal',
        }),
      )
      .send('/lookup VE-2026-000106')
      .expect('Your number does not need to verify this filing: cancelling access has no SMS verification step, so nobody verifies.');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Locale } from '../../src/activity.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import { world, type World } from '../support/transcript.js';
import { returnedAccessRecord } from '../fixtures/filings.fixture.js';

let w: World;
afterEach(async () => w?.core.close());

/** Per-locale words the transcripts use. */
const L = {
  zh: {
    recovery: '现在该怎么办',
    phoneRight: '号码正确',
    phoneChange: '需要更换号码',
    hosted: '在能联系上的接入商',
    shell: '未接入（空壳网站）',
    unreach: '联系不上当前接入商',
    principalOk: '正确，可以核验',
    principalNo: '不能（已离职、换号）',
    steps: '您的处理步骤：',
    resubmit: '重新提交备案。',
    newNumber: '确保新号码能正常接收短信',
    smsToNew: '核验短信将发送至新号码',
    verifyAgain: '点击“重新核验”',
    changeAtProvider: '先在当前接入商处变更网站负责人信息',
    changeAtNamed: '先在当前接入商“某云”处变更网站负责人信息',
    askNamed: '请联系当前接入商“某云”（网站目前接入的服务商）查询网站负责人',
    confirmNamed: '向当前接入商“某云”确认网站负责人及手机号码',
    providerNote: '记录中的当前接入商：某云。',
    hostedNote: '不是空壳网站',
    hostedQ: '网站目前接入在哪里？',
    resubmitAccess: '重新提交接入备案',
    deregister: '注销该网站备案',
    newWebsite: '重新提交新增网站备案',
    changeFirst: '先提交变更备案',
    deregisterAgain: '再重新提交注销备案',
    reportedBy: '预计 2026-11-30 前上报',
    shellNote: '空壳网站（当前未在任何接入商处接入）',
    notApplicable: '取消接入无短信核验环节',
    notReturned: '未被退回',
  },
  en: {
    recovery: 'What to do now',
    phoneRight: 'The numbers are right',
    phoneChange: 'A number must change',
    hosted: 'With a provider I can reach',
    shell: 'Nowhere (shell website)',
    unreach: 'Provider can’t be reached',
    principalOk: 'Yes, all right',
    principalNo: 'No (left, changed number)',
    steps: 'Your steps:',
    resubmit: 'Resubmit the filing.',
    newNumber: 'Make sure the new number can receive SMS',
    smsToNew: 'the SMS goes to the new number',
    verifyAgain: 'Press “重新核验”',
    changeAtProvider: 'Change the website principal’s information at the current access provider first',
    changeAtNamed: 'Change the website principal’s information at the current access provider “某云” first',
    askNamed: 'Ask the current access provider “某云” (where the website is hosted today) for the website principal',
    confirmNamed: 'Confirm the website principal and phone number with the current access provider “某云”',
    providerNote: 'Current access provider on record: 某云.',
    hostedNote: 'so it is not a shell website',
    hostedQ: 'Where is the website hosted today?',
    resubmitAccess: 'submit the access filing here again',
    deregister: 'Deregister the website’s filing',
    newWebsite: 'submit a new website filing',
    changeFirst: 'First submit a change filing',
    deregisterAgain: 'Then submit the deregistration again',
    reportedBy: 'if you resubmit today, by 2026-11-30',
    shellNote: 'shell website (not hosted with any access provider)',
    notApplicable: 'no SMS step, so this recovery does not apply',
    notReturned: 'is not returned',
  },
} as const;

/** Upserts the returned access filing VE-2026-000120, whose record says `facts` about its website. */
async function returnedAccess(facts: Parameters<typeof returnedAccessRecord>[0]) {
  const filing = returnedAccessRecord(facts);
  await w.core.filings.apply(FilingEventSchema.parse({ type: 'filing.upserted', eventId: `up-${JSON.stringify(facts)}`, at: w.clock.now().toISOString(), filing }));
}

async function returned(id: string) {
  await w.core.filings.apply({ type: 'filing.returned', eventId: `ret-${id}`, at: w.clock.now().toISOString(), filingId: id, reason: 'sms_timeout' });
}

describe.each<Locale>(['zh', 'en'])('R6 recovery wizard (%s)', (locale) => {
  const t = L[locale];

  it('R6 first_filing, number right → resubmit, with the re-reported-by working day', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 13800138000').send('/lookup VE-2026-000112').tap(t.recovery).tap(t.phoneRight).expect(t.steps).expect(t.resubmit).expect(t.reportedBy).expectNot(t.newNumber);
  });

  it('R6 first_filing, number must change → update the number, resubmit, SMS goes to the new number', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 13800138000').send('/lookup VE-2026-000112').tap(t.recovery).tap(t.phoneChange).expect(t.newNumber).expect(t.resubmit).expect(t.smsToNew).expect(t.reportedBy);
  });

  it('R6 new_website takes the same questions as first_filing', async () => {
    w = await world();
    await returned('VE-2026-000102');
    await w.chat({ locale }).send('/link 13600136000').send('/lookup VE-2026-000102').tap(t.recovery).tap(t.phoneChange).expect(t.smsToNew);
  });

  it('R6 change takes the same questions as first_filing', async () => {
    w = await world();
    await returned('VE-2026-000104');
    await w.chat({ locale }).send('/link 15800158000').send('/lookup VE-2026-000104').tap(t.recovery).tap(t.phoneRight).expect(t.resubmit);
  });

  it('R6 access, record silent on the website: asks where it is hosted; hosted and principal right → verify again', async () => {
    w = await world();
    await returnedAccess({});
    await w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).expect(t.hostedQ).expectNot(t.hostedNote).tap(t.hosted).tap(t.principalOk).expect(t.verifyAgain).expect(t.reportedBy);
  });

  it('R6 access, record silent: principal cannot verify → change at the current provider, then resubmit the access filing', async () => {
    w = await world();
    await returnedAccess({});
    await w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).tap(t.hosted).tap(t.principalNo).expect(t.changeAtProvider).expect(t.resubmitAccess);
  });

  it('R6 access, record silent: the person says shell website → deregister, then a new website filing', async () => {
    w = await world();
    await returnedAccess({});
    await w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).tap(t.shell).expect(t.deregister).expect(t.newWebsite);
  });

  it('R6 access, record silent: provider unreachable → deregister, then a new website filing', async () => {
    w = await world();
    await returnedAccess({});
    await w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).tap(t.unreach).expect(t.deregister).expect(t.newWebsite);
  });

  it('R6 access, record names the provider but not whether the site is a shell: asks, then every step names the provider', async () => {
    w = await world();
    await returnedAccess({ currentAccessProvider: '某云' });
    const chat = w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).expect(t.providerNote).expect(t.hostedQ).tap(t.hosted).expect(t.askNamed);
    await chat.tap(t.principalNo).expect(t.changeAtNamed).expect(t.resubmitAccess);
  });

  it('R6 access, record says shellWebsite: true → no question, straight to deregister and a new website filing', async () => {
    w = await world();
    await returnedAccess({ shellWebsite: true, currentAccessProvider: '某云' });
    await w
      .chat({ locale })
      .send('/link 15100151000')
      .send('/lookup VE-2026-000120')
      .tap(t.recovery)
      .expect(t.shellNote)
      .expectNot(t.hostedQ)
      .expect(t.deregister)
      .expect(t.newWebsite)
      .expect(t.reportedBy)
      .expectNot(t.askNamed);
  });

  it('R6 access, the shipped shell-website filing goes straight to its steps', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 13500135000').send('/lookup VE-2026-000103').tap(t.recovery).expect(t.shellNote).expectNot(t.hostedQ).expect(t.deregister).expect(t.newWebsite);
  });

  it('R6 access, record says shellWebsite: false and names the provider → no hosting question; the provider is named in the question and the steps', async () => {
    w = await world();
    await returnedAccess({ shellWebsite: false, currentAccessProvider: '某云' });
    const chat = w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).expect(t.hostedNote).expect(t.providerNote).expectNot(t.hostedQ).expect(t.askNamed);
    await chat.tap(t.principalOk).expect(t.confirmNamed).expect(t.verifyAgain).expect(t.reportedBy);
  });

  it('R6 access, record says shellWebsite: false → the provider may still be unreachable: deregister, then a new website filing', async () => {
    w = await world();
    await returnedAccess({ shellWebsite: false });
    await w.chat({ locale }).send('/link 15100151000').send('/lookup VE-2026-000120').tap(t.recovery).expectNot(t.hostedQ).expectNot(t.providerNote).tap(t.unreach).expect(t.deregister).expect(t.newWebsite);
  });

  it('R6 deregister a website → a change filing first, then deregister again', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 18700187000').send('/lookup VE-2026-000105').tap(t.recovery).expect(t.changeFirst).expect(t.deregisterAgain).expect(t.reportedBy);
  });

  it('R6 deregister the subject → a change filing first, then deregister again', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 15000150000').send('/lookup VE-2026-000111').tap(t.recovery).expect(t.changeFirst).expect(t.deregisterAgain);
  });

  it('R6 cancel_access has no recovery; a filing that is not returned has nothing to recover', async () => {
    w = await world();
    await w.chat({ locale }).send('/link 18600186000').press('rc:VE-2026-000106').expect(t.notApplicable);
    await w.chat({ locale, user: 'z' }).send('/link 13800138000').press('rc:VE-2026-000101').expect(t.notReturned);
  });
});

describe('R6 recovery details', () => {
  it('R6 the re-reported-by date skips the National Day holidays', async () => {
    w = await world({ now: '2026-09-30T10:00:00+08:00' });
    await w.chat().send('/link 13800138000').send('/lookup VE-2026-000112').tap('现在该怎么办').tap('号码正确').expect('预计 2026-10-08 前上报');
  });

  // Past the official table the date is estimated from the holiday regulation and says so (issue 14).
  it.each<[string, string, string, string, boolean]>([
    ['2026-12-30T10:00:00+08:00', 'official', '如今天提交，预计 2026-12-31 前上报。', 'if you resubmit today, by 2026-12-31. A new SMS', false],
    [
      '2026-12-31T10:00:00+08:00',
      'New Year, then a weekend',
      '如今天提交，预计 2027-01-04 前上报（估算：2027 年放假安排尚未公布）。',
      'if you resubmit today, by 2027-01-04 (estimated: the official 2027 arrangement is not yet published). A new SMS',
      true,
    ],
    [
      '2027-02-04T10:00:00+08:00',
      'the day before Spring Festival eve',
      '如今天提交，预计 2027-02-11 前上报（估算：2027 年放假安排尚未公布）。',
      'if you resubmit today, by 2027-02-11 (estimated: the official 2027 arrangement is not yet published). A new SMS',
      true,
    ],
  ])('R6 a return on %s (%s): the re-reported-by date in both languages', async (now, _why, zh, en, marked) => {
    w = await world({ now });
    const zhChat = w.chat({ locale: 'zh' }).send('/link 13800138000').send('/lookup VE-2026-000112').tap('现在该怎么办').tap('号码正确').expect(zh);
    await zhChat;
    expect(zhChat.text.includes('估算')).toBe(marked);
    const enChat = w.chat({ locale: 'en', user: 'u2' }).send('/link 13800138000').send('/lookup VE-2026-000112').tap('What to do now').tap('The numbers are right').expect(en);
    await enChat;
    expect(enChat.text.includes('estimated')).toBe(marked);
  });

  it('R6 an answer to a question the conversation is not on is expired, not acted on', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13500135000').press('ra:VE-2026-000103:principal-ok:yes').expect('This button has expired');
    await chat.send('/lookup VE-2026-000103').tap('What to do now').press('ra:VE-2026-000103:hosted:shell').expect('This button has expired');
    await returnedAccess({});
    await w.chat({ locale: 'en', user: 'u2' }).send('/link 15100151000').send('/lookup VE-2026-000120').tap('What to do now').tap('Nowhere').press('ra:VE-2026-000120:hosted:yes').expect('This button has expired');
  });

  it('R6 "start over" walks the tree again', async () => {
    w = await world();
    await returnedAccess({});
    await w.chat().send('/link 15100151000').send('/lookup VE-2026-000120').tap('现在该怎么办').tap('未接入').tap('重新开始').expect('网站目前接入在哪里？');
  });
});

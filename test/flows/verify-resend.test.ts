import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from '../support/transcript.js';
import { sealPhone } from '../../src/rules/phone.rules.js';

let w: World;
afterEach(async () => w?.core.close());

describe('verify guide (R2)', () => {
  it('R2 walks step by step to "all done" (zh), which records a self-report', async () => {
    w = await world();
    await w
      .chat()
      .send('/link 13800138000')
      .send('/lookup VE-2026-000101')
      .tap('如何核验')
      .expect('点击“短信核验”标签页')
      .expect('12381')
      .expectLink('打开工信部备案管理系统', 'https://beian.miit.gov.cn')
      .tap('下一步')
      .expect('短信中的 6 位数字验证码')
      .expect('备案信息中填写的负责人手机号码（138****8000），不是应急联系手机号码')
      .expect('号码后 6 位')
      .expect('请在 2026-11-30 09:00（北京时间）前完成')
      .tap('已全部完成')
      .expect('所有核验人均已核验，备案将提交管局审核')
      .send('/lookup VE-2026-000101')
      .expect('• 张* 138****8000，主体负责人、网站“示例官网”的网站负责人：本人称已核验（备案系统尚未确认）')
      .expect('您本次已完成');
  });

  it('R2 "wait for others" names who is pending and offers to remind the linked ones (en)', async () => {
    const nudged: string[] = [];
    w = await world({
      nudge: async (filing, o) => {
        nudged.push(`${filing.id}:${o.kind}:${o.excludeKey === w.core.people.keyOf('13800138000')}`);
        return 1;
      },
    });
    await w.chat({ user: 'li', locale: 'en' }).send('/link 13900139000');
    await w
      .chat({ locale: 'en' })
      .send('/link 13800138000')
      .tap('Open VE-2026-000101')
      .tap('How to verify')
      .tap('Next')
      .tap('wait for others')
      .expect('You are done. Still pending')
      .expect('• 李* 139****9000, website principal of “示例商城”: pending')
      .expect('1 of them have linked this assistant')
      .tap('Remind them')
      .expect('I reminded 1 linked verifier.');
    expect(nudged).toEqual(['VE-2026-000101:other:true']);
  });

  it('R2 "wait for others" with nobody linked asks the person to contact them', async () => {
    w = await world();
    await w.chat().send('/link 13800138000').send('/lookup VE-2026-000101').tap('如何核验').tap('下一步').tap('请等待其他核验人').expect('他们都没有绑定本助手');
  });

  it('R7 counts wrong entries and warns before the 5th, then says the filing will be returned', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('How to verify').tap('Next');
    for (let i = 1; i <= 3; i++) await chat.tap('input was wrong').expect(`Wrong entries reported so far: ${i}.`).expectNot('one more wrong entry');
    await chat.tap('input was wrong').expect('Wrong entries reported so far: 4.').expect('1 left').expect('one more wrong entry and the filing will be returned');
    await chat.tap('input was wrong').expect('That is 5 wrong entries: the filing will be returned.');
  });

  it('"I have verified" stops my reminders and is kept apart from the system’s confirmation', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('I have verified').expect('Noted: you say you have verified VE-2026-000101 in cycle 1');
    const extra = await w.core.people.confirmations((await w.core.filings.get('VE-2026-000101'))!);
    expect(Object.keys(extra.self ?? {})).toEqual([sealPhone('13800138000', w.core.people.keyOf)]);
    expect((await w.core.filings.get('VE-2026-000101'))!.cycle!.verified).toEqual({});
    await chat.press('iv:VE-2026-000101').expect('You are not a pending verifier');
  });

  it('a guide button for a filing where I need not verify answers with my part, as the list and card say it', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' }).send('/link 13800138000');
    // The emergency contact of VE-2026-000104: no guide, the card with the reason instead.
    for (const data of ['vg:VE-2026-000104', 'rg:VE-2026-000104', 'iv:VE-2026-000104']) await chat.press(data).expectNot('MIIT filing system');
    await chat.press('vg:VE-2026-000104').expect('Your number does not need to verify this filing: you are the emergency contact');
    await chat.press('rg:VE-2026-000104').expect('Your number does not need to verify this filing: you are the emergency contact').expectNot('Resends used');
    // Once I report I have verified, the guides show that I am done and wait for the others.
    await chat.send('/lookup VE-2026-000101').tap('I have verified').press('vg:VE-2026-000101').expect('You are done for this cycle (as you reported').expectNot('Next');
    await chat.press('rg:VE-2026-000101').expect('You are done for this cycle (as you reported').expectNot('Resends used');
  });
});

describe('the guides link the MIIT system', () => {
  it.each([
    ['zh', '如何核验', '没收到短信：重发', '找不到记录', '打开工信部备案管理系统'],
    ['en', 'How to verify', 'I got no SMS: resend', '找不到记录', 'Open the MIIT filing system'],
  ] as const)('R2 R4 (%s) the verify guide, the resend guide and the “not found” checks each carry a link to https://beian.miit.gov.cn', async (locale, verify, resend, notFound, link) => {
    w = await world();
    const chat = w.chat({ locale }).send('/link 13800138000').send('/lookup VE-2026-000101');
    await chat.tap(verify).expectLink(link, 'https://beian.miit.gov.cn');
    await chat.send('/lookup VE-2026-000101').tap(resend).expectLink(link, 'https://beian.miit.gov.cn');
    await chat.tap(notFound).expectLink(link, 'https://beian.miit.gov.cn');
    // A link opens the page and sends nothing back: there is nothing to press.
    await expect(chat.tap(link)).rejects.toThrow(/no button/);
  });
});

describe('resend guide (R4)', () => {
  it('R4 counts resends per person per cycle, always says how many remain, and at 0 says another will not work', async () => {
    w = await world();
    const chat = w.chat();
    await chat
      .send('/link 13800138000')
      .send('/lookup VE-2026-000101')
      .tap('没收到短信')
      .expect('“短信重发”栏')
      .expect('本次核验已重发 0 次（最多 2 次），还可重发 2 次')
      .expect('重发不会延长截止时间：2026-11-30 09:00')
      .tap('已重发成功')
      .expect('本次核验还可重发 1 次')
      .send('/lookup VE-2026-000101')
      .tap('没收到短信')
      .expect('还可重发 1 次')
      .tap('已重发成功')
      .expect('本次核验还可重发 0 次')
      .expect('再次重发不会生效')
      .send('/lookup VE-2026-000101')
      .tap('没收到短信')
      .expect('还可重发 0 次')
      .expect('2 次重发已用完，再次重发不会生效')
      .expect('用最近收到的验证码完成核验')
      .expectNot('已重发成功');
    // Another person on the same filing has their own budget.
    await w.chat({ user: 'li' }).send('/link 13900139000').send('/lookup VE-2026-000101').tap('没收到短信').expect('还可重发 2 次');
  });

  it('R4 the budget is per phone per cycle: linking another phone and then the same one again in one chat does not bring resends back; a new cycle does', async () => {
    w = await world();
    const chat = w.chat();
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('没收到短信').tap('已重发成功').expect('本次核验还可重发 1 次');
    await chat.send('/lookup VE-2026-000101').tap('没收到短信').tap('已重发成功').expect('本次核验还可重发 0 次');
    // Another phone, and nobody is linked to the first one meanwhile: its counter stays.
    await chat.send('/link 13900139000').expect('139****9000');
    expect((await w.core.people.phone(w.core.people.keyOf('13800138000')))?.users).toEqual([]);
    await chat
      .send('/link 13800138000')
      .send('/lookup VE-2026-000101')
      .tap('没收到短信')
      .expect('本次核验已重发 2 次（最多 2 次），还可重发 0 次')
      .expect('2 次重发已用完，再次重发不会生效')
      .expectNot('还可重发 2 次')
      .expectNot('已重发成功');
    // The counter ends with the cycle: the next report has its own budget.
    await w.core.filings.apply({ type: 'filing.reported', eventId: 'e-new', at: w.clock.now().toISOString(), filingId: 'VE-2026-000101' });
    await chat.send('/lookup VE-2026-000101').tap('没收到短信').expect('本次核验已重发 0 次（最多 2 次），还可重发 2 次');
  });

  it('R4 a new cycle resets the budget', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('resend').tap('resent').expect('1 resend left');
    await w.core.filings.apply({ type: 'filing.reported', eventId: 'e1', at: w.clock.now().toISOString(), filingId: 'VE-2026-000101' });
    await chat.send('/lookup VE-2026-000101').expect('Verification cycle 2').tap('resend').expect('Resends used in this cycle: 0 of 2; 2 left.');
  });

  it('R4 R7 "找不到记录" lists the checks (en), with the filing status', async () => {
    w = await world();
    await w
      .chat({ locale: 'en' })
      .send('/link 13800138000')
      .send('/lookup VE-2026-000101')
      .tap('resend')
      .tap('no record')
      .expect('never used in a filing submission')
      .expect('as written in the filing (138****8000), not the emergency contact phone')
      .expect('already with the bureau')
      .expect('Its status now: SMS verification (24 h window).')
      .expectButton('How to verify');
  });

  it('R7 "找不到记录" warns a virtual-operator number', async () => {
    w = await world();
    await w.chat().send('/link 17012345678').send('/lookup VE-2026-000104').tap('没收到短信').tap('找不到记录').expect('170****5678 是虚拟运营商号码');
  });

  it('a stale resend outcome (the cycle changed) is answered as expired', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000').send('/lookup VE-2026-000101').tap('resend');
    await w.core.filings.apply({ type: 'filing.reported', eventId: 'e2', at: w.clock.now().toISOString(), filingId: 'VE-2026-000101' });
    await chat.press('ro:VE-2026-000101:ok').expect('This button has expired').expectButton('My filings');
    const facts = await w.core.people.facts(w.core.people.keyOf('13800138000'), 'VE-2026-000101', 2);
    expect(facts.resends).toBeUndefined();
  });
});

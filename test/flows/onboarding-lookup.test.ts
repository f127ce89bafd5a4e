import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from '../support/transcript.js';

let w: World;
afterEach(async () => w?.core.close());

describe('onboarding and linking', () => {
  it('/start asks an unlinked person to share their own contact (zh)', async () => {
    w = await world();
    const chat = w.chat({ channel: 'telegram' });
    await chat.send('/start').expect('请先绑定手机号').expect('分享我的手机号');
    expect(chat.last[0]!.requestContact).toBe('分享我的手机号');
  });

  it('/start in English with a deep link opens that filing after linking', async () => {
    w = await world();
    const chat = w.chat({ channel: 'telegram', locale: 'en' });
    await chat
      .send('/start VE-2026-000101')
      .expect('After linking I will open filing VE-2026-000101.')
      .contact('+86 138 0013 8000')
      .expect('Linked: 138****8000.')
      .expect('Filing VE-2026-000101: first filing')
      .expect('You must verify');
  });

  it('R8 someone else’s contact is refused and nothing is stored', async () => {
    w = await world();
    const chat = w.chat({ channel: 'telegram' });
    await chat.send('/start').contact('13800138000', false).expect('请分享您本人的联系人').expect('未保存任何信息');
    const user = await w.core.people.user('telegram', 'u1');
    expect(user?.phoneKey).toBeUndefined();
    expect(await w.core.people.phone(w.core.people.keyOf('13800138000'))).toBeUndefined();
  });

  it('own contact links and lists my filings, as principal or emergency contact', async () => {
    w = await world();
    const chat = w.chat({ channel: 'telegram' });
    await chat
      .contact('13800138000')
      .expect('已绑定：138****8000')
      .expect('VE-2026-000101')
      .expect('VE-2026-000102')
      .expect('VE-2026-000104')
      .expect('VE-2026-000112')
      .expectNot('VE-2026-000103')
      .expectNot('13800138000');
    const user = await w.core.people.user('telegram', 'u1');
    expect(user?.phoneMasked).toBe('138****8000');
    expect(user?.ref).toEqual({ channel: 'telegram', userId: 'u1', conversationId: 'u1' });
    expect(JSON.stringify(user)).not.toContain('13800138000');
  });

  it('a bad phone in a contact is refused with the reason', async () => {
    w = await world();
    await w.chat({ locale: 'en', channel: 'telegram' }).contact('010-12345678').expect('not a mainland mobile number');
  });

  it('/link works only on the console', async () => {
    w = await world();
    await w.chat({ channel: 'telegram' }).send('/link 13800138000').expect('我可以').expectNot('已绑定');
    await w.chat({ channel: 'console', user: 'c1' }).send('/link 13800138000').expect('已绑定：138****8000');
  });

  it('a person with no filings is told so, with the masked number', async () => {
    w = await world();
    await w.chat().send('/link 13912345678').expect('没有备案把 139****5678 填写为负责人或应急联系电话');
  });

  it('"my filings" needs a link first', async () => {
    w = await world();
    await w.chat({ locale: 'en' }).press('my').expect('Link your phone first');
  });
});

describe('lookup', () => {
  it('R1 R3 shows verifiers masked with all roles, the deadline in China time and the time left (zh)', async () => {
    w = await world();
    await w
      .chat()
      .send('/link 13800138000')
      .send('/lookup VE-2026-000101')
      .expect('备案 VE-2026-000101：首次备案，短信核验中')
      .expect('• 张* 138****8000，主体负责人、网站“示例官网”的网站负责人：待核验')
      .expect('• 李* 139****9000，网站“示例商城”的网站负责人：待核验')
      .expect('截止时间：2026-11-30 09:00（北京时间），还剩 21 小时 0 分。')
      .expect('您需要核验：短信已发送至您的号码 138****8000。')
      .expectNot('13800138000')
      .expectButton('如何核验')
      .expectButton('没收到短信：重发')
      .expectButton('我已完成核验');
  });

  it('R3 the same card in English, via the /status alias, after time passes', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13800138000');
    w.clock.advance((2 * 60 + 48) * 60_000);
    await chat
      .send('/status VE-2026-000101')
      .expect('Filing VE-2026-000101: first filing, SMS verification (24 h window)')
      .expect('• 张* 138****8000, subject principal, website principal of “示例官网”: pending')
      .expect('Deadline: 2026-11-30 09:00 (China time), 18 h 12 min left.')
      .expect('You must verify: the SMS went to your number 138****8000.');
  });

  it('R1 R7 the emergency contact sees the filing, is told they need not verify, and sees the virtual-operator warning', async () => {
    w = await world();
    await w
      .chat({ locale: 'en' })
      .send('/link 13800138000')
      .send('/lookup VE-2026-000104')
      .expect('Your number does not need to verify this filing')
      .expect('never to the emergency contact phone')
      .expect('• 钱* 158****8000, subject principal: verified')
      .expect('Warning: 170****5678 is a virtual-operator number');
  });

  it('R1 cancel_access shows that there is no SMS step', async () => {
    w = await world();
    await w.chat().send('/link 18600186000').send('/lookup VE-2026-000106').expect('您的号码无需核验此备案：取消接入没有短信核验环节');
  });

  it('R3 an overdue cycle says plainly that the filing will be returned', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/link 13600136000');
    w.clock.advance(4 * 3_600_000);
    await chat.send('/lookup VE-2026-000102').expect('The 24-hour window closed at 2026-11-29 15:00 (China time)').expectNot('How to verify');
  });

  it('R8 an unknown filing and one I may not see get the same answer', async () => {
    w = await world();
    const chat = w.chat();
    await chat.send('/link 13800138000').send('/lookup VE-2026-000103');
    const hidden = chat.text.replace('VE-2026-000103', 'X');
    await chat.send('/lookup VE-2099-999999');
    expect(chat.text.replace('VE-2099-999999', 'X')).toBe(hidden);
    expect(hidden).toContain('没有找到您可查看的备案');
  });

  it('a bare filing id works like /lookup; /lookup alone explains itself', async () => {
    w = await world();
    await w.chat().send('/link 13800138000').send('VE-2026-000101').expect('备案 VE-2026-000101').send('/lookup').expect('请输入 /lookup 加上备案申请号');
  });

  it('an unlinked person looking up a filing is not shown it', async () => {
    w = await world();
    await w.chat().send('/lookup VE-2026-000101').expect('没有找到您可查看的备案');
  });
});

describe('lookup: what it says about me', () => {
  it('R2 before a report: I will need to verify once it is reported (not "the SMS went to you")', async () => {
    w = await world();
    await w.chat().send('/link 13800138000').send('/lookup VE-2026-000108').expect('尚未上报管局').expect('备案上报管局后，您需要完成核验').expectNot('短信已发送至您的号码');
  });

  it('R3 after a return while I was pending: my window has closed, and the recovery button is offered', async () => {
    w = await world();
    await w.chat({ locale: 'en' }).send('/link 13900139000').send('/lookup VE-2026-000112').expect('Your verification window for this report has closed').expectNot('You must verify').expectButton('What to do now');
  });

  it('the reason a phone is refused is in the person’s language', async () => {
    w = await world();
    await w.chat().send('/link 12345').expect('这不是中国大陆手机号（去掉 +86 后应为 11 位数字）');
    await w.chat({ user: 'e', locale: 'en' }).send('/link 12345').expect('it needs 11 digits after an optional +86');
  });
});

describe('R8 an individual’s filing', () => {
  it('R8 the subject of an individual’s filing is the person, so the name is masked there too', async () => {
    w = await world();
    await w.chat().send('/link 15900159000').send('/lookup VE-2026-000107').expect('主体：个人 郑*').expectNot('郑一');
    await w.chat({ user: 'org' }).send('/link 13800138000').send('/lookup VE-2026-000101').expect('主体：杭州示例科技有限公司');
  });
});

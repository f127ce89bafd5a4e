/**
 * End to end over real HTTP and the real SDK client against the fake Open API: an applicant links
 * the number on their Feishu profile and looks a filing up, gets a reminder, and the team uses
 * `/beian`, its buttons and alerts, in zh and en.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeishuSender } from '../../adapters/feishu/feishu.sender.js';
import { clientApi, feishuClient } from '../../adapters/feishu/feishu.api.js';
import { escapeMd } from '../../adapters/feishu/feishu.cards.js';
import { createLogger } from '../../src/log.js';
import { startReminders } from '../../src/reminders/service.js';
import { ALERT_CHAT, ALICE, APPLICANT, drained, type Harness, P2P, startHarness, TEAM_CHAT } from './feishu.harness.js';

/** A masked phone as a team card's lark_md carries it (its asterisks escaped). */
const MASKED_MD = escapeMd('138****8000');

/** R8: nothing Feishu received and no log line holds a full mobile number. */
function expectOnlyMaskedPhones(h: Harness): void {
  const all = `${h.fake.texts().join('\n')}\n${h.logs.join('\n')}`;
  expect(all.match(/(?<!\d)1[3-9]\d{9}(?!\d)/)?.[0]).toBeUndefined();
}

/** The value of the button labelled `label` on the last card sent, e.g. `{ d: 'lk:…' }`. */
function buttonValue(h: Harness, label: string): Record<string, string> {
  for (const call of [...h.fake.calls].reverse()) {
    for (const el of (call.card.elements ?? []) as Array<{ tag: string; actions?: Array<{ text: { content: string }; value?: Record<string, string> }> }>) {
      const found = el.actions?.find((a) => a.text.content === label);
      if (found?.value) return found.value;
    }
  }
  throw new Error(`no button “${label}” on any card`);
}

let h: Harness;
afterEach(async () => h.close());

describe.each([
  { locale: 'zh', linked: '已绑定：138****8000。', list: '填写了您号码的备案：', share: '分享我的手机号', header: '首次备案' },
  { locale: 'en', linked: 'Linked: 138****8000.', list: 'Filings that name your number:', share: 'Share my phone number', header: 'first filing' },
])('Feishu applicant in $locale', ({ locale, linked, list, share, header }) => {
  beforeEach(async () => {
    h = await startHarness();
    h.fake.mobiles.set(APPLICANT, '+86 138 0013 8000');
  });

  it('links the mobile number on their own profile with the button, then looks a filing up', async () => {
    if (locale === 'en') await h.say('/lang en');
    await h.say('/start');
    const ask = h.fake.calls.at(-1)!;
    expect(ask).toMatchObject({ op: 'send', target: P2P });
    expect(JSON.stringify(ask.card)).toContain(share);
    expect(buttonValue(h, share)).toEqual({ k: 'link' });

    await h.press({ k: 'link' });
    expect(h.fake.requests).toContain(`GET /open-apis/contact/v3/users/${APPLICANT}`);
    const texts = h.fake.texts().slice(-2).join('\n');
    expect(texts).toContain(linked);
    expect(texts).toContain(list);
    expect(texts).toContain('VE-2026-000101');

    await h.say('/lookup VE-2026-000101');
    const card = JSON.stringify(h.fake.calls.at(-1)!.card);
    expect(card).toContain('VE-2026-000101');
    expect(card).toContain(header);
    expect(card).toContain('138****8000');
    expectOnlyMaskedPhones(h);
  });

  it('presses a button on a card: it comes back as the same turn as on Telegram', async () => {
    if (locale === 'en') await h.say('/lang en');
    await h.press({ k: 'link' });
    const open = buttonValue(h, locale === 'zh' ? '查看 VE-2026-000101' : 'Open VE-2026-000101');
    await h.press(open);
    expect(JSON.stringify(h.fake.calls.at(-1)!.card)).toContain(header);
  });

  it('a returned filing’s card leads into the recovery path with buttons', async () => {
    if (locale === 'en') await h.say('/lang en');
    await h.press({ k: 'link' });
    await h.say('/lookup VE-2026-000112');
    const before = h.fake.calls.length;
    await h.press(buttonValue(h, locale === 'zh' ? '现在该怎么办' : 'What to do now'));
    const recovery = h.fake.calls.slice(before);
    expect(recovery.length).toBeGreaterThan(0);
    expect(JSON.stringify(recovery)).toContain('VE-2026-000112');
    // The recovery card asks its first question with answer buttons that come back as turns.
    expect(JSON.stringify(recovery.at(-1)!.card)).toMatch(/"value":\{"d":"ra:/);
  });

  it('a new cycle’s notice reaches a linked applicant through the reminder service', async () => {
    if (locale === 'en') await h.say('/lang en');
    await h.press({ k: 'link' });
    const reminders = await startReminders({ ...h.core, reminderOffsets: h.core.config.reminderOffsets, defaultLocale: h.core.config.defaultLocale }, { intervalMs: 0 });
    try {
      await reminders.begin();
      await reminders.tick();
      await drained(h.outbox);
      const before = h.fake.calls.length;
      await h.core.filings.apply({ eventId: 'ev-reported', type: 'filing.reported', at: h.clock.now().toISOString(), filingId: 'VE-2026-000101' });
      await reminders.tick();
      await drained(h.outbox);
      const notice = h.fake.calls.slice(before);
      expect(notice).toHaveLength(1);
      expect(notice[0]).toMatchObject({ op: 'send', target: P2P });
      expect(JSON.stringify(notice[0]!.card)).toContain('VE-2026-000101');
      expect(JSON.stringify(notice[0]!.card)).toMatch(/"value":\{"d":"/);
    } finally {
      await reminders.stop();
    }
    expectOnlyMaskedPhones(h);
  });

  it('a reminder reaches a linked applicant as a card in their chat', async () => {
    if (locale === 'en') await h.say('/lang en');
    await h.press({ k: 'link' });
    const before = h.fake.calls.length;
    const filing = await h.core.filings.get('VE-2026-000101');
    expect(await h.core.nudge!(filing!, { kind: 'team' })).toBe(1);
    await drained(h.outbox);
    const sent = h.fake.calls.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'send', target: P2P });
    expect(JSON.stringify(sent[0]!.card)).toContain('VE-2026-000101');
    expectOnlyMaskedPhones(h);
  });
});

describe('Feishu applicant: no number on the profile', () => {
  it('links nothing and says how to add one', async () => {
    h = await startHarness();
    await h.press({ k: 'link' });
    expect(h.fake.texts().at(-1)).toContain('飞书个人资料里没有我能读取的手机号');
    await h.say('/lookup VE-2026-000101');
    expect(h.fake.texts().at(-1)).not.toContain('138****8000');
  });
});

describe.each([
  { locale: 'zh', title: '备案 VE-2026-000101', recovery: '恢复路径', nudge: '提醒申请人', pending: '处于核验窗口内的备案', denied: '您没有使用团队命令的权限' },
  { locale: 'en', title: 'Filing VE-2026-000101', recovery: 'Recovery path', nudge: 'Nudge applicants', pending: 'Filings in an open verification window', denied: 'not authorized to use the team commands' },
])('Feishu team in $locale', ({ locale, title, recovery, nudge, pending, denied }) => {
  beforeEach(async () => {
    h = await startHarness({ DEFAULT_LOCALE: locale, FEISHU_ALLOWED_USERS: ALICE });
    h.fake.mobiles.set(APPLICANT, '+8613800138000');
  });

  it('/beian <id> in the team chat answers with the summary card, as a reply to the command', async () => {
    await h.say('@_user_1 /beian VE-2026-000101', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    const answer = h.fake.calls.at(-1)!;
    expect(answer.op).toBe('reply');
    expect(answer.target).toMatch(/^om_in/);
    const card = JSON.stringify(answer.card);
    expect(card).toContain(title);
    expect(card).toContain(MASKED_MD);
    expect(card).toContain(recovery);
    expectOnlyMaskedPhones(h);
  });

  it('/beian pending and /beian help answer; the buttons run the team operations and update cards in place', async () => {
    await h.say('/beian pending', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    expect(h.fake.texts().at(-1)).toContain(pending);
    await h.say('/beian help', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    expect(h.fake.texts().at(-1)).toContain('/beian pending');

    await h.say('/beian VE-2026-000101', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    await h.press(buttonValue(h, recovery), { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    expect(h.fake.calls.at(-1)).toMatchObject({ op: 'reply', target: 'om_summary' });
    expect(h.fake.texts().at(-1)).toContain('VE-2026-000101');

    // Record confirmation opens the chooser in place of the summary (PATCH), and Back returns to it.
    await h.press(buttonValue(h, locale === 'zh' ? '记录电话确认' : 'Record confirmation'), { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    expect(h.fake.calls.at(-1)).toMatchObject({ op: 'update', target: 'om_summary' });
    await h.press(buttonValue(h, locale === 'zh' ? '返回' : 'Back'), { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    expect(h.fake.calls.at(-1)).toMatchObject({ op: 'update', target: 'om_summary' });
    expect(h.fake.texts().at(-1)).toContain(title);
  });

  it('records a confirmation by phone from the chooser: the summary is updated in place, naming who recorded it', async () => {
    await h.say('/beian VE-2026-000101', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    await h.press(buttonValue(h, locale === 'zh' ? '记录电话确认' : 'Record confirmation'), { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    const chooser = h.fake.calls.at(-1)!.card.elements as Array<{ actions?: Array<{ value?: Record<string, string> }> }>;
    const choice = chooser.flatMap((el) => el.actions ?? []).find((a) => a.value?.t === 'confirm')!.value!;
    expect(choice.v).toMatch(/^VE-2026-000101:\d+:\d+:/);
    await h.press(choice, { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    const updated = h.fake.calls.at(-1)!;
    expect(updated).toMatchObject({ op: 'update', target: 'om_summary' });
    expect(JSON.stringify(updated.card)).toContain(`<at id=${ALICE}></at>`);
    expect(h.logs.join('\n')).toContain('feishu.team_confirm');
    // Pressed again (a stale copy of the chooser): nothing is recorded twice.
    await h.press(choice, { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    expect(h.logs.filter((l) => l.includes('feishu.team_confirm'))).toHaveLength(1);
    expectOnlyMaskedPhones(h);
  });

  it('Nudge reaches a linked applicant on Feishu and answers the team', async () => {
    h.nudger.current = h.core.nudge;
    await h.press({ k: 'link' });
    await h.say('/beian VE-2026-000101', { user: ALICE, chat: TEAM_CHAT, chatType: 'group' });
    const before = h.fake.calls.length;
    await h.press(buttonValue(h, nudge), { user: ALICE, chat: TEAM_CHAT, messageId: 'om_summary' });
    const sent = h.fake.calls.slice(before);
    expect(sent.map((c) => c.target).sort()).toEqual(['om_summary', P2P].sort());
  });

  it('refuses someone not on FEISHU_ALLOWED_USERS, and someone from another tenant', async () => {
    await h.say('/beian VE-2026-000101', { user: 'ou_mallory01', chat: TEAM_CHAT, chatType: 'group' });
    expect(h.fake.texts().at(-1)).toContain(denied);
    await h.say('/beian VE-2026-000101', { user: ALICE, chat: TEAM_CHAT, chatType: 'group', tenant: 'tenant-other' });
    expect(h.fake.texts().at(-1)).toContain(denied);
    await h.press({ t: 'nudge', v: 'VE-2026-000101' }, { user: 'ou_mallory01', chat: TEAM_CHAT });
    expect(h.fake.texts().at(-1)).toContain(denied);
    expect(h.fake.texts().join('\n')).not.toContain(title);
  });

  it('alerts go to FEISHU_ALERT_CHAT_ID once per filing, cycle and kind', async () => {
    const filing = (await h.core.filings.get('VE-2026-000101'))!;
    expect(await h.alerts!.alert('at_risk', filing)).toBe(true);
    expect(await h.alerts!.alert('at_risk', filing)).toBe(false);
    const returned = (await h.core.filings.get('VE-2026-000103'))!;
    expect(await h.alerts!.alert('returned', returned)).toBe(true);
    expect(await h.alerts!.alert('unreachable', filing, { person: '138****8000', platform: 'feishu', minutes: 30, reason: 'blocked' })).toBe(true);
    await drained(h.outbox);
    const alerts = h.fake.calls.filter((c) => c.target === ALERT_CHAT);
    expect(alerts).toHaveLength(3);
    expect(JSON.stringify(alerts[0]!.card)).toContain('VE-2026-000101');
    expect(JSON.stringify(alerts[1]!.card)).toContain('VE-2026-000103');
    expect(JSON.stringify(alerts[2]!.card)).toContain(MASKED_MD);
    expectOnlyMaskedPhones(h);
  });
});

describe('Feishu delivery: rate limits', () => {
  it('sorts a 429 and a 400 with code 99991400 as “wait for x-ogw-ratelimit-reset”, through the SDK client', async () => {
    h = await startHarness();
    const logger = createLogger({ level: 'error', sink: () => undefined });
    const sender = new FeishuSender(clientApi(feishuClient({ appId: 'cli_a1b2c3d4e5f6a7b8', appSecret: 's', domain: h.fake.baseUrl }, logger)), logger);
    const card = { config: { wide_screen_mode: true, update_multi: true }, elements: [] } as const;
    h.fake.limitNext(1, 7);
    expect(await sender.send(P2P, { op: 'send', card } as never)).toMatchObject({ kind: 'retry-after', retryAfterMs: 7000 });
    h.fake.limitNext(1, 3, 400);
    expect(await sender.send(P2P, { op: 'send', card } as never)).toMatchObject({ kind: 'retry-after', retryAfterMs: 3000 });
    expect(await sender.send(P2P, { op: 'send', card } as never)).toEqual({ kind: 'ok' });
    expect(await sender.send(P2P, { op: 'reply', messageId: 'om_gone', card } as never)).toMatchObject({ kind: 'permanent' });
  });

  it('a reply held back by a rate limit still goes out once, after the reset', async () => {
    h = await startHarness();
    h.fake.limitNext(1, 1);
    await h.say('/help');
    expect(h.fake.calls).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('feishu rate limited');
  });
});

/** Issue 5 §2 buttons: Nudge applicants, Recovery path (R6), Record confirmation — through Bolt, answered on response_url. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Filing } from '../../src/filings/filing.js';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';
import { sealPhone } from '../../src/rules/phone.rules.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import { returnedAccessRecord } from '../fixtures/filings.fixture.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

function blockTexts(body: Record<string, any> | undefined): string {
  return (body?.blocks ?? []).flatMap((b: any) => [b.text?.text, ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)].filter(Boolean)).join('\n');
}

let upserts = 0;
async function upsert(filing: Record<string, unknown>): Promise<void> {
  await h.core.filings.apply(FilingEventSchema.parse({ type: 'filing.upserted', eventId: `up-${++upserts}`, at: h.clock.now().toISOString(), filing }));
}

function audits(action: string): Array<Record<string, unknown>> {
  return h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit' && l.action === action);
}

describe('Nudge applicants', () => {
  it('nudges the linked pending verifiers through the reminder service, audit-logged with the Slack user', async () => {
    const nudger = vi.fn(async (_filing: Filing, _opts: { kind: 'team' | 'other' }) => 2);
    h.nudger.current = nudger;
    const { reply } = await h.press('beian_nudge', 'VE-2026-000101', { user: 'U0BOB00001' });
    expect(nudger).toHaveBeenCalledTimes(1);
    expect(nudger.mock.calls[0]![0].id).toBe('VE-2026-000101');
    expect(nudger.mock.calls[0]![1]).toEqual({ kind: 'team' });
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(textOf(reply)).toContain('已提醒 VE-2026-000101：2 位已绑定的待核验人');
    expect(audits('slack.nudge')).toEqual([expect.objectContaining({ filingId: 'VE-2026-000101', slackUser: 'U0BOB00001', reached: 2 })]);
  });

  it('refuses a repeat within 10 minutes per filing (by the core clock), then allows it', async () => {
    const nudger = vi.fn(async () => 1);
    h.nudger.current = nudger;
    await h.press('beian_nudge', 'VE-2026-000101', { user: 'U0BOB00001' });
    h.clock.advance(9 * 60_000 + 59_000);
    const refused = await h.press('beian_nudge', 'VE-2026-000101', { user: 'U0CAROL001' });
    expect(textOf(refused.reply)).toContain('已于 2026-11-29 12:00（北京时间）由 <@U0BOB00001> 提醒过');
    expect(textOf(refused.reply)).toContain('请在 2026-11-29 12:10 之后再试');
    expect(audits('slack.nudge.refused')).toEqual([expect.objectContaining({ slackUser: 'U0CAROL001', lastBy: 'U0BOB00001' })]);
    // Another filing is not held back.
    await h.press('beian_nudge', 'VE-2026-000102');
    expect(nudger).toHaveBeenCalledTimes(2);
    h.clock.advance(1_000);
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000101')).reply)).toContain('已提醒 VE-2026-000101');
    expect(nudger).toHaveBeenCalledTimes(3);
  });

  it('lets only one of two simultaneous taps nudge', async () => {
    const nudger = vi.fn(async () => 1);
    h.nudger.current = nudger;
    await Promise.all([h.press('beian_nudge', 'VE-2026-000101'), h.press('beian_nudge', 'VE-2026-000101')]);
    expect(nudger).toHaveBeenCalledTimes(1);
  });

  it('says so when none of the pending verifiers has linked the assistant', async () => {
    h.nudger.current = async () => 0;
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000101')).reply)).toContain('待核验人都没有绑定本助手');
  });

  it('says nobody could be nudged when the reminder service is not running', async () => {
    await h.close();
    h = await startHarness({ withoutNudger: true });
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000101')).reply)).toContain('无法提醒任何人：提醒服务未运行');
    expect(audits('slack.nudge')).toEqual([]);
  });

  it('has nobody to nudge on a returned filing', async () => {
    const nudger = vi.fn(async () => 1);
    h.nudger.current = nudger;
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000103')).reply)).toContain('没有处于核验窗口内的待核验人');
    expect(nudger).not.toHaveBeenCalled();
  });

  it('does not hold the next tap back when the nudge failed, and apologizes', async () => {
    h.nudger.current = async () => {
      throw new Error('telegram down');
    };
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000101')).reply)).toContain('抱歉');
    h.nudger.current = async () => 1;
    expect(textOf((await h.press('beian_nudge', 'VE-2026-000101')).reply)).toContain('已提醒');
  });
});

describe('a button without response_url (as from a view)', () => {
  it('is answered with chat.postEphemeral to the person in that channel', async () => {
    const { reply } = await h.press('beian_open', 'VE-2026-000102', { responseUrl: null });
    expect(reply).toBeUndefined();
    const [ephemeral] = h.fake.api('chat.postEphemeral');
    expect(ephemeral?.body).toMatchObject({ channel: 'C0CHAN0001', user: 'U0ALICE001' });
    expect(textOf(ephemeral)).toContain('备案 VE-2026-000102');
  });
});

describe('Recovery path (R6), the whole tree for the filing type', () => {
  it('R6 access, record silent on the website: every question, every answer and its steps, and the re-report date', async () => {
    await upsert(returnedAccessRecord());
    const { reply } = await h.press('beian_recovery', 'VE-2026-000120');
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const text = blockTexts(reply?.body);
    expect(text).toContain('*VE-2026-000120 的恢复路径*（接入备案）');
    expect(text).not.toContain('R6');
    expect(text).toContain('*问：*网站目前接入在哪里？');
    expect(text).toContain('• *在能联系上的接入商* →');
    expect(text).toContain('*问：*请联系当前接入商（网站目前接入的服务商）');
    expect(text).toContain('2. 点击“重新核验”');
    expect(text).toContain('1. 先在当前接入商处变更网站负责人信息。');
    expect(text).toContain('2. 再在本平台重新提交接入备案。');
    expect(text).toContain('• *未接入（空壳网站）* →');
    expect(text).toContain('2. 然后重新提交新增网站备案。');
    // 2026-11-29 is a Sunday: the next working day.
    expect(text).toContain('预计 2026-11-30 前上报');
    expect(text).not.toContain('估算');
  });

  it('R6 access, record says shellWebsite: true: the shell note and its steps, no question', async () => {
    const text = blockTexts((await h.press('beian_recovery', 'VE-2026-000103')).reply?.body);
    expect(text).toContain('空壳网站（当前未在任何接入商处接入）');
    expect(text).not.toContain('*问：*');
    expect(text).toContain('1. 注销该网站备案');
    expect(text).toContain('2. 然后重新提交新增网站备案。');
  });

  it('R6 access, record says shellWebsite: false and names the provider: no hosting question, the provider named in the question and steps', async () => {
    await upsert(returnedAccessRecord({ shellWebsite: false, currentAccessProvider: '某云' }));
    const text = blockTexts((await h.press('beian_recovery', 'VE-2026-000120')).reply?.body);
    expect(text).toContain('不是空壳网站');
    expect(text).toContain('记录中的当前接入商：某云。');
    expect(text).not.toContain('网站目前接入在哪里？');
    expect(text).toContain('*问：*请联系当前接入商“某云”（网站目前接入的服务商）');
    expect(text).toContain('1. 向当前接入商“某云”确认网站负责人及手机号码。');
    expect(text).toContain('1. 先在当前接入商“某云”处变更网站负责人信息。');
    expect(text).toContain('• *联系不上当前接入商* →');
    expect(text).toContain('2. 然后重新提交新增网站备案。');
  });

  it('R6 past the official calendar the re-report date is marked as estimated', async () => {
    h.clock.set('2026-12-31T10:00:00+08:00');
    const text = blockTexts((await h.press('beian_recovery', 'VE-2026-000103')).reply?.body);
    expect(text).toContain('预计 2027-01-04 前上报（估算：2027 年放假安排尚未公布）。');
  });

  it('R6 first_filing: check the numbers, resubmit or change the number', async () => {
    const text = blockTexts((await h.press('beian_recovery', 'VE-2026-000101')).reply?.body);
    expect(text).toContain('*问：*请登录接入商备案控制台');
    expect(text).toContain('• *号码正确* →');
    expect(text).toContain('2. 重新提交备案。');
    expect(text).toContain('4. 下次上报后，核验短信将发送至新号码。');
  });

  it('R6 deregister: a change filing first', async () => {
    const text = blockTexts((await h.press('beian_recovery', 'VE-2026-000111')).reply?.body);
    expect(text).toContain('1. 先提交变更备案');
    expect(text).toContain('3. 再重新提交注销备案。');
    expect(text).not.toContain('*问：*');
  });

  it('R6 cancel_access: not applicable', async () => {
    expect(textOf((await h.press('beian_recovery', 'VE-2026-000106')).reply)).toContain('取消接入无短信核验环节');
  });
});

describe('Record confirmation', () => {
  async function chooser(id = 'VE-2026-000101') {
    const summary = await h.command(id);
    const pick = await h.press('beian_confirm_pick', id, { responseUrl: summary.responseUrl });
    const choices = ((pick.reply?.body.blocks ?? []) as any[]).flatMap((b) => b.elements ?? []).filter((e: any) => e.action_id.startsWith('beian_confirm_'));
    return { summary, pick, choices: choices as Array<{ action_id: string; value: string; text: { text: string } }> };
  }

  it('offers one button per pending verifier, masked, carrying an index and never a phone', async () => {
    const { pick, choices } = await chooser();
    expect(pick.reply?.body).toMatchObject({ replace_original: true });
    expect(textOf(pick.reply)).toContain('VE-2026-000101（第 1 轮）哪位待核验人');
    expect(choices.map((c) => c.text.text)).toEqual(['张* 138****8000', '李* 139****9000']);
    for (const c of choices) {
      expect(c.value).toMatch(/^VE-2026-000101:1:\d:[A-Za-z0-9_-]{8}$/);
      expect(c.value).not.toMatch(/8000|9000/);
    }
  });

  it('records a team confirmation, audit-logged, shown as “confirmed by team” apart from the filing system', async () => {
    const { choices, summary } = await chooser();
    const done = await h.press(choices[0]!.action_id, choices[0]!.value, { user: 'U0BOB00001', responseUrl: summary.responseUrl });
    expect(done.reply?.body).toMatchObject({ replace_original: true });
    const text = blockTexts(done.reply?.body);
    expect(text).toContain(':telephone_receiver: 张* 138****8000 · 主体负责人、网站“示例官网”的网站负责人：*客服已电话确认*');
    expect(text).toContain(':hourglass_flowing_sand: 李* 139****9000');
    expect(text).toContain('已记录：张* 138****8000 电话确认已核验，记录人 <@U0BOB00001>');
    expect(audits('slack.team_confirm')).toEqual([expect.objectContaining({ filingId: 'VE-2026-000101', cycle: 1, verifier: '138****8000', slackUser: 'U0BOB00001' })]);
    const filing = (await h.core.filings.get('VE-2026-000101'))!;
    expect((await h.core.people.confirmations(filing)).team).toEqual({ [sealPhone('13800138000', h.core.people.keyOf)]: '2026-11-29T04:00:00.000Z' });

    // 104's subject was verified by the filing system: a different mark from the team's.
    const other = blockTexts((await h.command('VE-2026-000104')).reply?.body);
    expect(other).toContain(':white_check_mark: 钱* 158****8000 · 主体负责人：*已核验*');
  });

  it('records once: a second tap on the same choice changes nothing', async () => {
    const { choices } = await chooser();
    await h.press(choices[1]!.action_id, choices[1]!.value);
    const again = await h.press(choices[1]!.action_id, choices[1]!.value);
    expect(textOf(again.reply)).toContain('李* 139****9000 本轮已记录为已核验，未做改动');
    expect(audits('slack.team_confirm')).toHaveLength(1);
  });

  it('refuses a choice made for an earlier cycle', async () => {
    const { choices } = await chooser();
    await h.core.filings.apply({ type: 'filing.reported', eventId: 'e-new', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000101' });
    const stale = await h.press(choices[0]!.action_id, choices[0]!.value);
    expect(textOf(stale.reply)).toContain('这个选项已过期');
    expect(textOf(stale.reply)).toContain('*第 2 轮核验*');
    expect(audits('slack.team_confirm')).toEqual([]);
  });

  it('refuses a tampered choice (an index of someone else)', async () => {
    const { choices } = await chooser();
    const [id, cycle, , key] = choices[0]!.value.split(':');
    const stale = await h.press('beian_confirm_1', `${id}:${cycle}:1:${key}`);
    expect(textOf(stale.reply)).toContain('这个选项已过期');
    expect(textOf(await h.press('beian_confirm_1', 'garbage').then((r) => r.reply))).toContain('没有备案');
  });

  it('Back returns to the summary in place', async () => {
    const { summary } = await chooser();
    const back = await h.press('beian_back', 'VE-2026-000101', { responseUrl: summary.responseUrl });
    expect(back.reply?.body).toMatchObject({ replace_original: true });
    expect(blockTexts(back.reply?.body)).toContain('备案 VE-2026-000101');
  });

  it('has nothing to record when nobody is pending', async () => {
    await h.core.filings.apply({ type: 'verification.confirmed', eventId: 'e2', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000102', phone: '13600136000' });
    const pick = await h.press('beian_confirm_pick', 'VE-2026-000102');
    expect(textOf(pick.reply)).toContain('VE-2026-000102 本轮没有待核验的人');
  });
});

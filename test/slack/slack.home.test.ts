/** Issue 5 §4: the App Home tab — at-risk filings, returns of the last 7 days, counts by status; republished when opened. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOnlyMaskedPhones, startHarness, type Harness } from './slack.harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

const open = (user = 'U0ALICE001', tab = 'home') => h.event({ type: 'app_home_opened', user, channel: 'D0DM000001', tab });

function published(n = -1): { user: string; text: string } {
  const call = h.fake.api('views.publish').at(n)!;
  const blocks = call.body.view.blocks as any[];
  expect(call.body.view.type).toBe('home');
  return { user: call.body.user_id, text: blocks.map((b) => b.text?.text ?? (b.elements ?? []).map((e: any) => e.text).join(' ')).join('\n') };
}

/** The lines of the section that starts with `title`. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n').filter((l) => l !== '');
  const start = lines.findIndex((l) => l.startsWith(title));
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^\*[^V*]/.test(l));
  return end < 0 ? rest : rest.slice(0, end);
}

describe('App Home', () => {
  it('publishes at-risk filings (≤ 4 h left, someone pending) to the person who opened it', async () => {
    expect((await open()).status).toBe(200);
    const view = published();
    expect(view.user).toBe('U0ALICE001');
    expect(view.text).toContain('截至 2026-11-29 12:00（北京时间）');
    expect(section(view.text, '*有风险*')).toEqual(['*VE-2026-000102* · 新增网站 · 1 人待核验 · 2026-11-29 15:00 截止，*还剩 3 小时 0 分*']);
  });

  it('lists returns of the last 7 days, newest first, dated by the cycle deadline when the return was not seen', async () => {
    await open();
    expect(section(published().text, '*近 7 天被退回*')).toEqual([
      '*VE-2026-000112* · 首次备案 · 未在 24 小时内完成短信核验 · 退回于 2026-11-28 16:00（约：按本轮截止时间估算）',
      '*VE-2026-000103* · 接入备案 · 未在 24 小时内完成短信核验 · 退回于 2026-11-28 10:00（约：按本轮截止时间估算）',
      '*VE-2026-000105* · 注销备案 · 短信核验未通过 · 退回于 2026-11-27 14:00（约：按本轮截止时间估算）',
      '*VE-2026-000111* · 注销备案 · 未在 24 小时内完成短信核验 · 退回于 2026-11-26 11:00（约：按本轮截止时间估算）',
    ]);
  });

  it('counts filings by status', async () => {
    await open();
    expect(section(published().text, '*各状态备案数量*')).toEqual(['草稿：1\n接入商初审中：1\n短信核验中（24 小时内）：4\n管局审核中：1\n已被管局退回：4\n已通过：1\n已撤回：1'.split('\n')].flat());
  });

  it('is republished on every opening, reflecting what changed: a return seen is dated exactly, time moves on', async () => {
    await open();
    h.clock.advance(2 * 3_600_000);
    await h.core.filings.apply({ type: 'filing.returned', eventId: 'e-ret', at: '2026-11-29T13:30:00+08:00', filingId: 'VE-2026-000102', reason: 'sms_failed' });
    await open();
    expect(h.fake.api('views.publish')).toHaveLength(2);
    const view = published();
    expect(section(view.text, '*有风险*')).toEqual(['无。']);
    expect(section(view.text, '*近 7 天被退回*')[0]).toBe('*VE-2026-000102* · 新增网站 · 短信核验未通过 · 退回于 2026-11-29 13:30');
    expect(view.text).toContain('已被管局退回：5');
  });

  it('keeps an overdue filing still in verification among the at-risk ones, as a closed window', async () => {
    h.clock.advance(3 * 3_600_000 + 60_000);
    await open();
    expect(section(published().text, '*有风险*')).toEqual(['*VE-2026-000102* · 新增网站 · 1 人待核验 · *核验窗口已于 2026-11-29 15:00 关闭*']);
  });

  it('drops returns older than 7 days', async () => {
    h.clock.advance(5 * 86_400_000);
    await open();
    const returned = section(published().text, '*近 7 天被退回*').map((l) => l.slice(0, 16));
    expect(returned).toEqual(['*VE-2026-000112*', '*VE-2026-000103*', '*VE-2026-000105*']);
  });

  it('does not publish for the Messages tab', async () => {
    await open('U0ALICE001', 'messages');
    expect(h.fake.api('views.publish')).toEqual([]);
  });
});

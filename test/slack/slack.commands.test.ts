/** Issue 5 §2–3: `/beian <id>`, `/beian pending` (paginated) and `/beian help`, rendered from the shared summary. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';

let h: Harness;
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

/** The mrkdwn and plain texts of a reply's blocks, in order. */
function lines(body: Record<string, any> | undefined): string[] {
  return (body?.blocks ?? []).flatMap((b: any) => [b.text?.text, ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)].filter(Boolean));
}

function buttons(body: Record<string, any> | undefined): Array<{ action_id: string; value: string; label: string }> {
  return (body?.blocks ?? [])
    .flatMap((b: any) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
    .filter((e: any) => e.type === 'button')
    .map((e: any) => ({ action_id: e.action_id, value: e.value, label: e.text.text }));
}

describe('/beian <filingId>', () => {
  it('R1/R3: shows type, status, every verifier masked with roles, the deadline in China time and the time left', async () => {
    h = await startHarness();
    const { answer, reply } = await h.command('VE-2026-000101');
    expect(answer).toEqual({ status: 200, text: '' });
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral' });
    const text = lines(reply?.body).join('\n');
    expect(text).toContain('备案 VE-2026-000101');
    expect(text).toContain('*类型：*首次备案');
    expect(text).toContain('短信核验中');
    // One person, two roles (R1), masked (R8).
    expect(text).toContain('张* 138****8000 · 主体负责人、网站“示例官网”的网站负责人：*待核验*');
    expect(text).toContain('李* 139****9000 · 网站“示例商城”的网站负责人：*待核验*');
    expect(text).toContain('（2 人中 2 人待核验）');
    expect(text).toContain('*截止：*2026-11-30 09:00（北京时间），*还剩 21 小时 0 分*');
    // A link to the MIIT system, for a team member who walks an applicant through it.
    expect(text).toContain('核验和重发都在<https://beian.miit.gov.cn|工信部备案管理系统>上完成。');
    expect(text).not.toContain(`${'13700137000'.slice(0, 3)}****7000`); // the emergency phone never verifies
    expect(buttons(reply?.body).map((b) => b.action_id)).toEqual(['beian_nudge', 'beian_recovery', 'beian_confirm_pick']);
  });

  it('R7: shows the virtual-operator warning, and a subject the filing system verified', async () => {
    h = await startHarness();
    const text = lines((await h.command('VE-2026-000104')).reply?.body).join('\n');
    expect(text).toContain(':white_check_mark: 钱* 158****8000 · 主体负责人：*已核验*');
    expect(text).toContain(':hourglass_flowing_sand: 周* 170****5678');
    expect(text).toContain(':warning: 提醒：170****5678 是虚拟运营商号码');
  });

  it('R4/R7: shows what a pending verifier reported (resends, wrong entries) and warns before the last wrong entry', async () => {
    h = await startHarness();
    const key = h.core.people.keyOf('13900139000');
    await h.core.people.count(key, 'VE-2026-000101', 1, 'resends');
    for (let i = 0; i < 4; i += 1) await h.core.people.count(key, 'VE-2026-000101', 1, 'wrong');
    const text = lines((await h.command('VE-2026-000101')).reply?.body).join('\n');
    expect(text).toContain('李* 139****9000：已重发 1/2 次，已报告输错 4/5 次');
    expect(text).toContain(':warning: 李* 139****9000 已报告输错 4 次：再错 1 次管局就会退回该备案。');
    expect(text).not.toContain('张* 138****8000：已重发');
    await h.core.people.count(key, 'VE-2026-000101', 1, 'wrong');
    expect(lines((await h.command('VE-2026-000101')).reply?.body).join('\n')).toContain('已报告输错 5 次：该备案将被退回');
  });

  it('shows a returned filing with its reason and the recovery button first, and no nudge', async () => {
    h = await startHarness();
    const { reply } = await h.command('VE-2026-000103');
    expect(lines(reply?.body).join('\n')).toContain('*退回原因：*未在 24 小时内完成短信核验');
    expect(lines(reply?.body).join('\n')).not.toContain('beian.miit.gov.cn');
    expect(buttons(reply?.body).map((b) => b.action_id)).toEqual(['beian_recovery']);
  });

  it('shows a filing type without an SMS step as such, with no buttons', async () => {
    h = await startHarness();
    const { reply } = await h.command('VE-2026-000106');
    expect(lines(reply?.body).join('\n')).toContain('该备案类型无短信核验环节');
    expect(buttons(reply?.body)).toEqual([]);
  });

  it('says an unknown or malformed id does not exist, escaping what was typed', async () => {
    h = await startHarness();
    expect(textOf((await h.command('VE-2026-999999')).reply)).toContain('没有备案“VE-2026-999999”');
    const odd = textOf((await h.command('<!channel>&')).reply);
    expect(odd).toContain('&lt;!channel&gt;&amp;');
    expect(odd).not.toContain('<!channel>');
  });

  it('escapes text from filings for mrkdwn (&, <, >)', async () => {
    h = await startHarness();
    const filing = makeFiling({
      id: 'VE-ESCAPE-0001',
      subject: { name: '<script>&公司', principal: { name: '<b>王', phone: '13800138000' } },
      websites: [{ name: '<https://evil.example|点我>', domains: ['x.example.cn'], principal: { name: '李四', phone: '13900139000' } }],
      cycle: { number: 1, reportedAt: '2026-11-29T09:00:00+08:00', verified: {} },
    });
    await h.core.filings.apply({ type: 'filing.upserted', eventId: 'e-esc', at: '2026-11-29T12:00:00+08:00', filing });
    const text = lines((await h.command('VE-ESCAPE-0001')).reply?.body).join('\n');
    expect(text).toContain('*主体：*&lt;script&gt;&amp;公司');
    expect(text).toContain('网站“&lt;https://evil.example|点我&gt;”的网站负责人');
    expect(text).toContain('&lt;*** 138****8000');
    expect(text).not.toMatch(/<script>|<https:\/\/evil|<b>/);
  });

  it('renders in English with DEFAULT_LOCALE=en', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'en' } });
    const text = lines((await h.command('VE-2026-000101')).reply?.body).join('\n');
    expect(text).toContain('Filing VE-2026-000101');
    expect(text).toContain('*Deadline:* 2026-11-30 09:00 (China time), *21 h 0 min left*');
    expect(text).toContain('Verification and resends happen on the <https://beian.miit.gov.cn|MIIT ICP filing management system>.');
    expect(text).toContain('subject principal, website principal of “示例官网”: *pending*');
  });

  it('shows the time left as the core clock moves', async () => {
    h = await startHarness();
    h.clock.advance(20 * 3_600_000 + 15 * 60_000);
    expect(lines((await h.command('VE-2026-000101')).reply?.body).join('\n')).toContain('*还剩 0 小时 45 分*');
  });
});

describe('/beian pending', () => {
  it('lists filings in an open window, most urgent first, with pending counts', async () => {
    h = await startHarness();
    const { reply } = await h.command('pending');
    const text = lines(reply?.body);
    expect(text[0]).toContain('第 1/1 页');
    expect(text.slice(1).filter((l) => l.startsWith('*VE'))).toEqual([
      '*VE-2026-000102* · 新增网站 · 1 人中 1 人待核验 · 2026-11-29 15:00 截止，*还剩 3 小时 0 分*',
      '*VE-2026-000101* · 首次备案 · 2 人中 2 人待核验 · 2026-11-30 09:00 截止，*还剩 21 小时 0 分*',
      '*VE-2026-000104* · 变更备案 · 2 人中 1 人待核验 · 2026-11-30 10:00 截止，*还剩 22 小时 0 分*',
      '*VE-2026-000113* · 接入备案 · 1 人中 1 人待核验 · 2026-11-30 11:00 截止，*还剩 23 小时 0 分*',
    ]);
    expect(buttons(reply?.body).map((b) => `${b.action_id}=${b.value}`)).toEqual(['beian_open=VE-2026-000102', 'beian_open=VE-2026-000101', 'beian_open=VE-2026-000104', 'beian_open=VE-2026-000113']);
  });

  it('puts filings where everyone verified last, and leaves closed windows out', async () => {
    h = await startHarness();
    await h.core.filings.apply({ type: 'verification.confirmed', eventId: 'e1', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000102', phone: '13600136000' });
    const ids = async () => buttons((await h.command('pending')).reply?.body).map((b) => b.value);
    expect(await ids()).toEqual(['VE-2026-000101', 'VE-2026-000104', 'VE-2026-000113', 'VE-2026-000102']);
    h.clock.advance(21 * 3_600_000 + 30 * 60_000); // 102 closed at +3 h, 101 at +21 h
    expect(await ids()).toEqual(['VE-2026-000104', 'VE-2026-000113']);
  });

  it('pages with Next and Prev, replacing the list in place', async () => {
    h = await startHarness({ adapter: { pageSize: 3 } });
    const first = await h.command('pending');
    expect(lines(first.reply?.body)[0]).toContain('第 1/2 页');
    const nav = buttons(first.reply?.body).filter((b) => b.action_id === 'beian_page');
    expect(nav).toEqual([{ action_id: 'beian_page', value: '1', label: '下一页 ›' }]);

    const second = await h.press('beian_page', '1', { responseUrl: first.responseUrl });
    expect(second.reply?.body).toMatchObject({ replace_original: true });
    expect(lines(second.reply?.body)[0]).toContain('第 2/2 页');
    expect(buttons(second.reply?.body).map((b) => `${b.action_id}=${b.value}`)).toEqual(['beian_open=VE-2026-000113', 'beian_page=0']);

    const back = await h.press('beian_page', '0', { responseUrl: first.responseUrl });
    expect(lines(back.reply?.body)[0]).toContain('第 1/2 页');
    // A stale page number past the end shows the last page.
    expect(lines((await h.press('beian_page', '7')).reply?.body)[0]).toContain('第 2/2 页');
  });

  it('says when no filing is in an open window', async () => {
    h = await startHarness({ filings: [makeFiling({ status: 'approved' })] });
    expect(textOf((await h.command('pending')).reply)).toContain('目前没有处于核验窗口内的备案');
  });

  it('opens a listed filing as a new message (the list stays)', async () => {
    h = await startHarness();
    const { reply } = await h.press('beian_open', 'VE-2026-000102');
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(lines(reply?.body).join('\n')).toContain('王* 136****6000');
  });
});

describe('/beian help', () => {
  it.each(['help', '', 'HELP'])('“/beian %s” explains the commands', async (text) => {
    h = await startHarness();
    const help = textOf((await h.command(text)).reply);
    expect(help).toContain('/beian <备案编号>');
    expect(help).toContain('/beian pending');
    expect(help).toContain('/beian help');
  });

  it('R6 mentions estimated re-report dates once they are in use, not before', async () => {
    h = await startHarness();
    expect(textOf((await h.command('help')).reply)).not.toContain('估算');
    h.clock.set('2026-12-31T10:00:00+08:00');
    const help = textOf((await h.command('help')).reply);
    expect(help).toContain('/beian pending');
    expect(help).toContain('2026-12-31 之后的“预计上报”日期为*估算*');
    expect(help).toContain('`data/cn-calendar.json`');
  });

  it('R6 the estimate line in English', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'en' }, filings: [] });
    h.clock.set('2027-02-04T10:00:00+08:00');
    expect(textOf((await h.command('help')).reply)).toContain('Re-report dates after 2026-12-31 are *estimated* from the national holiday regulation');
  });
});

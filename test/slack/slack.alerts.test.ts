/** Issue 5 §5, §7 and issue 15: the alert channel (TeamAlerts) — at risk, window closed, returned with the recovery path, unreachable; once per filing, cycle and kind; through the durable outbox. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../support/wait.js';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';

let h: Harness;
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

const filing = async (id: string) => (await h.core.filings.get(id))!;
const posts = () => h.fake.api('chat.postMessage');

/** The posts once at least `n` went out (the outbox posts after `alert` resolved). */
const posted = (n: number) => waitFor(`${n} alert post(s)`, () => (posts().length >= n ? posts() : undefined));

describe('TeamAlerts on SLACK_ALERT_CHANNEL', () => {
  it('is built when an alert channel is configured, and not otherwise', async () => {
    h = await startHarness();
    expect(h.teamAlerts).toBeDefined();
    const without = await startHarness({ env: { SLACK_ALERT_CHANNEL: '' } });
    try {
      expect(without.teamAlerts).toBeUndefined();
    } finally {
      await without.close();
    }
  });

  it('posts “at risk” with the time left and the masked pending verifiers, and Open/Nudge buttons', async () => {
    h = await startHarness();
    expect(await h.teamAlerts!.alert('at_risk', await filing('VE-2026-000102'))).toBe(true);
    const post = (await posted(1))[0]!;
    expect(posts()).toHaveLength(1);
    expect(post.body.channel).toBe('C0ALERTS1');
    expect(post.token).toBe('xoxb-test');
    expect(textOf(post)).toContain(':warning: *VE-2026-000102* 有风险：距截止（2026-11-29 15:00，北京时间）还剩 3 小时 0 分，1 人待核验');
    expect(textOf(post)).toContain('王* 136****6000');
    expect(post.body.blocks.at(-1).elements.map((e: any) => e.action_id)).toEqual(['beian_open', 'beian_nudge']);
  });

  it('posts “window closed”', async () => {
    h = await startHarness();
    h.clock.advance(3 * 3_600_000);
    expect(await h.teamAlerts!.alert('window_closed', await filing('VE-2026-000102'))).toBe(true);
    expect(textOf((await posted(1))[0])).toContain('核验窗口已于 2026-11-29 15:00（北京时间）关闭，仍有 1 人未核验');
  });

  it('R6: posts “returned” with the whole recovery path for the filing', async () => {
    h = await startHarness();
    expect(await h.teamAlerts!.alert('returned', await filing('VE-2026-000103'))).toBe(true);
    const text = textOf((await posted(1))[0]);
    expect(text).toContain('*VE-2026-000103*（接入备案）已被退回：未在 24 小时内完成短信核验');
    // The record says it is a shell website, so the path goes straight to its steps.
    expect(text).toContain('空壳网站（当前未在任何接入商处接入）');
    expect(text).not.toContain('网站目前接入在哪里？');
    expect(text).toContain('然后重新提交新增网站备案');
    expect(text).toContain('预计 2026-11-30 前上报');
  });

  it('R6: a “returned” alert past the official calendar marks the re-report date as estimated', async () => {
    h = await startHarness();
    h.clock.set('2027-02-04T10:00:00+08:00');
    expect(await h.teamAlerts!.alert('returned', await filing('VE-2026-000103'))).toBe(true);
    expect(textOf((await posted(1))[0])).toContain('预计 2027-02-11 前上报（估算：2027 年放假安排尚未公布）。');
  });

  it('alerts at most once per filing, per cycle, per kind', async () => {
    h = await startHarness();
    const alerts = h.teamAlerts!;
    expect(await alerts.alert('at_risk', await filing('VE-2026-000102'))).toBe(true);
    expect(await alerts.alert('at_risk', await filing('VE-2026-000102'))).toBe(false);
    expect(await Promise.all([alerts.alert('window_closed', await filing('VE-2026-000102')), alerts.alert('window_closed', await filing('VE-2026-000102'))])).toEqual(expect.arrayContaining([true, false]));
    expect(await alerts.alert('at_risk', await filing('VE-2026-000101'))).toBe(true);
    await posted(3);
    expect(posts()).toHaveLength(3);
    // A new report is a new cycle: the same kind may alert again.
    await h.core.filings.apply({ type: 'filing.reported', eventId: 'e-r2', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000102' });
    expect(await alerts.alert('at_risk', await filing('VE-2026-000102'))).toBe(true);
    expect(await alerts.alert('at_risk', await filing('VE-2026-000102'))).toBe(false);
    await posted(4);
    expect(posts()).toHaveLength(4);
  });

  it('keeps the once-only mark in the store, where every instance and a restart see it', async () => {
    h = await startHarness();
    expect(await h.teamAlerts!.alert('returned', await filing('VE-2026-000105'))).toBe(true);
    expect(await h.core.store.get('slack:alert:VE-2026-000105:1:returned')).toBeDefined();
  });

  it('releases the mark when the alert could not be stored, so the next call stores it', async () => {
    h = await startHarness();
    vi.spyOn(h.outbox, 'enqueue').mockRejectedValueOnce(new Error('disk full'));
    await expect(h.teamAlerts!.alert('at_risk', await filing('VE-2026-000102'))).rejects.toThrow('disk full');
    expect(await h.teamAlerts!.alert('at_risk', await filing('VE-2026-000102'))).toBe(true);
    await posted(1);
    expect(posts()).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('slack: alert not stored'))).toBe(true);
  });

  it('a post Slack refuses for good is dropped and counted; one it refuses for now is posted again', async () => {
    h = await startHarness();
    h.fake.failures.set('chat.postMessage', 1);
    expect(await h.teamAlerts!.alert('at_risk', await filing('VE-2026-000102'))).toBe(true);
    await waitFor('the refused post to be dropped', () => h.logs.find((l) => l.includes('outbox gave up a message')));
    expect((await h.core.metrics.outboxDropped.get()).values).toEqual([{ value: 1, labels: { reason: 'failed' } }]);
    expect(await h.teamAlerts!.alert('at_risk', await filing('VE-2026-000101'))).toBe(true);
    expect(textOf((await posted(2))[1])).toContain('VE-2026-000101');
  });

  it('unreachable: names the filing, the masked person, the platform and how long', async () => {
    h = await startHarness();
    const detail = { person: '136****6000', platform: 'telegram', minutes: 5, reason: '429 retry_after 73414s' };
    expect(await h.teamAlerts!.alert('unreachable', await filing('VE-2026-000102'), detail)).toBe(true);
    expect(await h.teamAlerts!.alert('unreachable', await filing('VE-2026-000102'), detail)).toBe(false);
    expect(await h.teamAlerts!.alert('unreachable', await filing('VE-2026-000102'), { ...detail, person: '139****9000' })).toBe(true);
    const text = textOf((await posted(2))[0]);
    expect(text).toContain('*VE-2026-000102*：核验窗口仍开放，但 136****6000 在 telegram 上已 5 分钟无法送达（429 retry_after 73414s）。请电话联系。');
  });

  it('opens the summary and nudges from an alert’s buttons', async () => {
    h = await startHarness();
    h.nudger.current = async () => 1;
    await h.teamAlerts!.alert('at_risk', await filing('VE-2026-000102'));
    const [open, nudge] = (await posted(1))[0]!.body.blocks.at(-1).elements;
    expect(textOf((await h.press(open.action_id, open.value)).reply)).toContain('备案 VE-2026-000102');
    expect(textOf((await h.press(nudge.action_id, nudge.value)).reply)).toContain('已提醒 VE-2026-000102');
  });
});

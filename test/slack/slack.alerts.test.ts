/** Issue 5 §5, §7: the alert channel (TeamAlerts) — at risk, window closed, returned with the recovery path; once per filing, cycle and kind; paced. */
import { afterEach, describe, expect, it } from 'vitest';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';

let h: Harness;
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

const filing = (id: string) => h.core.filings.get(id)!;
const posts = () => h.fake.api('chat.postMessage');

/** A pause the test releases by hand, counting how often the outbox paused. */
function manualPause() {
  const waiting: Array<() => void> = [];
  let paused: () => void = () => undefined;
  let pausedOnce = new Promise<void>((resolve) => (paused = resolve));
  return {
    pause: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        paused();
      }),
    /** Resolves once the outbox is pausing. */
    pausing: () => pausedOnce,
    release() {
      pausedOnce = new Promise<void>((resolve) => (paused = resolve));
      waiting.splice(0).forEach((r) => r());
    },
  };
}

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
    expect(await h.teamAlerts!.alert('at_risk', filing('VE-2026-000102'))).toBe(true);
    expect(posts()).toHaveLength(1);
    const post = posts()[0]!;
    expect(post.body.channel).toBe('C0ALERTS1');
    expect(post.token).toBe('xoxb-test');
    expect(textOf(post)).toContain(':warning: *VE-2026-000102* 有风险：距截止（2026-11-29 15:00，北京时间）还剩 3 小时 0 分，1 人待核验');
    expect(textOf(post)).toContain('王* 136****6000');
    expect(post.body.blocks.at(-1).elements.map((e: any) => e.action_id)).toEqual(['beian_open', 'beian_nudge']);
  });

  it('posts “window closed”', async () => {
    h = await startHarness();
    h.clock.advance(3 * 3_600_000);
    expect(await h.teamAlerts!.alert('window_closed', filing('VE-2026-000102'))).toBe(true);
    expect(textOf(posts()[0])).toContain('核验窗口已于 2026-11-29 15:00（北京时间）关闭，仍有 1 人未核验');
  });

  it('R6: posts “returned” with the whole recovery path for the type', async () => {
    h = await startHarness();
    expect(await h.teamAlerts!.alert('returned', filing('VE-2026-000103'))).toBe(true);
    const text = textOf(posts()[0]);
    expect(text).toContain('*VE-2026-000103*（接入备案）已被退回：未在 24 小时内完成短信核验');
    expect(text).toContain('*问：*网站目前接入在哪里？');
    expect(text).toContain('然后重新提交新增网站备案');
    expect(text).toContain('预计 2026-11-30 前上报');
  });

  it('R6: a “returned” alert past the official calendar marks the re-report date as estimated', async () => {
    h = await startHarness();
    h.clock.set('2027-02-04T10:00:00+08:00');
    expect(await h.teamAlerts!.alert('returned', filing('VE-2026-000103'))).toBe(true);
    expect(textOf(posts()[0])).toContain('预计 2027-02-11 前上报（估算：2027 年放假安排尚未公布）。');
  });

  it('alerts at most once per filing, per cycle, per kind', async () => {
    h = await startHarness();
    const alerts = h.teamAlerts!;
    expect(await alerts.alert('at_risk', filing('VE-2026-000102'))).toBe(true);
    expect(await alerts.alert('at_risk', filing('VE-2026-000102'))).toBe(false);
    expect(await Promise.all([alerts.alert('window_closed', filing('VE-2026-000102')), alerts.alert('window_closed', filing('VE-2026-000102'))])).toEqual(
      expect.arrayContaining([true, false]),
    );
    expect(await alerts.alert('at_risk', filing('VE-2026-000101'))).toBe(true);
    expect(posts()).toHaveLength(3);
    // A new report is a new cycle: the same kind may alert again.
    await h.core.filings.apply({ type: 'filing.reported', eventId: 'e-r2', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000102' });
    expect(await alerts.alert('at_risk', filing('VE-2026-000102'))).toBe(true);
    expect(await alerts.alert('at_risk', filing('VE-2026-000102'))).toBe(false);
    expect(posts()).toHaveLength(4);
  });

  it('keeps the once-only mark in the store, where every instance and a restart see it', async () => {
    h = await startHarness();
    expect(await h.teamAlerts!.alert('returned', filing('VE-2026-000105'))).toBe(true);
    expect(await h.core.store.get('slack:alert:VE-2026-000105:1:returned')).toBeDefined();
  });

  it('releases the mark when Slack refused the post, so the next call posts it', async () => {
    h = await startHarness();
    h.fake.failures.set('chat.postMessage', 1);
    await expect(h.teamAlerts!.alert('at_risk', filing('VE-2026-000102'))).rejects.toThrow();
    expect(await h.teamAlerts!.alert('at_risk', filing('VE-2026-000102'))).toBe(true);
    expect(posts()).toHaveLength(2);
    expect(h.logs.some((l) => l.includes('slack: alert not posted'))).toBe(true);
  });

  it('paces posts to one channel: the next waits for the pause after the previous one', async () => {
    const pacing = manualPause();
    h = await startHarness({ adapter: { pause: pacing.pause } });
    const alerts = h.teamAlerts!;
    const first = alerts.alert('at_risk', filing('VE-2026-000102'));
    const second = alerts.alert('at_risk', filing('VE-2026-000101'));
    expect(await first).toBe(true);
    await pacing.pausing();
    expect(posts()).toHaveLength(1);
    pacing.release();
    expect(await second).toBe(true);
    expect(posts().map((p) => textOf(p).match(/VE-2026-\d+/)?.[0])).toEqual(['VE-2026-000102', 'VE-2026-000101']);
    pacing.release();
  });

  it('opens the summary and nudges from an alert’s buttons', async () => {
    h = await startHarness();
    h.nudger.current = async () => 1;
    await h.teamAlerts!.alert('at_risk', filing('VE-2026-000102'));
    const [open, nudge] = posts()[0]!.body.blocks.at(-1).elements;
    expect(textOf((await h.press(open.action_id, open.value)).reply)).toContain('备案 VE-2026-000102');
    expect(textOf((await h.press(nudge.action_id, nudge.value)).reply)).toContain('已提醒 VE-2026-000102');
  });
});

/** Issue 11 §2: each team member is answered in their own Slack locale (users.info), looked up once and stored; the default otherwise. */
import { afterEach, describe, expect, it } from 'vitest';
import { toLocale } from '../../adapters/slack/slack.locale.js';
import { ALICE, expectOnlyMaskedPhones, startHarness, TEAM, textOf, type Harness } from './slack.harness.js';

const BOB = 'U0BOB00001';

describe('a member’s own language', () => {
  let h: Harness;
  afterEach(async () => {
    expectOnlyMaskedPhones(h);
    await h.close();
  });

  it('answers an en-US member in English while the default is zh, asking users.info once', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'zh' } });
    h.fake.locales[ALICE] = 'en-US';
    const help = textOf((await h.command('help')).reply);
    expect(help).toContain('*/beian <filing id>*');
    expect(help).not.toContain('备案编号');
    expect(textOf((await h.command('VE-2026-999999')).reply)).toContain('There is no filing “VE-2026-999999”');
    // Someone without a locale in Slack gets the default.
    expect(textOf((await h.command('help', { user: BOB })).reply)).toContain('*/beian <备案编号>*');
    const calls = h.fake.api('users.info');
    expect(calls.map((c) => c.body.user)).toEqual([ALICE, BOB]);
    expect(String(calls[0]!.body.include_locale)).toBe('true');
    expect(await h.core.store.namespace('slack').get(`locale:${TEAM}:${ALICE}`)).toBe('en');
  });

  it('answers a zh-CN member in Chinese while the default is en, buttons and App Home included', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'en' } });
    h.fake.locales[ALICE] = 'zh-CN';
    expect(textOf((await h.command('help')).reply)).toContain('*/beian <备案编号>*');
    expect(textOf((await h.press('beian_open', 'VE-2026-000101')).reply)).toContain('备案 VE-2026-000101');
    await h.event({ type: 'app_home_opened', user: ALICE, channel: 'D0DM000001', tab: 'home' });
    expect(textOf(h.fake.api('views.publish').at(-1))).toContain('ICP 备案短信核验：团队视图');
    expect(textOf((await h.command('help', { user: BOB })).reply)).toContain('*/beian <filing id>*');
    expect(h.fake.api('users.info').filter((c) => c.body.user === ALICE)).toHaveLength(1);
  });

  it('falls back to the default when users.info fails, logs it once, and asks again later', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'zh' } });
    h.fake.locales[ALICE] = 'en-US';
    h.fake.failures.set('users.info', 2);
    const first = await h.command('help');
    expect(first.answer.status).toBe(200);
    expect(textOf(first.reply)).toContain('*/beian <备案编号>*');
    expect(textOf((await h.command('help', { user: BOB })).reply)).toContain('*/beian <备案编号>*');
    expect(h.logs.filter((l) => l.includes('users.info failed'))).toHaveLength(1);
    // Slack answers again: the member now gets their own language, and it is kept.
    expect(textOf((await h.command('help')).reply)).toContain('*/beian <filing id>*');
    expect(textOf((await h.command('help')).reply)).toContain('*/beian <filing id>*');
    expect(h.fake.api('users.info').filter((c) => c.body.user === ALICE)).toHaveLength(2);
  });

  it('answers at once in the default when users.info is rate limited, without waiting out Retry-After', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'en' } });
    h.fake.locales[ALICE] = 'zh-CN';
    h.fake.rateLimit('users.info', 1, 600);
    const { answer, reply } = await h.command('help');
    expect(answer.status).toBe(200);
    expect(textOf(reply)).toContain('*/beian <filing id>*');
    expect(textOf((await h.command('help')).reply)).toContain('*/beian <备案编号>*');
    expect(h.fake.api('users.info').map((c) => c.status)).toEqual([429, 200]);
  });

  it('looks a member up once across commands, buttons and App Home', async () => {
    h = await startHarness({ env: { DEFAULT_LOCALE: 'zh' } });
    h.fake.locales[ALICE] = 'en-GB';
    await h.command('help');
    await h.press('beian_page', '0');
    await h.event({ type: 'app_home_opened', user: ALICE, channel: 'D0DM000001', tab: 'home' });
    expect(h.fake.api('users.info')).toHaveLength(1);
    expect(textOf(h.fake.api('views.publish').at(-1))).toContain('ICP filing SMS verification: team view');
  });
});

describe('toLocale', () => {
  it.each([
    ['zh-CN', 'en', 'zh'],
    ['zh-TW', 'en', 'zh'],
    ['en-US', 'zh', 'en'],
    ['EN-gb', 'zh', 'en'],
    ['ja-JP', 'zh', 'zh'],
    ['ja-JP', 'en', 'en'],
    [undefined, 'en', 'en'],
    ['', 'zh', 'zh'],
  ] as const)('%s with default %s → %s', (tag, fallback, expected) => {
    expect(toLocale(tag, fallback)).toBe(expected);
  });
});

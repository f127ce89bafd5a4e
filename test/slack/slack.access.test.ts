/** Issue 5 §6: only the configured workspace, an optional allow-list of users and/or a user group; everyone else gets an ephemeral "not authorized". */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';

let h: Harness;
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

const DENIED = '抱歉，您没有使用此应用的权限。';

function expectDenied(reply: { body: Record<string, any> } | undefined): void {
  expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: DENIED });
}

describe('allow-list of users (SLACK_ALLOWED_USERS)', () => {
  it('answers a listed user and tells anyone else, ephemerally, that they are not authorized', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERS: 'U0ALICE001, U0BOB00001' } });
    expect(textOf((await h.command('VE-2026-000101')).reply)).toContain('备案 VE-2026-000101');
    expect(textOf((await h.command('VE-2026-000101', { user: 'U0BOB00001' })).reply)).toContain('备案 VE-2026-000101');
    const denied = await h.command('VE-2026-000101', { user: 'U0MALLORY1' });
    expect(denied.answer.status).toBe(200);
    expectDenied(denied.reply);
    expect(textOf(denied.reply)).not.toContain('VE-2026-000101');
    expect(h.logs.some((l) => l.includes('slack: not authorized') && l.includes('U0MALLORY1'))).toBe(true);
  });

  it('refuses a button of someone not listed, doing nothing', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERS: 'U0ALICE001' } });
    const nudger = vi.fn(async () => 1);
    h.nudger.current = nudger;
    expectDenied((await h.press('beian_nudge', 'VE-2026-000101', { user: 'U0MALLORY1' })).reply);
    expect(nudger).not.toHaveBeenCalled();
    const pick = await h.press('beian_confirm_1', 'VE-2026-000101:1:1:abcdefgh', { user: 'U0MALLORY1' });
    expectDenied(pick.reply);
    expect(h.logs.some((l) => l.includes('"action":"slack.team_confirm"'))).toBe(false);
  });

  it('publishes a "not authorized" App Home to someone not listed', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERS: 'U0ALICE001' } });
    await h.event({ type: 'app_home_opened', user: 'U0MALLORY1', channel: 'D0DM000002', tab: 'home' });
    const view = h.fake.api('views.publish')[0]!.body;
    expect(view.user_id).toBe('U0MALLORY1');
    expect(JSON.stringify(view.view)).toContain('您没有使用此应用的权限');
    expect(JSON.stringify(view.view)).not.toContain('VE-2026');
  });
});

describe('user group (SLACK_ALLOWED_USERGROUP)', () => {
  it('answers members of the group, read with usergroups.users.list and cached for 5 minutes', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERGROUP: 'S0SUPPORT1' } });
    h.fake.usergroups = { S0SUPPORT1: ['U0GROUPIE1'] };
    expect(textOf((await h.command('help', { user: 'U0GROUPIE1' })).reply)).toContain('/beian pending');
    expectDenied((await h.command('help', { user: 'U0ALICE001' })).reply);
    expect(h.fake.api('usergroups.users.list')).toHaveLength(1);
    expect(h.fake.api('usergroups.users.list')[0]!.body.usergroup).toBe('S0SUPPORT1');

    h.fake.usergroups = { S0SUPPORT1: ['U0GROUPIE1', 'U0ALICE001'] };
    h.clock.advance(4 * 60_000);
    expectDenied((await h.command('help', { user: 'U0ALICE001' })).reply);
    h.clock.advance(60_000);
    expect(textOf((await h.command('help', { user: 'U0ALICE001' })).reply)).toContain('/beian pending');
    expect(h.fake.api('usergroups.users.list')).toHaveLength(2);
  });

  it('lets a listed user in without asking for the group', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERGROUP: 'S0SUPPORT1', SLACK_ALLOWED_USERS: 'U0ALICE001' } });
    expect(textOf((await h.command('help')).reply)).toContain('/beian pending');
    expect(h.fake.api('usergroups.users.list')).toEqual([]);
  });

  it('denies group members while the group cannot be read, and reads it again next time', async () => {
    h = await startHarness({ env: { SLACK_ALLOWED_USERGROUP: 'S0SUPPORT1' } });
    h.fake.usergroups = { S0SUPPORT1: ['U0GROUPIE1'] };
    h.fake.failures.set('usergroups.users.list', 1);
    expectDenied((await h.command('help', { user: 'U0GROUPIE1' })).reply);
    expect(textOf((await h.command('help', { user: 'U0GROUPIE1' })).reply)).toContain('/beian pending');
  });
});

describe('workspace', () => {
  it('refuses another workspace than the bot’s (auth.test)', async () => {
    h = await startHarness();
    expectDenied((await h.command('VE-2026-000101', { team: 'T0OTHER001' })).reply);
    expect(h.fake.api('auth.test')).toHaveLength(1);
  });

  it('refuses another workspace than SLACK_TEAM_ID, without asking Slack', async () => {
    h = await startHarness({ env: { SLACK_TEAM_ID: 'T0CONFIG01' } });
    expectDenied((await h.command('VE-2026-000101')).reply);
    expect(textOf((await h.command('VE-2026-000101', { team: 'T0CONFIG01' })).reply)).toContain('备案 VE-2026-000101');
    expect(h.fake.api('auth.test')).toEqual([]);
  });

  it('ignores events from another workspace', async () => {
    h = await startHarness();
    await h.event({ type: 'app_home_opened', user: 'U0ALICE001', channel: 'D0DM000001', tab: 'home' }, { team: 'T0OTHER001' });
    expect(JSON.stringify(h.fake.api('views.publish'))).not.toContain('VE-2026');
  });
});

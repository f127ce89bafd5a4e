/** The Slack adapter's small parts on their own: escaping, request checks, body parsing, delivery ids, pacing, Socket Mode construction. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSlackApp } from '../../adapters/slack/slack.adapter.js';
import { encodeUrl, registerSlackSender, SlackSender, toResponseResult, toSlackResult } from '../../adapters/slack/slack.sender.js';
import type { Sender } from '../../src/outbox/outbox.types.js';
import { FakeSlack } from './fake-slack.js';
import { isResponseUrl, replyId, toReplyRecord } from '../../adapters/slack/slack.replies.js';
import { toStoredMessage } from '../../src/outbox/outbox.types.js';
import { webApi } from '@slack/bolt';
import { deliveryKey, parseSlackBody, verifyRequest } from '../../adapters/slack/slack.receiver.js';
import { parseConfirmValue } from '../../adapters/slack/slack.actions.js';
import { startSlackAlerts } from '../../adapters/slack/slack.alerts.js';
import { escapeMrkdwn, sections } from '../../adapters/slack/slack.blocks.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { silentLogger } from '../../src/log.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { route } from '../../flows/router.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

describe('escapeMrkdwn', () => {
  it('escapes &, < and > (and & first, so nothing is escaped twice)', () => {
    expect(escapeMrkdwn('<script>&amp; <@U1> <!here>')).toBe('&lt;script&gt;&amp;amp; &lt;@U1&gt; &lt;!here&gt;');
    expect(escapeMrkdwn('杭州示例 *bold* _x_')).toBe('杭州示例 *bold* _x_');
  });
});

describe('verifyRequest', () => {
  const secret = 's3cret';
  const now = 1_800_000_000_000;
  const signed = (body: string, ts: number) => ({
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
  });
  const nowS = now / 1000;

  it('accepts a correct signature within 300 s either way', () => {
    for (const ts of [nowS, nowS - 300, nowS + 300]) expect(verifyRequest(signed('a=1', ts), 'a=1', secret, now)).toEqual({ ok: true });
  });

  it('refuses 301 s old and 301 s in the future (Bolt alone would take the future one)', () => {
    expect(verifyRequest(signed('a=1', nowS - 301), 'a=1', secret, now).ok).toBe(false);
    expect(verifyRequest(signed('a=1', nowS + 301), 'a=1', secret, now).ok).toBe(false);
  });

  it('refuses a wrong secret, a changed body, an unknown version and malformed headers', () => {
    expect(verifyRequest(signed('a=1', nowS), 'a=2', secret, now).ok).toBe(false);
    expect(verifyRequest(signed('a=1', nowS), 'a=1', 'other', now).ok).toBe(false);
    const h = signed('a=1', nowS);
    expect(verifyRequest({ ...h, 'x-slack-signature': h['x-slack-signature'].replace('v0=', 'v1=') }, 'a=1', secret, now).ok).toBe(false);
    expect(verifyRequest({ ...h, 'x-slack-request-timestamp': '12abc' }, 'a=1', secret, now).ok).toBe(false);
    expect(verifyRequest({}, 'a=1', secret, now).ok).toBe(false);
  });
});

describe('parseSlackBody and deliveryKey', () => {
  it('reads JSON events, form commands and form interactivity payloads', () => {
    expect(parseSlackBody('application/json', '{"event_id":"Ev1"}')).toEqual({ event_id: 'Ev1' });
    expect(parseSlackBody('application/x-www-form-urlencoded', 'command=%2Fbeian&text=help')).toEqual({ command: '/beian', text: 'help' });
    expect(parseSlackBody('application/x-www-form-urlencoded; charset=utf-8', `payload=${encodeURIComponent('{"type":"block_actions"}')}`)).toEqual({ type: 'block_actions' });
    expect(() => parseSlackBody('application/json', '[1]')).toThrow();
  });

  it('keys a delivery by event id, else trigger id, else a hash of the body', () => {
    expect(deliveryKey({ event_id: 'Ev1', trigger_id: 't' }, Buffer.from('x'))).toBe('event:Ev1');
    expect(deliveryKey({ trigger_id: 't.1' }, Buffer.from('x'))).toBe('trigger:t.1');
    expect(deliveryKey({}, Buffer.from('x'))).toBe(deliveryKey({}, Buffer.from('x')));
    expect(deliveryKey({}, Buffer.from('x'))).not.toBe(deliveryKey({}, Buffer.from('y')));
  });
});

describe('parseConfirmValue', () => {
  it('reads filing, cycle, index and key prefix, and nothing else', () => {
    expect(parseConfirmValue('VE-2026-000101:1:0:6V1OjOSv')).toEqual({ filingId: 'VE-2026-000101', cycle: 1, index: 0, keyPrefix: '6V1OjOSv' });
    for (const bad of ['', 'VE-2026-000101:1:0', 'VE 1:1:0:k', 'VE-2026-000101:x:0:k', 'VE-2026-000101:1:0:13800138000:extra']) expect(parseConfirmValue(bad)).toBeUndefined();
  });
});

describe('sections', () => {
  it('packs lines under Slack’s 3000-character section limit, cutting an overlong line', () => {
    const blocks = sections(['a'.repeat(2000), 'b'.repeat(2000), 'c'.repeat(5000)]);
    expect(blocks).toHaveLength(3);
    for (const b of blocks) expect((b as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(2900);
  });
});

describe('toSlackResult (how the outbox treats a failed post)', () => {
  const platform = (error: string) => Object.assign(new Error(error), { code: webApi.ErrorCode.PlatformError, data: { ok: false, error } });

  it('a rate limit says when to come back; ratelimited without a time waits a second', () => {
    expect(toSlackResult(Object.assign(new Error('rl'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: 30 }))).toEqual({ kind: 'retry-after', retryAfterMs: 30_000, error: 'ratelimited' });
    expect(toSlackResult(platform('ratelimited'))).toEqual({ kind: 'retry-after', retryAfterMs: 1000, error: 'ratelimited' });
  });

  it('Slack’s own trouble and the network are retried; a refusal (channel_not_found, invalid_auth) is final', () => {
    expect(toSlackResult(platform('internal_error'))).toEqual({ kind: 'transient', error: 'internal_error' });
    expect(toSlackResult(new Error('socket hang up'))).toEqual({ kind: 'transient', error: 'socket hang up' });
    expect(toSlackResult(platform('channel_not_found'))).toEqual({ kind: 'permanent', error: 'channel_not_found' });
    expect(toSlackResult(platform('invalid_auth'))).toEqual({ kind: 'permanent', error: 'invalid_auth' });
  });
});

describe('replies as outbox records', () => {
  const message = { text: 'hi', blocks: [] };

  it('takes the reply id from the trigger_id, else the action_ts and user, else the body', () => {
    expect(replyId({ trigger_id: 't.1', actions: [{ action_ts: '1.2' }], user: { id: 'U1' } })).toBe('slack:reply:t.1');
    expect(replyId({ actions: [{ action_id: 'beian_open', action_ts: '1700000000.1' }], user: { id: 'U1' } })).toBe('slack:reply:U1:1700000000.1:beian_open');
    expect(replyId({ a: 1 })).toBe(replyId({ a: 1 }));
    expect(replyId({ a: 1 })).not.toBe(replyId({ a: 2 }));
  });

  it('posts only to a Slack response_url (https on a Slack host) or to the configured API root’s origin', () => {
    expect(isResponseUrl('https://hooks.slack.com/commands/T0/1335843453127/abc')).toBe(true);
    expect(isResponseUrl('http://hooks.slack.com/commands/T0/1/abc')).toBe(false);
    expect(isResponseUrl('https://hooks.slack.com.evil.example/x')).toBe(false);
    expect(isResponseUrl('https://evil.example/slack.com')).toBe(false);
    expect(isResponseUrl('not a url')).toBe(false);
    expect(isResponseUrl('http://127.0.0.1:9/response/1', 'http://127.0.0.1:9/api/')).toBe(true);
    expect(isResponseUrl('http://127.0.0.1:10/response/1', 'http://127.0.0.1:9/api/')).toBe(false);
  });

  it('stores a response_url whose numeric ids look like a +86 mobile, and falls back to an ephemeral post without one', () => {
    // 8613912345678: a 13-digit id the outbox's R8 guard would refuse in clear text.
    const viaUrl = toReplyRecord({ trigger_id: 't', response_url: 'https://hooks.slack.com/actions/T0/8613912345678/x', channel_id: 'C1', user_id: 'U1' }, message, true, 1000);
    expect(viaUrl).toMatchObject({ id: 'slack:reply:t', priority: 'interactive', deadline: 1000, expiresAt: 1000 + 30 * 60_000, payload: { via: 'respond', body: { replace_original: true } } });
    expect(JSON.stringify(viaUrl)).not.toContain('8613912345678');
    expect(() => toStoredMessage(viaUrl!, 0, 1)).not.toThrow();
    expect(toReplyRecord({ trigger_id: 't', response_url: 'https://evil.example/x', channel: { id: 'C1' }, user: { id: 'U1' } }, message, false, 0)?.payload).toEqual({
      via: 'ephemeral',
      channel: 'C1',
      user: 'U1',
      message,
    });
    expect(toReplyRecord({ trigger_id: 't' }, message, false, 0)).toBeUndefined();
  });

  it('sorts a response_url’s answer: 2xx sent, 429 waits Retry-After, 5xx retried, the rest final', () => {
    expect(toResponseResult(200, null, 'ok')).toEqual({ kind: 'ok' });
    expect(toResponseResult(429, '7', '')).toEqual({ kind: 'retry-after', retryAfterMs: 7000, error: 'ratelimited' });
    expect(toResponseResult(429, null, '')).toEqual({ kind: 'retry-after', retryAfterMs: 1000, error: 'ratelimited' });
    expect(toResponseResult(502, null, '')).toMatchObject({ kind: 'transient' });
    expect(toResponseResult(404, null, 'expired_url')).toEqual({ kind: 'permanent', error: 'response_url 404 expired_url' });
  });

  it('the Sender posts a stored alert (no `via`) to its channel and an ephemeral reply to its person', async () => {
    const calls: Array<[string, Record<string, unknown>]> = [];
    const chat = { postMessage: async (a: Record<string, unknown>) => void calls.push(['postMessage', a]), postEphemeral: async (a: Record<string, unknown>) => void calls.push(['postEphemeral', a]) };
    const sender = new SlackSender({ chat } as never, silentLogger, 10_000);
    expect(await sender.send('C0ALERTS1', message)).toEqual({ kind: 'ok' });
    expect(await sender.send('C1/U1', { via: 'ephemeral', channel: 'C1', user: 'U1', message })).toEqual({ kind: 'ok' });
    expect(calls.map(([m, a]) => `${m} ${a.channel} ${a.user ?? ''}`.trim())).toEqual(['postMessage C0ALERTS1', 'postEphemeral C1 U1']);
  });
});

describe('issue 22 a Slack call that hangs', () => {
  it('a post or a response_url reply with no answer is given up after the time limit as transient (to be retried), and goes out once Slack answers', async () => {
    const fake = new FakeSlack();
    await fake.start();
    try {
      let sender: Sender | undefined;
      registerSlackSender({ register: (_channel, s) => void (sender = s) }, { botToken: 'xoxb-test', apiUrl: fake.apiUrl }, 300, silentLogger);
      const message = { text: 'hi', blocks: [] };
      const reply = { via: 'respond', url64: encodeUrl(fake.nextResponseUrl()), body: { response_type: 'ephemeral', replace_original: false, text: 'hi', blocks: [] } };
      fake.hold('chat.postMessage');
      fake.hold('response');
      const [post, respond] = await Promise.all([sender!.send('C0ALERTS1', message), sender!.send('C1/U1', reply)]);
      expect(post).toMatchObject({ kind: 'transient', error: expect.stringMatching(/timeout/i) });
      expect(respond).toMatchObject({ kind: 'transient', error: expect.stringMatching(/timeout/i) });
      fake.release('chat.postMessage');
      fake.release('response');
      expect(await sender!.send('C0ALERTS1', message)).toEqual({ kind: 'ok' });
      expect(await sender!.send('C1/U1', reply)).toEqual({ kind: 'ok' });
      expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});

describe('Socket Mode', () => {
  it('is chosen with SLACK_APP_TOKEN: nothing is mounted on the shared server and nothing is called at construction', async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: 'http://127.0.0.1:9/api/', STORE_URL: 'memory://' });
    const core = await createCore(config, { route, backend: localBackend(KeyvStateStore.memory()), logger: silentLogger, clock: new FakeClock(DEMO_ANCHOR) });
    const server = new HttpServer(silentLogger);
    const built = buildSlackApp(core, server, { enqueue: async () => 0, register: () => undefined });
    expect(built.mode).toBe('socket');
    expect(built.receiver).toBeUndefined();
    expect(startSlackAlerts(core, { enqueue: async () => 0, register: () => undefined })).toBeUndefined();
    const port = await server.listen(0, '127.0.0.1');
    try {
      expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      built.stopTracking();
      await server.close();
      await core.close();
    }
  });
});

describe('the app manifest', () => {
  it('declares what the code serves: /beian, interactivity and events on /slack/events, the Home tab, app_home_opened, the scopes', async () => {
    const { readFileSync } = await import('node:fs');
    const manifest = readFileSync(new URL('../../adapters/slack/manifest.yaml', import.meta.url), 'utf8');
    expect(manifest).toMatch(/- command: \/beian\n\s+url: https:\/\/[^\s]+\/slack\/events/);
    expect(manifest.match(/(url|request_url): https:\/\/[^\s]+\/slack\/events/g)).toHaveLength(3);
    expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
    expect(manifest).toMatch(/home_tab_enabled: true/);
    expect(manifest).toMatch(/bot_events:\n\s+- app_home_opened/);
    for (const scope of ['commands', 'chat:write', 'usergroups:read']) expect(manifest).toContain(`- ${scope}\n`);
  });
});

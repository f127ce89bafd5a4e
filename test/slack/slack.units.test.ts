/** The Slack adapter's small parts on their own: escaping, request checks, body parsing, delivery ids, pacing, Socket Mode construction. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSlackApp } from '../../adapters/slack/slack.adapter.js';
import { toSlackResult } from '../../adapters/slack/slack.sender.js';
import { webApi } from '@slack/bolt';
import { deliveryKey, parseSlackBody, verifyRequest } from '../../adapters/slack/slack.receiver.js';
import { parseConfirmValue } from '../../adapters/slack/slack.actions.js';
import { startSlackAlerts } from '../../adapters/slack/slack.alerts.js';
import { escapeMrkdwn, sections } from '../../adapters/slack/slack.blocks.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings.js';
import { silentLogger } from '../../src/log.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/store/keyv.store.js';
import { route } from '../../flows/router.js';

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

describe('Socket Mode', () => {
  it('is chosen with SLACK_APP_TOKEN: nothing is mounted on the shared server and nothing is called at construction', async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: 'http://127.0.0.1:9/api/', STORE_URL: 'memory://' });
    const core = await createCore(config, { route, store: KeyvStateStore.memory(), logger: silentLogger, clock: new FakeClock(DEMO_ANCHOR) });
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

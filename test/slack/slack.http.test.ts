/** Issue 5 §1, §7: POST /slack/events on the shared server — Bolt's signature check, the ±300 s window, url_verification, acks and retries. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOnlyMaskedPhones, startHarness, textOf, type Harness } from './slack.harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

const challenge = JSON.stringify({ token: 'legacy', challenge: 'challenge-abc', type: 'url_verification' });
const json = { 'content-type': 'application/json' };
const now = () => Math.floor(h.clock.now().valueOf() / 1000);

describe('signature and timestamp (Bolt verifier, 300 s either way)', () => {
  it('answers url_verification with the challenge when correctly signed', async () => {
    const answer = await h.post(challenge, { ...json, ...h.sign(challenge) });
    expect(answer).toEqual({ status: 200, text: JSON.stringify({ challenge: 'challenge-abc' }) });
  });

  it('refuses a bad signature with 401', async () => {
    const headers: Record<string, string> = { ...json, ...h.sign(challenge) };
    headers['x-slack-signature'] = headers['x-slack-signature']!.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'));
    expect((await h.post(challenge, headers)).status).toBe(401);
  });

  it('refuses a body changed after signing with 401', async () => {
    const headers = { ...json, ...h.sign(challenge) };
    expect((await h.post(challenge.replace('abc', 'abd'), headers)).status).toBe(401);
  });

  it('refuses missing signature headers with 401', async () => {
    expect((await h.post(challenge, json)).status).toBe(401);
    expect((await h.post(challenge, { ...json, 'x-slack-signature': h.sign(challenge)['x-slack-signature']! })).status).toBe(401);
  });

  it('refuses a correctly signed request 301 s old with 401', async () => {
    expect((await h.post(challenge, { ...json, ...h.sign(challenge, now() - 301) })).status).toBe(401);
  });

  it('refuses a correctly signed request 301 s in the future with 401', async () => {
    expect((await h.post(challenge, { ...json, ...h.sign(challenge, now() + 301) })).status).toBe(401);
  });

  it('accepts a timestamp exactly 300 s away, past or future', async () => {
    expect((await h.post(challenge, { ...json, ...h.sign(challenge, now() - 300) })).status).toBe(200);
    expect((await h.post(challenge, { ...json, ...h.sign(challenge, now() + 300) })).status).toBe(200);
  });

  it('judges the timestamp by the core clock', async () => {
    const ts = now();
    h.clock.advance(301_000);
    expect((await h.post(challenge, { ...json, ...h.sign(challenge, ts) })).status).toBe(401);
  });

  it('does nothing for a refused request: no call to Slack', async () => {
    const body = new URLSearchParams({ command: '/beian', text: 'VE-2026-000101', team_id: 'T0TEAM0001', user_id: 'U0ALICE001', response_url: h.fake.nextResponseUrl(), trigger_id: 't.bad' }).toString();
    const answer = await h.post(body, { 'content-type': 'application/x-www-form-urlencoded', ...h.sign(body, now() - 301) });
    expect(answer.status).toBe(401);
    expect(h.fake.calls).toEqual([]);
  });
});

describe('bodies', () => {
  it('answers Slack’s unsigned ssl_check with 200 and nothing else', async () => {
    const answer = await h.post('ssl_check=1&token=x&payload=%7B%7D', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer).toEqual({ status: 200, text: '' });
    expect(h.fake.calls).toEqual([]);
  });

  it('refuses a correctly signed body that is not JSON with 400', async () => {
    const body = '{not json';
    expect((await h.post(body, { ...json, ...h.sign(body) })).status).toBe(400);
  });

  it('parses a form body with a charset in its content type', async () => {
    const body = new URLSearchParams({ command: '/beian', text: 'help', team_id: 'T0TEAM0001', user_id: 'U0ALICE001', response_url: h.fake.nextResponseUrl(), trigger_id: 't.cs' }).toString();
    const answer = await h.post(body, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...h.sign(body) });
    expect(answer.status).toBe(200);
    expect(textOf(h.fake.responsesTo().at(-1))).toContain('/beian pending');
  });
});

describe('delivery', () => {
  it('acks a command before its work is done (the reply goes to response_url afterwards)', async () => {
    h.fake.hold('response');
    const responseUrl = h.fake.nextResponseUrl();
    const body = new URLSearchParams({ command: '/beian', text: 'VE-2026-000101', team_id: 'T0TEAM0001', user_id: 'U0ALICE001', channel_id: 'C0CHAN0001', response_url: responseUrl, trigger_id: 't.ack' }).toString();
    const res = await fetch(h.url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...h.sign(body) } });
    // The ack came back while the reply to response_url is still held by the fake.
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const reply = await h.fake.waitFor((c) => c.method === new URL(responseUrl).pathname);
    h.fake.release('response');
    await h.slack.idle();
    expect(textOf(reply)).toContain('VE-2026-000101');
  });

  it('handles a retried event (same event_id, X-Slack-Retry-Num: 1) once', async () => {
    const event = { type: 'app_home_opened', user: 'U0ALICE001', channel: 'D0DM000001', tab: 'home' };
    expect((await h.event(event, { eventId: 'Ev0RETRY01' })).status).toBe(200);
    expect((await h.event(event, { eventId: 'Ev0RETRY01', retryNum: 1 })).status).toBe(200);
    expect(h.fake.api('views.publish')).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('duplicate delivery dropped') && l.includes('"retryNum":1'))).toBe(true);
    expect((await h.event(event, { eventId: 'Ev0OTHER01' })).status).toBe(200);
    expect(h.fake.api('views.publish')).toHaveLength(2);
  });

  it('handles a replayed command (same trigger_id) once', async () => {
    const body = new URLSearchParams({ command: '/beian', text: 'help', team_id: 'T0TEAM0001', user_id: 'U0ALICE001', response_url: h.fake.nextResponseUrl(), trigger_id: 't.same' }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...h.sign(body) };
    expect((await h.post(body, headers)).status).toBe(200);
    expect((await h.post(body, { ...headers, 'x-slack-retry-num': '1' })).status).toBe(200);
    expect(h.fake.responsesTo()).toHaveLength(1);
  });

  it('acks a body Bolt cannot type at once, with 200', async () => {
    const body = JSON.stringify({ type: 'something_new', id: 1 });
    expect((await h.post(body, { ...json, ...h.sign(body) })).status).toBe(200);
  });

  it('makes no call to Slack at start-up with SLACK_TEAM_ID set, and none later for the workspace', async () => {
    const other = await startHarness({ env: { SLACK_TEAM_ID: 'T0TEAM0001' } });
    try {
      expect(other.fake.calls).toEqual([]);
      await other.command('help');
      expect(other.fake.api('auth.test')).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('makes no call to Slack at start-up without SLACK_TEAM_ID, then asks auth.test once for the workspace', async () => {
    expect(h.fake.calls).toEqual([]);
    await h.command('help');
    await h.command('pending');
    expect(h.fake.api('auth.test')).toHaveLength(1);
  });

  it('answers 503 once stopped, and its alerts post nothing once stopped', async () => {
    expect(h.teamAlerts).toBeDefined();
    await h.slack.stop();
    h.teamAlerts!.stop();
    expect((await h.post(challenge, { ...json, ...h.sign(challenge) })).status).toBe(503);
    await expect(h.teamAlerts!.alert('at_risk', (await h.core.filings.get('VE-2026-000102'))!)).rejects.toThrow('slack alerts stopped');
    expect(h.fake.api('chat.postMessage')).toEqual([]);
    expect(await h.slack.health()).toMatchObject({ ok: false });
  });

  it('reports healthy while running', async () => {
    expect(await h.slack.health()).toEqual({ ok: true, detail: 'http' });
  });
});

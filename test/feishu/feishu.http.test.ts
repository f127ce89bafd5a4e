/** POST /feishu/events over real HTTP: the challenge, and every refusal (unsigned, stale, wrong signature or token, unencrypted, undecryptable, too large), and de-duplication by event_id. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICANT, type Harness, startHarness, TOKEN } from './feishu.harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.fake.mobiles.set(APPLICANT, '+8613800138000');
});
afterEach(async () => h.close());

const challenge = (token: string) => JSON.stringify({ encrypt: h.encrypt({ challenge: 'ch-123', token, type: 'url_verification' }) });

describe('Feishu HTTP events: the URL challenge', () => {
  it('answers an encrypted challenge that carries the verification token, signed or not', async () => {
    const unsigned = await h.post(challenge(TOKEN));
    expect(unsigned).toEqual({ status: 200, text: JSON.stringify({ challenge: 'ch-123' }) });
    const body = challenge(TOKEN);
    expect((await h.post(body, h.sign(body))).text).toBe(JSON.stringify({ challenge: 'ch-123' }));
  });

  it('refuses a challenge with the wrong token (401) and one it cannot decrypt (400)', async () => {
    expect((await h.post(challenge('not-the-token'))).status).toBe(401);
    expect((await h.post(JSON.stringify({ encrypt: 'garbage' }))).status).toBe(400);
  });
});

describe('Feishu HTTP events: refusals change nothing', () => {
  const message = () => ({
    schema: '2.0',
    header: { event_id: 'ev_refused', token: TOKEN, event_type: 'im.message.receive_v1', tenant_key: 'tenant-own' },
    event: {
      sender: { sender_id: { open_id: APPLICANT }, sender_type: 'user', tenant_key: 'tenant-own' },
      message: { message_id: 'om_x', chat_id: 'oc_p2p0001', chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/start' }) },
    },
  });

  it('refuses an unsigned event, a stale or future timestamp, and a wrong signature with 401', async () => {
    const body = JSON.stringify({ encrypt: h.encrypt(message()) });
    expect((await h.post(body)).status).toBe(401);
    const now = Math.floor(h.clock.now().valueOf() / 1000);
    expect((await h.post(body, h.sign(body, now - 301))).status).toBe(401);
    expect((await h.post(body, h.sign(body, now + 301))).status).toBe(401);
    expect((await h.post(body, { ...h.sign(body), 'x-lark-signature': '0'.repeat(64) })).status).toBe(401);
    // Signed for another body: the signature covers the raw bytes.
    expect((await h.post(body, h.sign(`${body} `))).status).toBe(401);
    expect(h.fake.calls).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it('refuses a signed event with the wrong verification token with 401', async () => {
    const wrong = message();
    wrong.header.token = 'wrong-token';
    const body = JSON.stringify({ encrypt: h.encrypt(wrong) });
    expect((await h.post(body, h.sign(body))).status).toBe(401);
    expect(h.fake.calls).toEqual([]);
  });

  it('answers 400 to a signed body that is unencrypted, undecryptable or not JSON, and handles nothing', async () => {
    for (const body of [JSON.stringify(message()), JSON.stringify({ encrypt: 'garbage' }), JSON.stringify({ encrypt: h.encrypt('not an object') }), '{not json']) {
      const answer = await h.post(body, h.sign(body));
      expect(answer.status, body.slice(0, 40)).toBe(400);
    }
    expect(h.fake.calls).toEqual([]);
    // The process is still serving: a good event after the garbage is handled.
    expect((await h.say('/help')).status).toBe(200);
    expect(h.fake.calls).toHaveLength(1);
  });

  it('reads at most 1 MiB: a larger body gets 413', async () => {
    const body = JSON.stringify({ encrypt: 'a'.repeat(1024 * 1024 + 10) });
    expect((await h.post(body, h.sign(body))).status).toBe(413);
  });
});

describe('Feishu HTTP events: de-duplication', () => {
  it('handles an event_id once: Feishu’s retry of it is answered 200 and sends nothing again', async () => {
    expect((await h.say('/help', { eventId: 'ev_same' })).status).toBe(200);
    expect((await h.say('/help', { eventId: 'ev_same' })).status).toBe(200);
    expect(h.fake.calls).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('feishu: duplicate event dropped');
  });
});

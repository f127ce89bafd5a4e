/**
 * FEISHU_MODE=ws: the SDK's WSClient asks FEISHU_DOMAIN for the long connection, and events reach
 * the adapter through the SDK's EventDispatcher exactly as the WSClient hands them over
 * (`invoke(data, { needCheck: false })`, the event unencrypted). The socket itself needs Feishu's
 * gateway and is not faked here.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { APPLICANT, drained, type Harness, P2P, startHarness, TENANT, TOKEN } from './feishu.harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ FEISHU_MODE: 'ws', FEISHU_VERIFICATION_TOKEN: '', FEISHU_ENCRYPT_KEY: '' });
  h.fake.mobiles.set(APPLICANT, '+8613800138000');
});
afterEach(async () => h.close());

/** An event as the long connection delivers it: schema 2.0, not encrypted. */
function wsEvent(eventId: string, type: string, event: Record<string, unknown>) {
  return { schema: '2.0', header: { event_id: eventId, token: TOKEN, event_type: type, tenant_key: TENANT, app_id: 'cli_a1b2c3d4e5f6a7b8' }, event };
}

const message = (eventId: string, text: string) =>
  wsEvent(eventId, 'im.message.receive_v1', {
    sender: { sender_id: { open_id: APPLICANT }, sender_type: 'user', tenant_key: TENANT },
    message: { message_id: `om_${eventId}`, chat_id: P2P, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text }) },
  });

describe('Feishu long connection', () => {
  it('asks FEISHU_DOMAIN for the connection, mounts no HTTP route, and reports the connection in health', async () => {
    expect(h.feishu.mode).toBe('ws');
    await waitFor('the endpoint request', () => h.fake.requests.includes('POST /callback/ws/endpoint'));
    expect((await fetch(h.url, { method: 'POST', body: '{}' })).status).toBe(404);
    // The fake refuses the connection for good, so the adapter says it is down.
    await waitFor('a failed connection', async () => (await h.feishu.health()).detail === 'ws failed');
    expect((await h.feishu.health()).ok).toBe(false);
  });

  it('handles events through the SDK dispatcher: link, lookup, and a redelivered event_id once', async () => {
    await h.feishu.dispatcher.invoke(
      wsEvent('ws_1', 'card.action.trigger', { operator: { open_id: APPLICANT, tenant_key: TENANT }, action: { tag: 'button', value: { k: 'link' } }, context: { open_message_id: 'om_c', open_chat_id: P2P } }),
      { needCheck: false },
    );
    await drained(h.outbox);
    const linked = h.fake.calls.length;
    await h.feishu.dispatcher.invoke(message('ws_2', '/lookup VE-2026-000101'), { needCheck: false });
    await h.feishu.dispatcher.invoke(message('ws_2', '/lookup VE-2026-000101'), { needCheck: false });
    await drained(h.outbox);
    const texts = h.fake.texts();
    expect(texts.slice(0, linked).some((t) => t.includes('已绑定：138****8000。'))).toBe(true);
    // The redelivered lookup sent nothing more.
    expect(texts.slice(linked)).toHaveLength(1);
    expect(texts.at(-1)).toContain('首次备案');
  });

  it('rejects an event whose replies cannot be stored, so the long connection answers 500 and Feishu delivers it again', async () => {
    const enqueue = h.outbox.enqueue.bind(h.outbox);
    h.outbox.enqueue = async () => {
      throw new Error('store down');
    };
    await expect(h.feishu.dispatcher.invoke(message('ws_3', '/help'), { needCheck: false })).rejects.toThrow('store down');
    h.outbox.enqueue = enqueue;
    await h.feishu.dispatcher.invoke(message('ws_3', '/help'), { needCheck: false });
    await drained(h.outbox);
    expect(h.fake.calls).toHaveLength(1);
  });

  it('after a stop, an event is refused (so Feishu delivers it again to the next instance) and nothing is sent', async () => {
    await h.feishu.stop(1000);
    await expect(h.feishu.dispatcher.invoke(message('ws_4', '/help'), { needCheck: false })).rejects.toThrow('stopping');
    expect(await h.core.store.get('feishu:event:ws_4')).toBeUndefined();
    expect(h.fake.calls).toEqual([]);
  });
});

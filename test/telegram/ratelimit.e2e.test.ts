/** 429 handling end to end: a small proxy in front of the emulator answers the first sendMessage with 429 and retry_after. */
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, startRig, TgUser, type Rig } from './support/harness.js';

const TOO_MANY = { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } };

let rig: Rig | undefined;
let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
afterEach(async () => {
  await rig?.stop();
  await proxy?.close();
  rig = undefined;
  proxy = undefined;
});

async function rigBehind429(maxRetryAfterMs?: number): Promise<Rig> {
  return startRig({
    telegram: maxRetryAfterMs === undefined ? {} : { outbox: { maxRetryAfterMs } },
    apiRoot: async (emulatorRoot) => {
      proxy = await startProxy(emulatorRoot, (method, nth) => (method === 'sendMessage' && nth === 1 ? TOO_MANY : undefined));
      return proxy.url;
    },
  });
}

const metric = async (r: Rig, outcome: string) => (await r.core.metrics.sends.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

describe('Telegram, 429 from the Bot API', () => {
  it('waits retry_after and sends the same message again', async () => {
    rig = await rigBehind429();
    const user = new TgUser(rig.emu, 3001);
    await user.send('/help');
    await user.expect(/What I can do/);
    // The emulator stores the message before its answer reaches the bot: let the outbox finish.
    expect(await rig.bot.outbox.drain(5000)).toBe(true);
    expect(proxy!.calls.filter((c) => c === 'sendMessage')).toHaveLength(2);
    expect(await metric(rig, 'retry')).toBe(1);
    expect(await metric(rig, 'ok')).toBe(1);
    const waited = rig.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'telegram rate limited; waiting retry_after');
    expect(waited).toMatchObject({ level: 'warn', apiError: 429, retryAfterMs: 1000 });
  });

  it('above the cap the message is parked with a logged alert: the caller is not held, and it is delivered later', async () => {
    rig = await rigBehind429(500);
    const user = new TgUser(rig.emu, 3002);
    // The proactive send resolves as soon as the message is parked: it does not wait the second out.
    await rig.core.channels.get('telegram')!.send({ channel: 'telegram', userId: '3002', conversationId: '3002' }, [{ text: 'parked one', buttons: [] }]);
    const parked = rig.logs.map((l) => JSON.parse(l)).find((l) => /parked a message/.test(l.msg));
    expect(parked).toMatchObject({ level: 'error', alert: true, apiError: 429, retryAfterMs: 1000, capMs: 500 });
    expect(await metric(rig, 'parked')).toBe(1);
    await user.expect(/^parked one$/);
    expect(await rig.bot.outbox.drain(5000)).toBe(true);
    expect(proxy!.calls.filter((c) => c === 'sendMessage')).toHaveLength(2);
    expect(rig.bot.outbox.parked).toBe(0);
    expect(await rig.bot.health()).toMatchObject({ ok: true });
  });
});

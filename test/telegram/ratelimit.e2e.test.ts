/** 429 handling end to end through the durable outbox: a small proxy in front of the emulator answers the first sendMessage with 429 and retry_after. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Outbox } from '../../src/outbox/outbox.service.js';
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
    outbox: maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs },
    apiRoot: async (emulatorRoot) => {
      proxy = await startProxy(emulatorRoot, (method, nth) => (method === 'sendMessage' && nth === 1 ? TOO_MANY : undefined));
      return proxy.url;
    },
  });
}

/** Waits until the outbox holds nothing (a bound, not an assertion on time). */
async function drained(outbox: Outbox, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await outbox.stats()).pending > 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the outbox to drain');
    await sleep(20);
  }
}

const metric = async (r: Rig, outcome: string) => (await r.core.metrics.sends.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

describe('Telegram, 429 from the Bot API', () => {
  it('waits retry_after and sends the same message again', async () => {
    rig = await rigBehind429();
    const user = new TgUser(rig.emu, 3001);
    await user.send('/help');
    await user.expect(/What I can do/);
    // The emulator stores the message before its answer reaches the bot: let the outbox finish.
    await drained(rig.outbox);
    expect(proxy!.calls.filter((c) => c === 'sendMessage')).toHaveLength(2);
    expect(await metric(rig, 'rate-limited')).toBe(1);
    expect(await metric(rig, 'ok')).toBe(1);
    const waited = rig.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'telegram rate limited; waiting retry_after');
    expect(waited).toMatchObject({ level: 'warn', apiError: 429, retryAfterMs: 1000 });
  });

  it('above the cap the message is parked: the caller is not held, /healthz shows it parked, and it is delivered after the capped wait', async () => {
    rig = await rigBehind429(500);
    const user = new TgUser(rig.emu, 3002);
    // The proactive send resolves once the message is stored: it never waits for Telegram.
    await rig.core.channels.get('telegram')!.send({ channel: 'telegram', userId: '3002', conversationId: '3002' }, [{ text: 'parked one', buttons: [] }]);
    await user.expect(/^parked one$/);
    const parked = rig.logs.map((l) => JSON.parse(l)).find((l) => /parked a message/.test(l.msg));
    expect(parked).toMatchObject({ level: 'warn', retryAfterMs: 1000, capMs: 500 });
    expect(await metric(rig, 'parked')).toBe(1);
    await drained(rig.outbox);
    expect(proxy!.calls.filter((c) => c === 'sendMessage')).toHaveLength(2);
    expect(await rig.outbox.health()).toMatchObject({ ok: true, depth: 0, parked: 0 });
    expect(await rig.bot.health()).toMatchObject({ ok: true });
  });
});

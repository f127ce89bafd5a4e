/**
 * Hung platform calls end to end: the real adapter and TelegramSender (telegraf's client) against the
 * fake Bot API, where some chats' sendMessage is never answered. The others must still be answered
 * while those hang, and the hung replies must go out once their chats answer again.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegram } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/telegram.adapter.js';
import { limitCallTime } from '../../adapters/telegram/telegram.sender.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';
import type { Core } from '../../src/core.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import { HttpServer } from '../../src/server.js';
import { silentLogger } from '../../src/log.js';
import { FakeBotApi, textUpdate } from '../support/fake-bot-api.js';
import { FAST, makeCore, testOutbox, TOKEN, waitFor } from './support/harness.js';

/** Each call's own time limit here: long enough that the other chats are answered well within it. */
const TIMEOUT_MS = 5000;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function startBot(): Promise<{ api: FakeBotApi; core: Core; logs: string[]; outbox: Outbox; bot: TelegramAdapter }> {
  const api = await FakeBotApi.start({ token: TOKEN });
  stops.push(() => api.stop());
  const { core, logs } = await makeCore({ TELEGRAM_API_ROOT: api.apiRoot, PLATFORM_TIMEOUT_MS: String(TIMEOUT_MS) });
  const outbox = testOutbox(core);
  const server = new HttpServer(silentLogger);
  const bot = await startTelegram(
    { config: core.config, turn: (a) => core.runner.run(a, TELEGRAM_CAPABILITIES), people: core.people, store: core.store, outbox, logger: core.logger, metrics: core.metrics, channels: core.channels },
    server,
    FAST,
  );
  outbox.start();
  stops.push(async () => {
    await bot.stop();
    await outbox.stop();
    await server.close();
    await core.close();
  });
  return { api, core, logs, outbox, bot };
}

describe('Telegram, chats whose sends hang', () => {
  it('ten hung chats (more than the 8 shared send slots): every other chat is answered before any hung send times out, and the hung replies go out after their timeout', async () => {
    const { api, logs } = await startBot();
    const hung = Array.from({ length: 10 }, (_, i) => 7001 + i);
    const others = Array.from({ length: 6 }, (_, i) => 7101 + i);
    for (const chat of hung) api.hang(chat);
    for (const chat of hung) api.push(textUpdate({ id: chat, languageCode: 'en' }, '/help'));
    // All ten are in flight at once, each waiting on a connection the fake never answers.
    await waitFor('ten hung sends', () => api.hung.filter((c) => c.open).length === hung.length);

    for (const chat of others) api.push(textUpdate({ id: chat, languageCode: 'en' }, '/help'));
    await waitFor('a reply in every other chat', () => others.every((chat) => api.messagesTo(chat).length > 0));
    // Answered while every hung send still waits: none of their timeouts has fired yet.
    expect(api.hung.filter((c) => c.open).map((c) => Number(c.chatId))).toEqual(hung);
    for (const chat of others) expect(api.messagesTo(chat)[0]).toMatch(/What I can do/);

    for (const chat of hung) api.answer(chat);
    // Each hung send is given up after its timeout (the bot closes the connection) and tried again.
    await waitFor('the hung replies, retried', () => hung.every((chat) => api.messagesTo(chat).length > 0), 4 * TIMEOUT_MS);
    expect(api.hung.every((c) => !c.open)).toBe(true);
    for (const chat of hung) expect(api.messagesTo(chat)[0]).toBe(api.hung.find((c) => Number(c.chatId) === chat)!.text);
    const failed = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'telegram send failed');
    expect(failed).toHaveLength(hung.length);
    for (const line of failed) expect(line).toMatchObject({ outcome: 'transient', description: `sendMessage got no answer within ${TIMEOUT_MS} ms` });
  });
});

describe('Telegram, the time limit on every Bot API call', () => {
  it('a call with no answer is given up after the limit, saying so; a long poll gets its own wait on top; a caller’s abort stays an abort', async () => {
    // A Bot API that reads each request and never answers.
    const silent = createServer((req) => req.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    stops.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const telegram = new Telegram(TOKEN, { apiRoot: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` });
    limitCallTime(telegram, 200);
    await expect(telegram.getMe()).rejects.toThrow('getMe got no answer within 200 ms');
    await expect(telegram.callApi('getUpdates', { timeout: 1 })).rejects.toThrow('getUpdates got no answer within 1200 ms');
    const abort = new AbortController();
    const polling = telegram.callApi('getUpdates', { timeout: 30 }, { signal: abort.signal as never });
    abort.abort();
    await expect(polling).rejects.toThrow(/abort/i);

    // A long poll that waits its full time on a live Bot API is not cut short by the limit.
    const api = await FakeBotApi.start({ token: TOKEN });
    stops.push(() => api.stop());
    const live = new Telegram(TOKEN, { apiRoot: api.apiRoot });
    limitCallTime(live, 200);
    expect(await live.callApi('getUpdates', { timeout: 1 })).toEqual([]);
  });
});

/**
 * Every Bot API call counts against the bot's budget, end to end: the real adapter in webhook mode
 * (so no getUpdates calls) against the fake Bot API, which records each call with its time. "typing"
 * is shown only for a reply that is not out soon, and callback answers take their slots like sends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelegram } from '../../adapters/telegram/telegram.adapter.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';
import type { Activity } from '../../src/activity.js';
import { silentLogger } from '../../src/log.js';
import { HttpServer } from '../../src/server.js';
import { callbackUpdate, FakeBotApi, textUpdate, type CallRecord } from '../support/fake-bot-api.js';
import { makeCore, testOutbox, TOKEN, waitFor } from './support/harness.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A turn that waits for the test to let it go, for the chats named slow. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

async function startBot(o: { perSecond: number; typingAfterMs: number; slowChats?: ReadonlySet<string>; slow?: Promise<void> }) {
  const api = await FakeBotApi.start({ token: TOKEN });
  stops.push(() => api.stop());
  const server = new HttpServer(silentLogger);
  const port = await server.listen(0, '127.0.0.1');
  const { core } = await makeCore({ TELEGRAM_API_ROOT: api.apiRoot, TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/tg`, TELEGRAM_WEBHOOK_SECRET: 'test-secret_1' });
  const outbox = testOutbox(core, { limits: { telegram: { global: { max: o.perSecond, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } } } });
  const turn = async (a: Activity) => {
    if (o.slowChats?.has(a.conversationId)) await o.slow;
    return core.runner.run(a, TELEGRAM_CAPABILITIES);
  };
  const bot = await startTelegram({ config: core.config, turn, people: core.people, store: core.store, outbox, logger: core.logger, metrics: core.metrics, channels: core.channels }, server, {
    typingAfterMs: o.typingAfterMs,
  });
  outbox.start();
  stops.push(async () => {
    await bot.stop();
    await outbox.stop();
    await server.close();
    await core.close();
  });
  return { api };
}

/** The most calls of any method made in one half-open window [t, t + windowMs), counting only calls made from `since` on. */
function peakCalls(calls: readonly CallRecord[], windowMs: number, since: number): number {
  const times = calls.filter((c) => c.at >= since).map((c) => c.at);
  let best = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const chatActions = (calls: readonly CallRecord[], chatId?: number) => calls.filter((c) => c.method === 'sendChatAction' && (chatId === undefined || String(c.params.chat_id) === String(chatId)));

describe('Telegram, every Bot API call within the budget', () => {
  it('a burst whose replies go out promptly shows no "typing" at all: one call per update', async () => {
    const typingAfterMs = 1500;
    const { api } = await startBot({ perSecond: 100, typingAfterMs });
    const chats = Array.from({ length: 20 }, (_, i) => 8001 + i);
    for (const chat of chats) api.push(textUpdate({ id: chat, languageCode: 'en' }, '/help'));
    await waitFor('a reply in every chat', () => chats.every((chat) => api.messagesTo(chat).length > 0));
    // Every watch for a slow reply has run by now; each found its reply already out.
    await sleep(typingAfterMs + 300);
    expect(chatActions(api.calls)).toEqual([]);
    for (const chat of chats) expect(api.messagesTo(chat)).toHaveLength(1);
  });

  it('a reply that is slow to come shows "typing" once, before the reply', async () => {
    const slow = gate();
    const { api } = await startBot({ perSecond: 100, typingAfterMs: 200, slowChats: new Set(['8101']), slow: slow.wait });
    api.push(textUpdate({ id: 8102, languageCode: 'en' }, '/help'));
    api.push(textUpdate({ id: 8101, languageCode: 'en' }, '/help'));
    await waitFor('"typing" in the slow chat', () => chatActions(api.calls, 8101).length > 0);
    slow.open();
    await waitFor('the slow reply', () => api.messagesTo(8101).length > 0);
    await waitFor('the prompt reply', () => api.messagesTo(8102).length > 0);
    const actions = chatActions(api.calls);
    expect(actions.map((c) => [c.params.chat_id, c.params.action])).toEqual([['8101', 'typing']]);
    const reply = api.calls.find((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '8101')!;
    expect(api.calls.indexOf(actions[0]!)).toBeLessThan(api.calls.indexOf(reply));
  });

  it('replies, "typing" and callback answers together never exceed the budget in any 1 s window', async () => {
    const perSecond = 8;
    const slow = gate();
    // Half the writers' turns are held past the "typing" threshold; with the taps, more calls are due in the first second than it allows.
    const texts = Array.from({ length: 8 }, (_, i) => 8201 + i);
    const slowChats = new Set(texts.slice(0, 4).map(String));
    const { api } = await startBot({ perSecond, typingAfterMs: 1200, slowChats, slow: slow.wait });
    const taps = Array.from({ length: 4 }, (_, i) => 8301 + i);
    const since = Date.now();
    for (const chat of texts) api.push(textUpdate({ id: chat, languageCode: 'en' }, '/help'));
    for (const chat of taps) api.push(callbackUpdate({ id: chat, languageCode: 'en' }, 'menu:help'));
    await waitFor('"typing" in every held chat', () => chatActions(api.calls).length === slowChats.size);
    slow.open();
    await waitFor('a reply in every chat that wrote', () => texts.every((chat) => api.messagesTo(chat).length > 0));
    await waitFor('every button answered', () => api.calls.filter((c) => c.method === 'answerCallbackQuery').length === taps.length);
    expect(peakCalls(api.calls, 1000, since)).toBeLessThanOrEqual(perSecond);
    // Only chats whose turn was held showed "typing", each at most once.
    const typed = chatActions(api.calls).map((c) => String(c.params.chat_id));
    expect(typed.every((chat) => slowChats.has(chat))).toBe(true);
    expect(new Set(typed).size).toBe(typed.length);
  });
});

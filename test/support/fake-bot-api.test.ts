/** The Bot API fake, exercised through telegraf's own client: true offset semantics, long polling, webhooks, injected refusals. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegraf, TelegramError } from 'telegraf';
import type { Update } from 'telegraf/types';
import { afterEach, describe, expect, it } from 'vitest';
import { toActivity } from '../../adapters/telegram/telegram.translate.js';
import { callbackUpdate, contactUpdate, FakeBotApi, textUpdate } from './fake-bot-api.js';
import { waitFor } from './wait.js';

const TOKEN = '123456:FAKE-token';
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

async function start(opts: { webhookRetryMs?: number } = {}) {
  const api = await FakeBotApi.start({ token: TOKEN, ...opts });
  cleanup.push(() => api.stop());
  const bot = new Telegraf(TOKEN, { telegram: { apiRoot: api.apiRoot } });
  const getUpdates = (payload: { offset?: number; timeout?: number; limit?: number }, signal?: AbortSignal) => bot.telegram.callApi('getUpdates', payload, signal ? { signal: signal as never } : {}) as Promise<Update[]>;
  return { api, telegram: bot.telegram, getUpdates };
}

/** The error a rejected call gave, as telegraf raises it. */
async function refusal(call: Promise<unknown>): Promise<TelegramError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TelegramError);
  return error as TelegramError;
}

describe('fake Bot API: getMe and the token', () => {
  it('answers getMe with the bot the token names, and 401 for another token', async () => {
    const { api, telegram } = await start();
    expect(await telegram.getMe()).toMatchObject({ id: 123456, is_bot: true, username: 'fake_bot' });
    const other = new Telegraf('999:WRONG', { telegram: { apiRoot: api.apiRoot } });
    expect((await refusal(other.telegram.getMe())).code).toBe(401);
  });
});

describe('fake Bot API: getUpdates keeps an update until a later offset confirms it', () => {
  it('redelivers an unconfirmed update, and forgets it once offset passes it', async () => {
    const { api, getUpdates } = await start();
    const first = api.push(textUpdate(1001, '/start'));
    const second = api.push(textUpdate(1002, '/help'));
    expect((await getUpdates({ offset: 0 })).map((u) => u.update_id)).toEqual([first, second]);
    // No offset confirmed them: a poller that crashed here would get both again.
    expect((await getUpdates({ offset: 0 })).map((u) => u.update_id)).toEqual([first, second]);
    expect(api.deliveries.get(first)).toBe(2);
    // offset = first + 1 confirms only the first.
    expect((await getUpdates({ offset: first + 1 })).map((u) => u.update_id)).toEqual([second]);
    expect(api.pendingCount).toBe(1);
    expect(await getUpdates({ offset: second + 1 })).toEqual([]);
    expect(api.pendingCount).toBe(0);
  });

  it('honours limit', async () => {
    const { api, getUpdates } = await start();
    for (let i = 0; i < 5; i++) api.push(textUpdate(2000 + i, 'hi'));
    expect(await getUpdates({ limit: 2 })).toHaveLength(2);
    expect(await getUpdates({ limit: 100 })).toHaveLength(5);
  });

  it('long-polls: a call with timeout waits and answers with an update pushed meanwhile', async () => {
    const { api, getUpdates } = await start();
    let answered = false;
    const poll = getUpdates({ timeout: 30 }).finally(() => {
      answered = true;
    });
    await waitFor('the poll to reach the fake', () => api.polling);
    expect(answered).toBe(false);
    const id = api.push(textUpdate(1001, 'hello'));
    expect((await poll).map((u) => u.update_id)).toEqual([id]);
  });

  it('a long poll that ends with nothing to deliver answers an empty list', async () => {
    const { getUpdates } = await start();
    expect(await getUpdates({ timeout: 1 })).toEqual([]);
  });

  it('keeps what a poller that went away was handed: the next poller gets it', async () => {
    const { api, getUpdates } = await start();
    const abort = new AbortController();
    const gone = getUpdates({ timeout: 30 }, abort.signal).catch(() => 'aborted');
    await waitFor('the poll to wait', () => api.polling);
    abort.abort();
    expect(await gone).toBe('aborted');
    const id = api.push(textUpdate(1001, '/start'));
    expect((await getUpdates({ offset: 0 })).map((u) => u.update_id)).toEqual([id]);
  });

  it('ends an older long poll with 409 when a newer one arrives, as Telegram does', async () => {
    const { api, getUpdates } = await start();
    const older = getUpdates({ timeout: 30 }).then(
      () => undefined,
      (e: unknown) => e as TelegramError,
    );
    await waitFor('the first poll to wait', () => api.polling);
    const newer = getUpdates({ timeout: 30 });
    expect((await older)?.code).toBe(409);
    const id = api.push(textUpdate(1001, 'hi'));
    expect((await newer).map((u) => u.update_id)).toEqual([id]);
  });
});

describe('fake Bot API: sends are recorded, refusals injected', () => {
  it('records each accepted sendMessage with chat, text, method and time', async () => {
    const { api, telegram } = await start();
    const before = Date.now();
    const msg = await telegram.sendMessage(1001, 'hello');
    expect(msg).toMatchObject({ message_id: 1, chat: { id: 1001, type: 'private' }, text: 'hello' });
    await telegram.editMessageText(1001, msg.message_id, undefined, 'edited');
    await telegram.deleteMessage(1001, msg.message_id);
    await telegram.sendChatAction(1001, 'typing');
    expect(api.sent.map(({ chatId, text, method }) => ({ chatId, text, method }))).toEqual([
      { chatId: '1001', text: 'hello', method: 'sendMessage' },
      { chatId: '1001', text: 'edited', method: 'editMessageText' },
      { chatId: '1001', text: '', method: 'deleteMessage' },
    ]);
    expect(api.sent[0]!.at).toBeGreaterThanOrEqual(before);
    expect(api.messagesTo(1001)).toEqual(['hello']);
  });

  it('answers the setup calls and any other method ok', async () => {
    const { api, telegram } = await start();
    await telegram.setMyCommands([{ command: 'help', description: 'Help' }]);
    await telegram.setMyDescription('d');
    await telegram.setMyShortDescription('s');
    await telegram.answerCbQuery('1');
    expect(await telegram.callApi('getChat' as never, { chat_id: 1 } as never)).toBe(true);
    expect(api.calls.map((c) => c.method)).toEqual(['setMyCommands', 'setMyDescription', 'setMyShortDescription', 'answerCallbackQuery', 'getChat']);
  });

  it('refuses an empty or over-long text as Telegram does', async () => {
    const { api, telegram } = await start();
    expect((await refusal(telegram.sendMessage(1001, ' '))).description).toMatch(/message text is empty/);
    expect((await refusal(telegram.sendMessage(1001, 'x'.repeat(4097)))).description).toMatch(/message is too long/);
    expect(api.sent).toEqual([]);
  });

  it('injects a 429 with retry_after for one chat, then accepts again', async () => {
    const { api, telegram } = await start();
    api.inject429({ chatId: 1001, times: 1, retryAfter: 73414 });
    const error = await refusal(telegram.sendMessage(1001, 'first'));
    expect(error.code).toBe(429);
    expect(error.parameters?.retry_after).toBe(73414);
    await telegram.sendMessage(1002, 'other chat is not affected');
    await telegram.sendMessage(1001, 'second');
    expect(api.messagesTo(1001)).toEqual(['second']);
    expect(api.calls.filter((c) => c.status === 429)).toHaveLength(1);
  });

  it('injects 5xx, and blocks a chat with 403', async () => {
    const { api, telegram } = await start();
    api.injectServerError({ times: 2 });
    expect((await refusal(telegram.sendMessage(1001, 'a'))).code).toBe(502);
    expect((await refusal(telegram.sendMessage(1002, 'b'))).code).toBe(502);
    await telegram.sendMessage(1001, 'c');
    api.block(1003);
    expect((await refusal(telegram.sendMessage(1003, 'd'))).code).toBe(403);
    expect(api.sent.map((s) => s.text)).toEqual(['c']);
  });

  it('measures the most sends in any sliding window', async () => {
    const { api } = await start();
    api.sent.push(...[0, 100, 900, 1000, 1050, 2500].map((at) => ({ chatId: '1', text: 't', method: 'sendMessage', at })));
    expect(api.maxInWindow(1000)).toBe(4); // 100, 900, 1000, 1050
    expect(api.maxInWindow(1000, 2)).toBe(0);
  });
});

describe('fake Bot API: webhook mode', () => {
  it('posts updates with the secret header and retries a non-2xx until the webhook takes it', async () => {
    const { api, telegram, getUpdates } = await start({ webhookRetryMs: 20 });
    const seen: Array<{ id: number; headers: IncomingHttpHeaders }> = [];
    let refuse = 1;
    const hook: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ id: (JSON.parse(Buffer.concat(chunks).toString()) as Update).update_id, headers: req.headers });
        res.writeHead(refuse-- > 0 ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => hook.close(resolve)));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/tg`;
    await telegram.setWebhook(url, { secret_token: 's3cret' });
    expect((await refusal(getUpdates({}))).code).toBe(409);
    const id = api.push(textUpdate(1001, '/start'));
    await waitFor('the webhook to take the update', () => api.pendingCount === 0);
    expect(seen.map((s) => s.id)).toEqual([id, id]);
    expect(seen[0]!.headers['x-telegram-bot-api-secret-token']).toBe('s3cret');
    expect(await telegram.getWebhookInfo()).toMatchObject({ url, pending_update_count: 0, last_error_message: 'Wrong response from the webhook: 503 Service Unavailable' });
    await telegram.deleteWebhook();
    expect(await getUpdates({})).toEqual([]);
  });

  it('treats a webhook that cannot be reached as not delivered', async () => {
    const { api, telegram } = await start({ webhookRetryMs: 20 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await telegram.setWebhook(`http://127.0.0.1:${port}/tg`);
    const id = api.push(textUpdate(1001, '/start'));
    await waitFor('two delivery attempts', () => (api.deliveries.get(id) ?? 0) >= 2);
    expect(api.pendingCount).toBe(1);
    expect((await telegram.getWebhookInfo()).last_error_message).toMatch(/^Connection failed/);
  });
});

describe('fake Bot API: update builders give what the adapter understands', () => {
  it('a text, an own contact and a button tap in a private chat', () => {
    const text = { update_id: 1, ...textUpdate({ id: 1001, languageCode: 'en' }, '/lookup VE-1') } as Update;
    expect(toActivity(text)).toMatchObject({ channel: 'telegram', userId: '1001', conversationId: '1001', locale: 'en', input: { type: 'text', text: '/lookup VE-1' } });
    expect(text).toMatchObject({ message: { entities: [{ type: 'bot_command', offset: 0, length: 7 }] } });
    const contact = { update_id: 2, ...contactUpdate(1001, '+8613800138000') } as Update;
    expect(toActivity(contact)).toMatchObject({ input: { type: 'contact', phone: '+8613800138000', isOwn: true } });
    const foreign = { update_id: 3, ...contactUpdate(1001, '+8613800138000', { ownerId: 42 }) } as Update;
    expect(toActivity(foreign)).toMatchObject({ input: { isOwn: false } });
    const tap = { update_id: 4, ...callbackUpdate(1001, 'r:1') } as Update;
    expect(toActivity(tap)).toMatchObject({ conversationId: '1001', input: { type: 'action', data: 'r:1' } });
  });
});

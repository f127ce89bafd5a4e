/** The Telegram test harness: a Bot API emulator on loopback, a core on the demo filings, and a person who chats like a transcript. */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../support/wait.js';
import { TelegramServer, type StoredBotUpdate } from 'telegram-test-api/lib/telegramServer.js';
import { expect } from 'vitest';
import { startTelegram, type TelegramAdapter, type TelegramDeps, type TelegramOptions } from '../../../adapters/telegram/telegram.adapter.js';
import { FakeClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { createCore, type Core } from '../../../src/core.js';
import { DEMO_ANCHOR } from '../../../src/filings/filings.file.js';
import { createLogger } from '../../../src/log.js';
import { HttpServer } from '../../../src/server.js';
import { KeyvStateStore } from '../../../src/backends/local/keyv.store.js';
import { SqliteOutboxStore } from '../../../src/backends/local/sqlite.outbox.js';
import { Outbox, type OutboxTuning } from '../../../src/outbox/outbox.service.js';
import type { OutboxStore } from '../../../src/outbox/outbox.store.js';
import type { ChannelLimits } from '../../../src/outbox/rate.limiter.js';
import { route } from '../../../flows/router.js';
import { TELEGRAM_CAPABILITIES } from '../../../adapters/telegram/telegram.translate.js';
import { localBackend } from '../../../src/backends/local/local.backend.js';

/** The bot token every test uses. */
export const TOKEN = '123456:ABC';

/** Polling fast enough for tests, the same code paths as production. */
export const FAST: TelegramOptions = { pollIdleMs: 20, pollTimeoutSec: 0 };

/** Limits loose enough for tests (one send in flight per chat still holds, so a chat's order does). */
const LOOSE: ChannelLimits = { global: { max: 1000, windowMs: 1000 }, perChat: { max: 1000, windowMs: 1000 } };

/** Outbox numbers small enough for tests. */
export const FAST_OUTBOX: OutboxTuning = { chatBusyRetryMs: 5, retryBaseMs: 20, pollMs: 50 };

/** A started durable outbox for a test core: in memory unless a store is given, with loose limits and fast retries. */
export function testOutbox(core: Pick<Core, 'metrics' | 'logger'>, opts: { store?: OutboxStore; tuning?: OutboxTuning; limits?: Partial<Record<'telegram' | 'slack', ChannelLimits>> } = {}): Outbox {
  return new Outbox({
    store: opts.store ?? new SqliteOutboxStore(':memory:'),
    metrics: core.metrics,
    logger: core.logger,
    limits: { telegram: LOOSE, slack: LOOSE, ...opts.limits },
    tuning: { ...FAST_OUTBOX, ...opts.tuning },
  });
}

export { waitFor };

/** The emulator, listening on a free loopback port. */
export async function startEmulator(): Promise<{ emu: TelegramServer; apiRoot: string; stop(): Promise<void> }> {
  const emu = new TelegramServer({ host: '127.0.0.1', storeTimeout: 600 });
  // The emulator turns port 0 into 9000; ask for 0 after construction so tests never collide.
  emu.config.port = 0;
  await emu.start();
  const port = ((emu as unknown as { server: Server }).server.address() as AddressInfo).port;
  emu.config.apiURL = `http://127.0.0.1:${port}`;
  return { emu, apiRoot: emu.config.apiURL, stop: async () => void (await emu.stop()) };
}

/** A core on the demo filings (shifted to the fake clock's now), a memory store, and a logger whose lines the test can read. */
export async function makeCore(env: Record<string, string>): Promise<{ core: Core; logs: string[] }> {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, STORE_URL: 'memory://', ...env });
  const core = await createCore(config, { route, backend: localBackend(KeyvStateStore.memory()), logger, clock: new FakeClock(DEMO_ANCHOR) });
  return { core, logs };
}

/** Everything one end-to-end test needs, started in polling mode (or webhook mode with `webhookPath`). */
export interface Rig {
  emu: TelegramServer;
  apiRoot: string;
  core: Core;
  logs: string[];
  bot: TelegramAdapter;
  outbox: Outbox;
  server: HttpServer;
  /** The HTTP server's base URL (webhook mode only). */
  baseUrl?: string;
  stop(): Promise<void>;
}

/** Starts the emulator, a core and the adapter. `apiRoot` overrides where the bot talks to (a proxy); `outboxStore` replaces the in-memory outbox. */
export async function startRig(
  opts: { webhookPath?: string; secret?: string; telegram?: TelegramOptions; outbox?: OutboxTuning; outboxStore?: OutboxStore; apiRoot?: (emulatorRoot: string) => Promise<string> } = {},
): Promise<Rig> {
  const { emu, apiRoot, stop: stopEmu } = await startEmulator();
  const botRoot = opts.apiRoot ? await opts.apiRoot(apiRoot) : apiRoot;
  const logs: string[] = [];
  const server = new HttpServer(createLogger({ sink: (line) => logs.push(line) }));
  let baseUrl: string | undefined;
  const env: Record<string, string> = { TELEGRAM_API_ROOT: botRoot };
  if (opts.webhookPath) {
    const port = await server.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${port}`;
    env.TELEGRAM_WEBHOOK_URL = `${baseUrl}${opts.webhookPath}`;
    env.TELEGRAM_WEBHOOK_SECRET = opts.secret ?? 'test-secret_1';
  }
  const made = await makeCore(env);
  made.logs.push(...logs.splice(0));
  const { core } = made;
  const outbox = testOutbox(core, { tuning: opts.outbox, store: opts.outboxStore });
  const deps: TelegramDeps = {
    config: core.config,
    turn: (a) => core.runner.run(a, TELEGRAM_CAPABILITIES),
    people: core.people,
    store: core.store,
    outbox,
    logger: core.logger,
    metrics: core.metrics,
    channels: core.channels,
  };
  const bot = await startTelegram(deps, server, { ...FAST, ...opts.telegram });
  outbox.start();
  return {
    emu,
    apiRoot,
    core: made.core,
    logs: made.logs,
    bot,
    outbox,
    server,
    baseUrl,
    stop: async () => {
      await bot.stop();
      await outbox.stop();
      await server.close();
      await made.core.close();
      await stopEmu();
    },
  };
}

/** A bot message as the emulator stored it, with its text unescaped and its callback buttons flattened (URL buttons are in `markup`). */
export interface BotMessage {
  html: string;
  plain: string;
  buttons: Array<{ text: string; data: string }>;
  markup: Record<string, unknown> | undefined;
  parseMode: unknown;
}

/** Undoes the three escapes Telegram's HTML mode needs. */
export function unescapeHtml(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function toBotMessage(stored: StoredBotUpdate): BotMessage {
  const msg = stored.message as unknown as { text: string; parse_mode?: unknown; reply_markup?: Record<string, unknown> };
  const inline = (msg.reply_markup?.inline_keyboard ?? []) as Array<Array<{ text: string; callback_data?: string }>>;
  return {
    html: msg.text,
    plain: unescapeHtml(msg.text),
    buttons: inline.flat().flatMap((b) => (b.callback_data === undefined ? [] : [{ text: b.text, data: b.callback_data }])),
    markup: msg.reply_markup,
    parseMode: msg.parse_mode,
  };
}

/** The bot messages the emulator holds for one chat, in order. */
export function botMessages(emu: TelegramServer, chatId: number | string): BotMessage[] {
  return emu.storage.botMessages.filter((m) => m.botToken === TOKEN && String(m.message.chat_id) === String(chatId)).map(toBotMessage);
}

/** A person in a private chat with the bot, through the emulator's client API, read like a transcript. */
export class TgUser {
  private read = 0;
  private last: BotMessage | undefined;
  readonly client;

  constructor(
    readonly emu: TelegramServer,
    readonly userId: number,
    readonly lang = 'en',
  ) {
    this.client = emu.getClient(TOKEN, { userId, chatId: userId, firstName: `User${userId}` });
  }

  /** Sends a text message (commands included). */
  async send(text: string): Promise<this> {
    await this.client.sendMessage(this.client.makeMessage(text, { from: { language_code: this.lang } as never }));
    return this;
  }

  /** Shares a contact; it is this person's own unless `ownerId` says otherwise (`null`: no user_id at all). */
  async shareContact(phone: string, ownerId: number | null = this.userId): Promise<this> {
    const contact = { phone_number: phone, first_name: 'Contact', ...(ownerId === null ? {} : { user_id: ownerId }) };
    const message = this.client.makeMessage(undefined as unknown as string, { from: { language_code: this.lang } as never, contact } as never);
    await this.client.sendMessage(message);
    return this;
  }

  /** Presses a button of the last message by its label, or sends raw callback data with `{ data }`. */
  async tap(button: RegExp | { data: string }): Promise<this> {
    let data: string;
    if (button instanceof RegExp) {
      const found = this.last?.buttons.find((b) => button.test(b.text));
      if (!found) throw new Error(`no button ${button} in: ${JSON.stringify(this.last?.buttons.map((b) => b.text))}`);
      data = found.data;
    } else data = button.data;
    await this.client.sendCallback(this.client.makeCallbackQuery(data, { from: { language_code: this.lang } as never }));
    return this;
  }

  /** The next bot message in this chat. */
  async next(): Promise<BotMessage> {
    const all = await waitFor(`bot message #${this.read + 1} in chat ${this.userId}`, () => {
      const list = botMessages(this.emu, this.userId);
      return list.length > this.read ? list : undefined;
    });
    this.last = all[this.read++]!;
    return this.last;
  }

  /** The next bot message, which must match. */
  async expect(pattern: RegExp): Promise<BotMessage> {
    const msg = await this.next();
    expect(msg.plain).toMatch(pattern);
    return msg;
  }
}

/** A recording proxy in front of the emulator; `intercept` may answer a call itself (a 429, say). */
export async function startProxy(
  target: string,
  intercept: (method: string, nth: number) => { status: number; body: unknown } | undefined = () => undefined,
): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const targetUrl = new URL(target);
  const server = createServer((req, res) => {
    const method = (req.url ?? '').split('/').pop()?.split('?')[0] ?? '';
    const nth = (counts.get(method) ?? 0) + 1;
    counts.set(method, nth);
    calls.push(method);
    const answer = intercept(method, nth);
    if (answer) {
      req.resume();
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const upstream = request({ host: targetUrl.hostname, port: targetUrl.port, path: req.url, method: req.method, headers: { ...req.headers, host: targetUrl.host } }, (up: IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Posts a raw update to a webhook, as Telegram would. */
export async function postUpdate(url: string, body: unknown, secret: string | undefined): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

/** A private-chat text update for webhook tests. */
export function textUpdate(updateId: number, userId: number, text: string, messageId = updateId): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      date: 1_764_388_800,
      from: { id: userId, is_bot: false, first_name: 'Web', language_code: 'en' },
      chat: { id: userId, type: 'private', first_name: 'Web' },
      text,
    },
  };
}

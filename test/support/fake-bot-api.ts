/**
 * A small Telegram Bot API fake on loopback for durability tests. Unlike telegram-test-api it keeps
 * each update until a later getUpdates `offset` confirms it (or a webhook answers 2xx), so it shows
 * what a crash loses. It records every send with its time and can answer with injected 429s and 5xx.
 * Point telegraf at `apiRoot` (TELEGRAM_API_ROOT); it calls `${apiRoot}/bot${token}/${method}`.
 */
import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'telegraf/types';
import type { UpdateBody } from './fake-bot-api.updates.js';

export { callbackUpdate, contactUpdate, textUpdate, type Person, type UpdateBody } from './fake-bot-api.updates.js';

/** One message-level call the bot made to a chat (sendMessage, editMessageText, deleteMessage). */
export interface SentRecord {
  chatId: string;
  text: string;
  method: string;
  /** Epoch ms when the fake accepted it. */
  at: number;
}

/** Any call the bot made, accepted or refused. */
export interface CallRecord {
  method: string;
  params: Record<string, unknown>;
  at: number;
  /** The HTTP status the fake answered. */
  status: number;
}

/** A refusal to inject: the next `times` matching sends get it. */
export interface Injection {
  /** Only sends to this chat (any chat when unset). */
  chatId?: string | number;
  /** Only this method (any send when unset). */
  method?: string;
  times: number;
}

const SEND_METHODS = new Set(['sendMessage', 'editMessageText', 'deleteMessage', 'sendChatAction', 'answerCallbackQuery']);
const RECORDED = new Set(['sendMessage', 'editMessageText', 'deleteMessage']);
const MAX_TEXT = 4096;

interface Waiter {
  limit: number;
  timer: NodeJS.Timeout;
  ok(updates: Update[]): void;
  fail(status: number, description: string): void;
}

interface Webhook {
  url: string;
  secret?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/** The fake Bot API server. */
export class FakeBotApi {
  /** Message-level sends that were accepted, in order. */
  readonly sent: SentRecord[] = [];
  /** Every call, in order. */
  readonly calls: CallRecord[] = [];
  /** How often each update_id was handed out (by getUpdates or a webhook POST). */
  readonly deliveries = new Map<number, number>();
  apiRoot = '';
  private readonly server: Server;
  private pending: Update[] = [];
  private nextUpdateId = 1;
  private waiter?: Waiter;
  private webhook?: Webhook;
  private readonly inFlight = new Set<number>();
  private retryTimer?: NodeJS.Timeout;
  private readonly tooMany: Array<Injection & { retryAfter: number }> = [];
  private readonly failures: Array<Injection & { status: number }> = [];
  private readonly blocked = new Set<string>();
  private readonly messageIds = new Map<string, number>();

  private constructor(
    readonly token: string,
    private readonly webhookRetryMs: number,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts the fake on a free 127.0.0.1 port. `webhookRetryMs`: how soon a failed webhook delivery is tried again. */
  static async start(opts: { token?: string; webhookRetryMs?: number } = {}): Promise<FakeBotApi> {
    const api = new FakeBotApi(opts.token ?? '123456:FAKE-token', opts.webhookRetryMs ?? 200);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    api.apiRoot = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    return api;
  }

  /** The bot's own user id (the token's number). */
  get botId(): number {
    return Number(this.token.split(':')[0]);
  }

  /** Updates not yet confirmed by an offset or a 2xx webhook answer. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Whether a long poll is open and waiting for an update. */
  get polling(): boolean {
    return this.waiter !== undefined;
  }

  /** The webhook URL currently set, if any. */
  get webhookUrl(): string | undefined {
    return this.webhook?.url;
  }

  /** Queues an update as if a person had acted; returns its update_id. */
  push(body: UpdateBody): number {
    const update = { update_id: this.nextUpdateId++, ...body } as Update;
    this.pending.push(update);
    this.wake();
    return update.update_id;
  }

  /** The next `times` sends (to `chatId` when given) get 429 with `retry_after` seconds. */
  inject429(o: Injection & { retryAfter: number }): void {
    this.tooMany.push({ ...o });
  }

  /** The next `times` sends (to `chatId` when given) get this 5xx status (502 by default). */
  injectServerError(o: Injection & { status?: number }): void {
    this.failures.push({ ...o, status: o.status ?? 502 });
  }

  /** Every later send to this chat gets 403 "bot was blocked by the user". */
  block(chatId: string | number): void {
    this.blocked.add(String(chatId));
  }

  /** The texts of sendMessage calls accepted for one chat, in order. */
  messagesTo(chatId: string | number): string[] {
    return this.sent.filter((s) => s.method === 'sendMessage' && s.chatId === String(chatId)).map((s) => s.text);
  }

  /** The most sendMessage calls accepted in any window of `windowMs` (to one chat when given): a sliding-window rate. */
  maxInWindow(windowMs: number, chatId?: string | number): number {
    const times = this.sent.filter((s) => s.method === 'sendMessage' && (chatId === undefined || s.chatId === String(chatId))).map((s) => s.at);
    let best = 0;
    for (let lo = 0, hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= windowMs) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /** Stops the server, ending any open long poll. */
  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    if (this.waiter) this.finishPoll([]);
    this.webhook = undefined;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)/.exec(req.url ?? '');
    const method = match?.[2] ?? '';
    let params: Record<string, unknown>;
    try {
      params = await readParams(req);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: body is not valid JSON' }));
      return;
    }
    const reply = (status: number, body: Record<string, unknown>) => {
      this.calls.push({ method, params, at: Date.now(), status });
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const ok = (result: unknown) => reply(200, { ok: true, result });
    const fail = (status: number, description: string, parameters?: Record<string, unknown>) =>
      reply(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    if (!match || match[1] !== this.token) return fail(match ? 401 : 404, match ? 'Unauthorized' : 'Not Found');
    if (SEND_METHODS.has(method)) {
      const refusal = this.refusal(method, String(params.chat_id ?? ''));
      if (refusal) return fail(refusal.status, refusal.description, refusal.parameters);
    }
    switch (method) {
      case 'getMe':
        return ok({ id: this.botId, is_bot: true, first_name: 'Fake Bot', username: 'fake_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'getUpdates':
        return this.getUpdates(params, res, { ok, fail });
      case 'setWebhook':
        return ok(this.setWebhook(params));
      case 'deleteWebhook':
        this.webhook = undefined;
        if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') this.pending = [];
        return ok(true);
      case 'getWebhookInfo':
        return ok({
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.pending.length,
          ...(this.webhook ? { max_connections: this.webhook.maxConnections } : {}),
          ...(this.webhook?.lastErrorDate ? { last_error_date: this.webhook.lastErrorDate, last_error_message: this.webhook.lastErrorMessage } : {}),
        });
      case 'sendMessage':
      case 'editMessageText': {
        const text = String(params.text ?? '');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
        const chatId = String(params.chat_id ?? '');
        this.sent.push({ chatId, text, method, at: Date.now() });
        const messageId = method === 'sendMessage' ? this.nextMessageId(chatId) : Number(params.message_id);
        return ok({ message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: Number(chatId) > 0 ? 'private' : 'group' }, from: { id: this.botId, is_bot: true, first_name: 'Fake Bot', username: 'fake_bot' }, text });
      }
      case 'deleteMessage':
        this.sent.push({ chatId: String(params.chat_id ?? ''), text: '', method, at: Date.now() });
        return ok(true);
      default:
        // answerCallbackQuery, sendChatAction, setMyCommands, setMyDescription, setMyShortDescription and the rest.
        return ok(true);
    }
  }

  /** The injected or standing refusal for a send, consuming one injection. */
  private refusal(method: string, chatId: string): { status: number; description: string; parameters?: Record<string, unknown> } | undefined {
    const matches = (i: Injection) => i.times > 0 && (i.chatId === undefined || String(i.chatId) === chatId) && (i.method === undefined || i.method === method);
    const failure = this.failures.find(matches);
    if (failure) {
      failure.times -= 1;
      return { status: failure.status, description: 'Bad Gateway' };
    }
    const tooMany = this.tooMany.find(matches);
    if (tooMany) {
      tooMany.times -= 1;
      return { status: 429, description: `Too Many Requests: retry after ${tooMany.retryAfter}`, parameters: { retry_after: tooMany.retryAfter } };
    }
    if (this.blocked.has(chatId) && method !== 'answerCallbackQuery') return { status: 403, description: 'Forbidden: bot was blocked by the user' };
    return undefined;
  }

  private getUpdates(params: Record<string, unknown>, res: ServerResponse, answer: Pick<Waiter, 'ok' | 'fail'>): void {
    if (this.webhook) return answer.fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeoutS = Math.max(0, Number(params.timeout ?? 0));
    // As Telegram: an offset confirms every update below it; a negative one keeps only the last -offset.
    if (offset > 0) this.pending = this.pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.pending = this.pending.slice(offset);
    // Telegram ends an older long poll when a newer one arrives (two instances polling one bot).
    if (this.waiter) this.endPoll(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    if (this.pending.length > 0 || timeoutS === 0) return answer.ok(this.handOut(limit));
    const waiter: Waiter = { ...answer, limit, timer: setTimeout(() => this.finishPoll([]), timeoutS * 1000) };
    this.waiter = waiter;
    // A poller that went away (killed) is no longer waiting; what it was handed stays pending.
    res.on('close', () => {
      if (this.waiter === waiter) {
        clearTimeout(waiter.timer);
        this.waiter = undefined;
      }
    });
  }

  private handOut(limit: number): Update[] {
    const batch = this.pending.slice(0, limit);
    for (const u of batch) this.deliveries.set(u.update_id, (this.deliveries.get(u.update_id) ?? 0) + 1);
    return batch;
  }

  private finishPoll(updates: Update[]): void {
    const w = this.waiter;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiter = undefined;
    w.ok(updates);
  }

  private endPoll(status: number, description: string): void {
    const w = this.waiter;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiter = undefined;
    w.fail(status, description);
  }

  /** A new update arrived: answer the open long poll or start a webhook delivery. */
  private wake(): void {
    if (this.waiter) this.finishPoll(this.handOut(this.waiter.limit));
    if (this.webhook) this.pump();
  }

  private setWebhook(params: Record<string, unknown>): boolean {
    const url = String(params.url ?? '');
    if (url === '') {
      this.webhook = undefined;
      return true;
    }
    if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') this.pending = [];
    this.endPoll(409, 'Conflict: terminated by setWebhook request');
    this.webhook = { url, secret: typeof params.secret_token === 'string' ? params.secret_token : undefined, maxConnections: Number(params.max_connections ?? 40) };
    this.pump();
    return true;
  }

  /** Posts pending updates to the webhook, up to max_connections at once; a failure is retried after webhookRetryMs. */
  private pump(): void {
    const hook = this.webhook;
    if (!hook) return;
    for (const update of this.pending) {
      if (this.inFlight.size >= hook.maxConnections) return;
      if (this.inFlight.has(update.update_id)) continue;
      this.inFlight.add(update.update_id);
      this.deliveries.set(update.update_id, (this.deliveries.get(update.update_id) ?? 0) + 1);
      void postJson(hook.url, update, hook.secret).then((error) => {
        this.inFlight.delete(update.update_id);
        if (error === undefined) {
          this.pending = this.pending.filter((u) => u.update_id !== update.update_id);
          this.pump();
          return;
        }
        hook.lastErrorDate = Math.floor(Date.now() / 1000);
        hook.lastErrorMessage = error;
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), this.webhookRetryMs);
      });
    }
  }

  private nextMessageId(chatId: string): number {
    const id = (this.messageIds.get(chatId) ?? 0) + 1;
    this.messageIds.set(chatId, id);
    return id;
  }
}

/** POSTs one update as Telegram does; resolves undefined on 2xx, else the error as getWebhookInfo words it. */
function postJson(url: string, body: unknown, secret: string | undefined): Promise<string | undefined> {
  const raw = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw), ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) }, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? undefined : `Wrong response from the webhook: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('Timeout')));
    req.on('error', (error) => resolve(`Connection failed: ${error.message}`));
    req.end(raw);
  });
}

/** The call's parameters from a JSON or urlencoded body, or the query string. */
async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json') && raw !== '') return { ...query, ...(JSON.parse(raw) as Record<string, unknown>) };
  if (type.startsWith('application/x-www-form-urlencoded')) return { ...query, ...Object.fromEntries(new URLSearchParams(raw)) };
  return query;
}

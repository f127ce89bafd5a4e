/**
 * A small Telegram Bot API fake on loopback for durability tests. Unlike telegram-test-api it keeps
 * each update until a later getUpdates `offset` confirms it (or a webhook answers 2xx), so it shows
 * what a crash loses. It records every send with its time and can answer with injected 429s and 5xx,
 * or never answer a chat's sendMessage at all (`hang`).
 * Point telegraf at `apiRoot` (TELEGRAM_API_ROOT); it calls `${apiRoot}/bot${token}/${method}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'telegraf/types';
import { postJson, readParams, Refusals, type Injection } from './fake-bot-api.http.js';
import type { UpdateBody } from './fake-bot-api.updates.js';

export type { Injection } from './fake-bot-api.http.js';
export { callbackUpdate, contactUpdate, textUpdate, type UpdateBody } from './fake-bot-api.updates.js';

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

/** A sendMessage the fake never answered (its chat hangs); `open` until the bot gave it up and closed the connection. */
export interface HungCall {
  chatId: string;
  text: string;
  at: number;
  open: boolean;
}

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
  /** sendMessage calls to hung chats, never answered, in order. */
  readonly hung: HungCall[] = [];
  apiRoot = '';
  private readonly server: Server;
  private pending: Update[] = [];
  private nextUpdateId = 1;
  private waiter?: Waiter;
  private webhook?: Webhook;
  private readonly inFlight = new Set<number>();
  /** When a webhook delivery that failed may be tried again, by update_id. */
  private readonly notBefore = new Map<number, number>();
  private retryTimer?: NodeJS.Timeout;
  private readonly refusals = new Refusals();
  private readonly messageIds = new Map<string, number>();
  private readonly hungChats = new Set<string>();

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
    this.refusals.tooMany.push({ ...o });
  }

  /** The next `times` sends (to `chatId` when given) get this 5xx status (502 by default). */
  injectServerError(o: Injection & { status?: number }): void {
    this.refusals.failures.push({ ...o, status: o.status ?? 502 });
  }

  /** Every later send to this chat gets 403 "bot was blocked by the user". */
  block(chatId: string | number): void {
    this.refusals.blocked.add(String(chatId));
  }

  /** Every later sendMessage to this chat is never answered (the connection stays open) until `answer(chatId)`. */
  hang(chatId: string | number): void {
    this.hungChats.add(String(chatId));
  }

  /** Later sendMessage calls to this chat are answered again (those already hung stay unanswered). */
  answer(chatId: string | number): void {
    this.hungChats.delete(String(chatId));
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
    this.answerPoll((w) => w.ok([]));
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
    const fail = (status: number, description: string, parameters?: Record<string, unknown>) => reply(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    if (!match || match[1] !== this.token) return fail(match ? 401 : 404, match ? 'Unauthorized' : 'Not Found');
    if (method === 'sendMessage' && this.hungChats.has(String(params.chat_id ?? ''))) {
      const call: HungCall = { chatId: String(params.chat_id), text: String(params.text ?? ''), at: Date.now(), open: true };
      this.hung.push(call);
      res.on('close', () => {
        call.open = false;
      });
      return;
    }
    const refusal = this.refusals.next(method, String(params.chat_id ?? ''));
    if (refusal) return fail(refusal.status, refusal.description, refusal.parameters);
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
      case 'getWebhookInfo': {
        const h = this.webhook;
        // Undefined fields drop out of the JSON, as Telegram omits them.
        return ok({
          url: h?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.pending.length,
          max_connections: h?.maxConnections,
          last_error_date: h?.lastErrorDate,
          last_error_message: h?.lastErrorMessage,
        });
      }
      case 'sendMessage':
      case 'editMessageText': {
        const text = String(params.text ?? '');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
        const chatId = String(params.chat_id ?? '');
        this.sent.push({ chatId, text, method, at: Date.now() });
        const messageId = method === 'sendMessage' ? this.nextMessageId(chatId) : Number(params.message_id);
        return ok({
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: Number(chatId) > 0 ? 'private' : 'group' },
          from: { id: this.botId, is_bot: true, first_name: 'Fake Bot', username: 'fake_bot' },
          text,
        });
      }
      case 'deleteMessage':
        this.sent.push({ chatId: String(params.chat_id ?? ''), text: '', method, at: Date.now() });
        return ok(true);
      default:
        // answerCallbackQuery, sendChatAction, setMyCommands, setMyDescription, setMyShortDescription and the rest.
        return ok(true);
    }
  }

  private getUpdates(params: Record<string, unknown>, res: ServerResponse, answer: Pick<Waiter, 'ok' | 'fail'>): void {
    if (this.webhook) {
      answer.fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      return;
    }
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeoutS = Math.max(0, Number(params.timeout ?? 0));
    // As Telegram: an offset confirms every update below it; a negative one keeps only the last -offset.
    if (offset > 0) this.pending = this.pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.pending = this.pending.slice(offset);
    // Telegram ends an older long poll when a newer one arrives (two instances polling one bot).
    this.answerPoll((w) => w.fail(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
    if (this.pending.length > 0 || timeoutS === 0) {
      answer.ok(this.handOut(limit));
      return;
    }
    const waiter: Waiter = { ...answer, limit, timer: setTimeout(() => this.answerPoll((w) => w.ok([])), timeoutS * 1000) };
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

  /** Answers the open long poll, if any, and forgets it. */
  private answerPoll(answer: (w: Waiter) => void): void {
    const w = this.waiter;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiter = undefined;
    answer(w);
  }

  /** A new update arrived: answer the open long poll or start a webhook delivery. */
  private wake(): void {
    this.answerPoll((w) => w.ok(this.handOut(w.limit)));
    if (this.webhook) this.pump();
  }

  private setWebhook(params: Record<string, unknown>): boolean {
    const url = String(params.url ?? '');
    if (url === '') {
      this.webhook = undefined;
      return true;
    }
    if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') this.pending = [];
    this.answerPoll((w) => w.fail(409, 'Conflict: terminated by setWebhook request'));
    this.webhook = { url, secret: typeof params.secret_token === 'string' ? params.secret_token : undefined, maxConnections: Number(params.max_connections ?? 40) };
    this.pump();
    return true;
  }

  /** Posts pending updates to the webhook, up to max_connections at once; a failure is retried after webhookRetryMs. */
  private pump(): void {
    const hook = this.webhook;
    if (!hook) return;
    // A timer may fire a millisecond before Date.now() reaches the retry time: one still waiting gets a timer of its own.
    let waiting = Number.POSITIVE_INFINITY;
    for (const update of this.pending) {
      if (this.inFlight.size >= hook.maxConnections) return;
      const notBefore = this.notBefore.get(update.update_id) ?? 0;
      if (this.inFlight.has(update.update_id)) continue;
      if (notBefore > Date.now()) {
        waiting = Math.min(waiting, notBefore);
        continue;
      }
      this.inFlight.add(update.update_id);
      this.deliveries.set(update.update_id, (this.deliveries.get(update.update_id) ?? 0) + 1);
      void postJson(hook.url, update, hook.secret).then((error) => {
        this.inFlight.delete(update.update_id);
        if (error === undefined) {
          this.notBefore.delete(update.update_id);
          this.pending = this.pending.filter((u) => u.update_id !== update.update_id);
          this.pump();
          return;
        }
        hook.lastErrorDate = Math.floor(Date.now() / 1000);
        hook.lastErrorMessage = error;
        this.notBefore.set(update.update_id, Date.now() + this.webhookRetryMs);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), this.webhookRetryMs);
      });
    }
    if (waiting !== Number.POSITIVE_INFINITY) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.pump(), Math.max(1, waiting - Date.now() + 1));
    }
  }

  private nextMessageId(chatId: string): number {
    const id = (this.messageIds.get(chatId) ?? 0) + 1;
    this.messageIds.set(chatId, id);
    return id;
  }
}

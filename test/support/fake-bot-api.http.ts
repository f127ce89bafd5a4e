/** The fake Bot API's plumbing: injected refusals, reading a call's parameters, posting an update to a webhook. */
import { request, type IncomingMessage } from 'node:http';

/** A refusal to inject: the next `times` matching sends get it. */
export interface Injection {
  /** Only sends to this chat (any chat when unset). */
  chatId?: string | number;
  /** Only this method (any send when unset). */
  method?: string;
  times: number;
}

const SEND_METHODS = new Set(['sendMessage', 'editMessageText', 'deleteMessage', 'sendChatAction', 'answerCallbackQuery']);

/** A refusal the fake answers instead of doing the call. */
export interface Refusal {
  status: number;
  description: string;
  parameters?: Record<string, unknown>;
}

/** The refusals a test injected: 5xx first, then 429s, then chats that blocked the bot. */
export class Refusals {
  readonly tooMany: Array<Injection & { retryAfter: number }> = [];
  readonly failures: Array<Injection & { status: number }> = [];
  readonly blocked = new Set<string>();

  /** The refusal for this call, if any, consuming one injection; only sends to a chat are ever refused. */
  next(method: string, chatId: string): Refusal | undefined {
    if (!SEND_METHODS.has(method)) return undefined;
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
}

/** POSTs one update as Telegram does; resolves undefined on 2xx, else the error as getWebhookInfo words it. */
export function postJson(url: string, body: unknown, secret: string | undefined): Promise<string | undefined> {
  const raw = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw), ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) }, timeout: 60_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? undefined : `Wrong response from the webhook: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      },
    );
    req.on('timeout', () => req.destroy(new Error('Timeout')));
    req.on('error', (error) => resolve(`Connection failed: ${error.message}`));
    req.end(raw);
  });
}

/** The call's parameters from a JSON or urlencoded body, or the query string. */
export async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json') && raw !== '') return { ...query, ...(JSON.parse(raw) as Record<string, unknown>) };
  if (type.startsWith('application/x-www-form-urlencoded')) return { ...query, ...Object.fromEntries(new URLSearchParams(raw)) };
  return query;
}

/**
 * Telegram's side of the durable outbox: what a stored Telegram message looks like (a send or a
 * deletion, already rendered), how a turn's or a reminder's messages become stored messages, and
 * the Sender that makes the Bot API call and sorts its answer into ok / retry-after / transient / permanent.
 */
import type { Telegram } from 'telegraf';
import type { OutgoingMessage } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import { toOutboxRecords, type JsonValue, type NewOutboxMessage, type OutboxBatch, type Sender, type SendResult } from '../../src/outbox/outbox.types.js';
import { renderMessages, type TgSendArgs } from './telegram.translate.js';

/** A stored Telegram call: a rendered sendMessage, or the deletion of a message that looked like a code. */
export type TgPayload = { op: 'send'; text: string; extra: TgSendArgs['extra'] } | { op: 'delete'; messageId: number };

/** The error fields the Bot API gives (telegraf's TelegramError carries them in `response`). */
export function apiErrorOf(error: unknown): { code?: number; retryAfterS?: number; description: string } {
  const response = (error as { response?: { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } } } | undefined)?.response;
  const code = typeof response?.error_code === 'number' ? response.error_code : undefined;
  const retryAfter = response?.parameters?.retry_after;
  const description = typeof response?.description === 'string' ? response.description : error instanceof Error ? error.message : String(error);
  return { code, retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined, description };
}

/**
 * Sorts a failed Bot API call: 429 says when to come back, no answer or a 5xx is worth a retry, anything else is final.
 * A call that timed out counts as no answer: Telegram may or may not have delivered it, and a message
 * sent twice is better than a reply lost (the outbox delivers at least once).
 */
export function toSendResult(error: unknown): Exclude<SendResult, { kind: 'ok' }> {
  const api = apiErrorOf(error);
  if (api.code === 429) return { kind: 'retry-after', retryAfterMs: (api.retryAfterS ?? 1) * 1000, error: api.description };
  if (api.code === undefined || api.code >= 500) return { kind: 'transient', error: api.description };
  return { kind: 'permanent', error: `${api.code} ${api.description}` };
}

/** A Bot API call given up after its time limit; whether Telegram acted on it is unknown. */
class CallTimeoutError extends Error {
  constructor(method: string, ms: number, options?: ErrorOptions) {
    super(`${method} got no answer within ${ms} ms`, options);
    this.name = 'CallTimeoutError';
  }
}

/**
 * Gives every call of this client a time limit of its own, `timeoutMs` (a long poll adds the
 * seconds it asked to wait), instead of telegraf's 500 s: a call that hangs would otherwise hold
 * its outbox slot, or the poll loop, for minutes. A caller's own signal still cancels it sooner.
 */
export function limitCallTime(telegram: Telegram, timeoutMs: number): void {
  const call = telegram.callApi.bind(telegram) as (method: string, payload: unknown, opts?: { signal?: AbortSignal }) => Promise<unknown>;
  const limited = async (method: string, payload: unknown, opts: { signal?: AbortSignal } = {}): Promise<unknown> => {
    const waitS = method === 'getUpdates' ? Number((payload as { timeout?: unknown }).timeout ?? 0) : 0;
    const ms = timeoutMs + (Number.isFinite(waitS) ? waitS * 1000 : 0);
    const deadline = AbortSignal.timeout(ms);
    try {
      return await call(method, payload, { signal: opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline });
    } catch (error) {
      if (deadline.aborted && !opts.signal?.aborted) throw new CallTimeoutError(method, ms, { cause: error });
      throw error;
    }
  };
  telegram.callApi = limited as unknown as Telegram['callApi'];
}

/** How one batch of messages is stored. */
export interface ToOutboxOptions extends OutboxBatch {
  /** Decided in translation: only private chats get the request_contact keyboard. */
  privateChat: boolean;
  removeKeyboard?: boolean;
  /** The incoming message to delete first (the code guard). */
  deleteMessageId?: number;
}

/** Renders messages into the outbox records for one chat, the deletion (if any) first; `dropped` counts buttons over 64 bytes. */
export function toOutboxMessages(messages: OutgoingMessage[], o: ToOutboxOptions): { records: NewOutboxMessage[]; dropped: number } {
  const { sends, dropped } = renderMessages(messages, { privateChat: o.privateChat, removeKeyboard: o.removeKeyboard });
  const payloads: Array<[string, TgPayload]> = [];
  if (o.deleteMessageId !== undefined) payloads.push(['del', { op: 'delete', messageId: o.deleteMessageId }]);
  for (const [i, s] of sends.entries()) payloads.push([String(i), { op: 'send', text: s.text, extra: s.extra }]);
  const records = toOutboxRecords('telegram', payloads, o);
  return { records, dropped };
}

/** The Sender the outbox drains Telegram messages through. */
export class TelegramSender implements Sender {
  constructor(
    private readonly telegram: Pick<Telegram, 'sendMessage' | 'deleteMessage'>,
    private readonly log: Logger,
  ) {}

  async send(chatId: string, payload: JsonValue): Promise<SendResult> {
    const p = payload as unknown as TgPayload;
    try {
      if (p.op === 'delete') await this.telegram.deleteMessage(chatId, p.messageId);
      else await this.telegram.sendMessage(chatId, p.text, p.extra);
      return { kind: 'ok' };
    } catch (error) {
      const result = toSendResult(error);
      // Not `code`: the logger redacts any field named like one (SMS codes, RULES R8).
      const api = apiErrorOf(error);
      if (p.op === 'delete' && result.kind === 'permanent') this.log.warn('telegram could not delete a message that looked like a code', { chat: chatId, apiError: api.code, description: api.description });
      else if (result.kind === 'retry-after') this.log.warn('telegram rate limited; waiting retry_after', { chat: chatId, apiError: api.code, retryAfterMs: result.retryAfterMs });
      else this.log.warn('telegram send failed', { chat: chatId, apiError: api.code, description: api.description, outcome: result.kind });
      return result;
    }
  }
}

/**
 * The Feishu Open API calls this adapter makes, over the official SDK's Client (which fetches and
 * caches the tenant_access_token): send, reply, update a card, read a person's profile, and how a
 * failed call is sorted for the outbox.
 */
import { Client, Domain, LoggerLevel } from '@larksuiteoapi/node-sdk';
import type { FeishuConfig } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import type { SendResult } from '../../src/outbox/outbox.types.js';
import type { FeishuCard } from './feishu.cards.js';

/** Feishu's answer when an app calls too often (HTTP 429, or 400 on older endpoints). */
export const RATE_LIMITED = 99991400;

/** What the adapter asks of Feishu; a fake in tests, the SDK's Client otherwise. */
export interface FeishuApi {
  /** Posts a card to a chat (`oc_…`). */
  send(chatId: string, card: FeishuCard): Promise<void>;
  /** Posts a card as a reply to a message (`om_…`). */
  reply(messageId: string, card: FeishuCard): Promise<void>;
  /** Replaces a card the bot sent, for everyone who sees it. */
  update(messageId: string, card: FeishuCard): Promise<void>;
  /** The mobile number on a person's own profile (`+86…`), when the app may read it and there is one. */
  mobileOf(openId: string): Promise<string | undefined>;
}

/** The SDK's domain for FEISHU_DOMAIN: Feishu, Lark, or a base URL as given (a local fake). */
export function sdkDomain(domain: string): Domain | string {
  if (domain === 'feishu') return Domain.Feishu;
  if (domain === 'lark') return Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/**
 * The SDK's logger on ours. The SDK logs whole HTTP errors, request headers (the bearer token)
 * included, so only the message of each argument is kept.
 */
export function sdkLogger(logger: Logger) {
  const text = (a: unknown): string => (Array.isArray(a) ? a.map(text).join(' ') : a instanceof Error ? a.message : typeof a === 'string' ? a : ((a as { message?: string })?.message ?? ''));
  const to =
    (level: 'warn' | 'debug') =>
    (...args: unknown[]) => {
      const detail = text(args).trim();
      // A failed request is logged once, by the Sender or the handler that made it, with its outcome.
      if (detail !== '') logger[level]('feishu sdk', { detail });
    };
  return { error: to('warn'), warn: to('warn'), info: to('debug'), debug: to('debug'), trace: to('debug') };
}

/** An Open API answer that is not success, with what the outbox needs to sort it. */
export class FeishuApiError extends Error {
  override name = 'FeishuApiError';
  constructor(
    readonly status: number | undefined,
    readonly apiCode: number | undefined,
    message: string,
    /** Seconds until the rate limit resets (`x-ogw-ratelimit-reset`). */
    readonly resetS?: number,
  ) {
    super(message);
  }
}

/** The error of a failed SDK call (axios underneath), or of a 200 whose body's code is not 0. */
export function apiErrorOf(error: unknown): FeishuApiError {
  if (error instanceof FeishuApiError) return error;
  const e = error as { message?: string; response?: { status?: number; headers?: Record<string, unknown>; data?: { code?: unknown; msg?: unknown } } };
  const reset = Number(e?.response?.headers?.['x-ogw-ratelimit-reset']);
  const code = typeof e?.response?.data?.code === 'number' ? e.response.data.code : undefined;
  const msg = typeof e?.response?.data?.msg === 'string' ? e.response.data.msg : (e?.message ?? String(error));
  return new FeishuApiError(e?.response?.status, code, msg, Number.isFinite(reset) && reset >= 0 ? reset : undefined);
}

/** Sorts a failed call: a rate limit waits its reset, no answer or a 5xx is retried, anything else is final. */
export function toFeishuResult(error: unknown): Exclude<SendResult, { kind: 'ok' }> {
  const e = apiErrorOf(error);
  const what = `${e.status ?? 'no answer'}${e.apiCode !== undefined ? ` ${e.apiCode}` : ''} ${e.message}`;
  if (e.status === 429 || e.apiCode === RATE_LIMITED) return { kind: 'retry-after', retryAfterMs: Math.max(1, e.resetS ?? 1) * 1000, error: what };
  if (e.status === undefined || e.status >= 500) return { kind: 'transient', error: what };
  return { kind: 'permanent', error: what };
}

function ok(res: { code?: number; msg?: string } | undefined): void {
  if (res && typeof res.code === 'number' && res.code !== 0) throw new FeishuApiError(200, res.code, res.msg ?? 'error');
}

/** The SDK's Client for an app, on its domain. */
export function feishuClient(cfg: Pick<FeishuConfig, 'appId' | 'appSecret' | 'domain'>, logger: Logger): Client {
  return new Client({ appId: cfg.appId, appSecret: cfg.appSecret, domain: sdkDomain(cfg.domain), loggerLevel: LoggerLevel.warn, logger: sdkLogger(logger) });
}

/** The FeishuApi over the SDK's Client. */
export function clientApi(client: Client): FeishuApi {
  const content = (card: FeishuCard) => JSON.stringify(card);
  return {
    async send(chatId, card) {
      ok(await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: chatId, msg_type: 'interactive', content: content(card) } }));
    },
    async reply(messageId, card) {
      ok(await client.im.v1.message.reply({ path: { message_id: messageId }, data: { msg_type: 'interactive', content: content(card) } }));
    },
    async update(messageId, card) {
      ok(await client.im.v1.message.patch({ path: { message_id: messageId }, data: { content: content(card) } }));
    },
    async mobileOf(openId) {
      const res = await client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } });
      ok(res);
      const mobile = res?.data?.user?.mobile;
      return typeof mobile === 'string' && mobile !== '' ? mobile : undefined;
    },
  };
}

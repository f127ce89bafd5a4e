/**
 * Slack's side of the durable outbox: the stored payload shapes (a channel post, a reply to a
 * response_url, an ephemeral message), the Sender that delivers each, and how Slack's answer is sorted.
 */
import { webApi } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import type { OutboxChannel, JsonValue, Sender, SendResult } from '../../src/outbox/outbox.types.js';
import type { SlackMessage } from './slack.blocks.js';
import { toBoltLogger } from './slack.logger.js';

// Slack's own words for a failure that may pass: worth a retry with back-off.
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

/** A reply to a command or button through its response_url (the URL base64url-encoded, see `encodeUrl`). */
export interface RespondPayload {
  via: 'respond';
  url64: string;
  body: { response_type: 'ephemeral'; replace_original: boolean; text: string; blocks: SlackMessage['blocks'] };
}

/** A reply only `user` sees in `channel` (a button without response_url). */
export interface EphemeralPayload {
  via: 'ephemeral';
  channel: string;
  user: string;
  message: SlackMessage;
}

/** What the outbox stores for Slack: a reply, or (no `via`, as alerts always stored it) a post to the message's chat. */
export type SlackPayload = RespondPayload | EphemeralPayload | SlackMessage;

/**
 * A response_url as stored. Its path holds Slack's long numeric ids, which the outbox's R8 guard
 * can take for a +86 mobile number; the URL is a Slack-issued capability, not personal data.
 */
export function encodeUrl(url: string): string {
  return Buffer.from(url, 'utf8').toString('base64url');
}

/**
 * Sorts a failed Web API call: rate limits say when to come back, network and server trouble are retried, the rest is final.
 * A call that timed out is network trouble: Slack may or may not have posted it, and a message
 * posted twice is better than a reply lost (the outbox delivers at least once).
 */
export function toSlackResult(error: unknown): Exclude<SendResult, { kind: 'ok' }> {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; message?: string };
  const message = e?.data?.error ?? e?.message ?? String(error);
  if (e?.code === webApi.ErrorCode.RateLimitedError) return { kind: 'retry-after', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000, error: 'ratelimited' };
  if (e?.code === webApi.ErrorCode.PlatformError) {
    if (message === 'ratelimited') return { kind: 'retry-after', retryAfterMs: 1000, error: message };
    return TRANSIENT.has(message) ? { kind: 'transient', error: message } : { kind: 'permanent', error: message };
  }
  return { kind: 'transient', error: message };
}

/** Sorts a response_url's HTTP answer: 2xx sent, 429 waits its Retry-After, 5xx is retried, anything else (expired_url, used_url) is final. */
export function toResponseResult(status: number, retryAfter: string | null, text: string): SendResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const error = `response_url ${status}${text ? ` ${text.slice(0, 80)}` : ''}`;
  if (status === 429) return { kind: 'retry-after', retryAfterMs: Math.max(1, Number(retryAfter) || 1) * 1000, error: 'ratelimited' };
  return status >= 500 ? { kind: 'transient', error } : { kind: 'permanent', error };
}

/** The Web API client options every Slack client of this app uses: each call's time limit, and the API root (tests point it at a fake). */
export function slackClientOptions(apiUrl: string | undefined, timeoutMs: number): webApi.WebClientOptions {
  return { retryConfig: { retries: 2 }, timeout: timeoutMs, ...(apiUrl ? { slackApiUrl: apiUrl } : {}) };
}

/** The Sender the outbox drains Slack messages through. */
export class SlackSender implements Sender {
  constructor(
    private readonly client: Pick<webApi.WebClient, 'chat'>,
    private readonly log: Logger,
    /** How long a response_url post may take (the Web API client has its own, the same). */
    private readonly timeoutMs: number,
  ) {}

  async send(chatId: string, stored: JsonValue): Promise<SendResult> {
    const payload = stored as unknown as SlackPayload;
    try {
      if ('via' in payload && payload.via === 'respond') return await this.respond(payload);
      if ('via' in payload && payload.via === 'ephemeral') {
        const { channel, user, message } = payload;
        await this.client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
      } else {
        const message = payload as SlackMessage;
        await this.client.chat.postMessage({ channel: chatId, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      }
      return { kind: 'ok' };
    } catch (error) {
      const result = toSlackResult(error);
      this.log.warn('slack: post failed', { slackChannel: chatId, outcome: result.kind, error: result.error });
      return result;
    }
  }

  private async respond(payload: RespondPayload): Promise<SendResult> {
    const url = Buffer.from(payload.url64, 'base64url').toString('utf8');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload.body), signal: AbortSignal.timeout(this.timeoutMs) });
    const result = toResponseResult(res.status, res.headers.get('retry-after'), await res.text().catch(() => ''));
    // The URL itself is a capability for 30 minutes: it is never logged.
    if (result.kind !== 'ok') this.log.warn('slack: reply failed', { outcome: result.kind, error: result.error });
    return result;
  }
}

/** Registers the Slack Sender on the outbox, with a client that hands rate limits back to the outbox instead of holding the call. */
export function registerSlackSender(outbox: { register(channel: OutboxChannel, sender: Sender): void }, cfg: { botToken: string; apiUrl?: string }, timeoutMs: number, logger: Logger): void {
  // No retries inside the client: one call stays within its time limit, and the outbox retries it later instead.
  const client = new webApi.WebClient(cfg.botToken, { ...slackClientOptions(cfg.apiUrl, timeoutMs), rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: toBoltLogger(logger) });
  outbox.register('slack', new SlackSender(client, logger, timeoutMs));
}

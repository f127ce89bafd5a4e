/** Slack's side of the durable outbox: the Sender that posts a stored message with chat.postMessage and sorts Slack's answer. */
import { webApi } from '@slack/bolt';
import type { Logger } from '../../src/log.js';
import type { JsonValue, Sender, SendResult } from '../../src/outbox/outbox.types.js';
import type { SlackMessage } from './slack.blocks.js';

// Slack's own words for a failure that may pass: worth a retry with back-off.
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

/** Sorts a failed Web API call: rate limits say when to come back, network and server trouble are retried, the rest is final. */
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

/** The Sender the outbox drains Slack messages through (a stored payload is a rendered SlackMessage). */
export class SlackSender implements Sender {
  constructor(
    private readonly client: Pick<webApi.WebClient, 'chat'>,
    private readonly log: Logger,
  ) {}

  async send(channel: string, payload: JsonValue): Promise<SendResult> {
    const message = payload as unknown as SlackMessage;
    try {
      await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      return { kind: 'ok' };
    } catch (error) {
      const result = toSlackResult(error);
      this.log.warn('slack: post failed', { slackChannel: channel, outcome: result.kind, error: result.error });
      return result;
    }
  }
}

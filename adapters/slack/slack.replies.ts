/**
 * A reply to a team member's command or button as an outbox record (issue 15 §2): stored before
 * the request is acknowledged, under an id derived from the request, so a retried request cannot
 * answer twice, and sent by the Slack Sender once the request is answered.
 */
import { createHash } from 'node:crypto';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import type { SlackMessage } from './slack.blocks.js';
import { encodeUrl, type SlackPayload } from './slack.sender.js';

/** A response_url works for 30 minutes; a reply later than that answers a question nobody waits on any more. */
export const REPLY_TTL_MS = 30 * 60_000;

/** The code of a reply the outbox could not store: the request must not be answered 200. */
export const REPLY_NOT_STORED = 'slack_reply_not_stored';

/** The outbox refused a reply (its store failed); the request is answered 5xx so that Slack retries it. */
export class ReplyNotStoredError extends Error {
  override name = 'ReplyNotStoredError';
  /** Bolt passes an error with a `code` through to `app.error` unwrapped. */
  readonly code = REPLY_NOT_STORED;

  constructor(cause: unknown) {
    super(`slack reply not stored: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Whether an error (as Bolt hands it on) is a reply the outbox could not store. */
export function isReplyNotStored(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === REPLY_NOT_STORED;
}

/** The fields of a command or interaction body a reply is addressed and identified by. */
interface ReplyBody {
  trigger_id?: string;
  response_url?: string;
  channel_id?: string;
  user_id?: string;
  channel?: { id?: string };
  user?: { id?: string };
  actions?: Array<{ action_id?: string; action_ts?: string }>;
}

/**
 * The outbox id of the reply to a request: its trigger_id (one per command or button press, the
 * same on Slack's retries of it), else the button's action_ts and user, else a hash of the body.
 */
export function replyId(raw: unknown): string {
  const body = (raw ?? {}) as ReplyBody;
  if (typeof body.trigger_id === 'string' && body.trigger_id) return `slack:reply:${body.trigger_id}`;
  const action = body.actions?.[0];
  const user = body.user?.id ?? body.user_id;
  if (action?.action_ts && user) return `slack:reply:${user}:${action.action_ts}:${action.action_id ?? ''}`;
  return `slack:reply:body:${createHash('sha256')
    .update(JSON.stringify(raw ?? null))
    .digest('base64url')}`;
}

/**
 * Whether a response_url is one Slack issues (https on a Slack host), or points at the configured
 * API root's origin (a local fake in tests): the Sender posts to nothing else.
 */
export function isResponseUrl(url: string, apiUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:' && /(^|\.)(slack\.com|slack-gov\.com)$/.test(parsed.hostname)) return true;
  return apiUrl !== undefined && URL.canParse(apiUrl) && new URL(apiUrl).origin === parsed.origin;
}

/**
 * The outbox record of a reply only the asking person sees: to the request's response_url when it
 * has one, else chat.postEphemeral in its channel; `undefined` when the request names neither.
 * Paced and ordered per person and channel, ahead of every reminder (interactive class).
 */
export function toReplyRecord(raw: unknown, message: SlackMessage, replace: boolean, now: number, apiUrl?: string): NewOutboxMessage | undefined {
  const body = (raw ?? {}) as ReplyBody;
  const channel = body.channel?.id ?? body.channel_id;
  const user = body.user?.id ?? body.user_id;
  let payload: SlackPayload;
  if (body.response_url && isResponseUrl(body.response_url, apiUrl)) {
    payload = { via: 'respond', url64: encodeUrl(body.response_url), body: { response_type: 'ephemeral', replace_original: replace, text: message.text, blocks: message.blocks } };
  } else if (channel && user) {
    payload = { via: 'ephemeral', channel, user, message };
  } else return undefined;
  return {
    id: replyId(raw),
    channel: 'slack',
    chatId: `${channel ?? 'none'}/${user ?? 'none'}`,
    payload: payload as never,
    priority: 'interactive',
    deadline: now,
    expiresAt: now + REPLY_TTL_MS,
    meta: { kind: 'reply' },
  };
}

/** The Telegram outbox's vocabulary: its tasks, their outcomes, its pacing limits and the Bot API's error fields. */

/** Where the outbox takes time from; real time by default (pacing is about the platform, not the domain clock). */
export interface OutboxTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Pacing and retry numbers; every one can be injected so tests run fast. */
export interface OutboxLimits {
  /** Minimum time between two sends to one chat (Telegram: about one message per second per chat). */
  perChatIntervalMs: number;
  /** At most this many sends start in any `globalWindowMs` (Telegram: about 30/s for a bot; we stay under). */
  globalPerWindow: number;
  globalWindowMs: number;
  /** A 429 asking to wait longer than this parks the message (with a logged alert) instead of holding its caller. */
  maxRetryAfterMs: number;
  /** How often a message may be parked before it is given up. */
  maxParks: number;
  /** Attempts for a transient failure (network, 5xx) before giving up. */
  maxAttempts: number;
  /** Back-off after a transient failure, times the attempt number. */
  retryBaseMs: number;
}

/** The defaults for the real Bot API. */
export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  perChatIntervalMs: 1000,
  globalPerWindow: 25,
  globalWindowMs: 1000,
  maxRetryAfterMs: 60_000,
  maxParks: 3,
  maxAttempts: 3,
  retryBaseMs: 1000,
};

/** The priority of a reply to a person who just wrote: before any proactive message. */
export const PRIORITY_INTERACTIVE = 0;
/** The priority of a proactive message that names none (least urgent). */
export const PRIORITY_PROACTIVE_DEFAULT = Number.MAX_SAFE_INTEGER;

/** One call to make through the outbox. */
export interface OutboxTask {
  chatId: string;
  /** Lower is more urgent (earliest deadline first): reminders pass their deadline in epoch ms. */
  priority: number;
  /** The Bot API method, for logs and metrics (never the text). */
  method: string;
  /** Whether this call counts against the chat's pacing (a deletion does not). */
  paced?: boolean;
  call: () => Promise<unknown>;
}

/** What became of a task, as first known: sent, parked (it will be tried again later) or failed. */
export type OutboxOutcome =
  | { status: 'sent'; result: unknown }
  | { status: 'parked'; retryInMs: number }
  | { status: 'failed'; code?: number; description: string };

/** The error fields the Bot API gives (telegraf's TelegramError carries them in `response`). */
export function apiErrorOf(error: unknown): { code?: number; retryAfterS?: number; description: string } {
  const response = (error as { response?: { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } } } | undefined)?.response;
  const code = typeof response?.error_code === 'number' ? response.error_code : undefined;
  const retryAfter = response?.parameters?.retry_after;
  const description = typeof response?.description === 'string' ? response.description : error instanceof Error ? error.message : String(error);
  return { code, retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined, description };
}

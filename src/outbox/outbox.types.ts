/**
 * The durable outbox's data: the stored message record, what a platform sender answers, and the
 * time source. A message is stored before it is sent and removed once the platform accepted it.
 */

/** The platform a message goes out on: the name its adapter registered its Sender under. */
export type OutboxChannel = string;

/** Interactive replies (someone just wrote) always go before proactive ones (notices, reminders, alerts). */
export type PriorityClass = 'interactive' | 'proactive';

/** A JSON value: payloads are stored as JSON, so they must survive a round trip unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a team alert needs to name an unreachable person: never a full phone number, ID characters or a name (R8). */
export interface OutboxMeta {
  filingId?: string;
  /** Already masked (`138****8000`, `张**`). */
  person?: string;
  /** A short label for logs and alerts (`reminder:4h`, `reply`). */
  kind?: string;
}

/** How one batch of a chat's messages is stored. */
export interface OutboxBatch {
  /** Stable per cause (an update or event id, a reminder's marker key): each part adds its own name, so a replay stores nothing new. */
  idPrefix: string;
  chatId: string;
  priority: PriorityClass;
  /** Epoch ms: within a class the earliest deadline goes first (a reply's is its arrival, so replies keep their order). */
  deadline: number;
  /** Epoch ms after which the messages are useless (a reminder after its deadline). */
  expiresAt?: number;
  meta?: OutboxMeta;
}

/** One chat's payloads as outbox records, in order, each with the batch's prefix and its part name as its id. */
export function toOutboxRecords(channel: OutboxChannel, parts: ReadonlyArray<readonly [part: string, payload: unknown]>, b: OutboxBatch): NewOutboxMessage[] {
  return parts.map(([part, payload]) => ({
    id: `${b.idPrefix}:${part}`,
    channel,
    chatId: b.chatId,
    payload: payload as JsonValue,
    priority: b.priority,
    deadline: b.deadline,
    ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
    ...(b.meta ? { meta: b.meta } : {}),
  }));
}

/** A message as the caller hands it in. */
export interface NewOutboxMessage {
  /**
   * Stable and derived from what caused the message (an update id and part number, a reminder
   * marker key), so enqueuing the same message twice is a no-op, even after it was sent.
   */
  id: string;
  channel: OutboxChannel;
  chatId: string;
  /** Already-rendered platform messages; never an SMS code, ID characters or a full phone number (R8). */
  payload: JsonValue;
  priority: PriorityClass;
  /** Epoch ms; within a class the earliest deadline goes first. */
  deadline: number;
  /** Epoch ms before which it is not sent; defaults to now. */
  notBefore?: number;
  /** Epoch ms after which it is useless (a reminder after its deadline): dropped unsent and counted. */
  expiresAt?: number;
  meta?: OutboxMeta;
}

/** A message as stored: the input plus delivery bookkeeping. */
export interface OutboxMessage extends Required<Omit<NewOutboxMessage, 'expiresAt' | 'meta'>> {
  expiresAt?: number;
  meta?: OutboxMeta;
  /** Enqueue order, a tie-break after the deadline (keeps the parts of one reply in order). */
  seq: number;
  /** Transient failures so far (a 429 is not one: it says when to come back). */
  attempts: number;
  lastError?: string;
  /** When this message first failed or found its chat held back: the clock for the unreachable alert. */
  failingSince?: number;
  /** Whether `onUnreachable` was already called for this message (once per message). */
  alerted?: boolean;
}

/** What a platform answered to one send. */
export type SendResult =
  | { kind: 'ok' }
  /** The platform asked to wait (Telegram 429 `retry_after`, Slack `Retry-After`). */
  | { kind: 'retry-after'; retryAfterMs: number; error?: string }
  /** Network trouble or a 5xx: worth retrying with back-off. */
  | { kind: 'transient'; error: string }
  /** The platform refused for good (blocked by the user, chat not found, bad request). */
  | { kind: 'permanent'; error: string };

/** Sends one stored payload on one platform; it never throws for a platform answer (a throw counts as transient). */
export interface Sender {
  send(chatId: string, payload: JsonValue): Promise<SendResult>;
}

/** Where the outbox takes time from: epoch ms and one-shot timers, so tests can move time by hand. */
export interface OutboxTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall-clock timers whose waits never keep the process alive on their own. */
export const realTimers: OutboxTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const FULL_MOBILE = /(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)/;
const ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;

/** A message that would store what R8 forbids; the caller must mask it first. */
export class OutboxPrivacyError extends Error {
  constructor(id: string, what: string) {
    super(`outbox message ${id} holds ${what}; mask it before enqueuing (no full phone number or ID number is ever stored)`);
    this.name = 'OutboxPrivacyError';
  }
}

/** A message whose fields are missing or out of range. */
export class OutboxInputError extends Error {
  constructor(id: string, what: string) {
    super(`outbox message ${id || '(no id)'}: ${what}`);
    this.name = 'OutboxInputError';
  }
}

/**
 * Checks a new message and fills its defaults. Rejects a full mainland mobile number or an ID
 * number anywhere in the payload or meta: the store is a file on disk and R8 forbids both there.
 * (A 6-digit run is not checked: Slack timestamps and message ids contain them legitimately.)
 */
export function toStoredMessage(input: NewOutboxMessage, now: number, seq: number): OutboxMessage {
  const { id } = input;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new OutboxInputError(id, 'id must be 1–200 characters');
  if (typeof input.chatId !== 'string' || input.chatId.length === 0) throw new OutboxInputError(id, 'chatId is required');
  if (!Number.isFinite(input.deadline)) throw new OutboxInputError(id, 'deadline must be epoch milliseconds');
  if (input.priority !== 'interactive' && input.priority !== 'proactive') throw new OutboxInputError(id, `unknown priority ${String(input.priority)}`);
  const text = JSON.stringify([input.payload, input.meta ?? null]);
  if (FULL_MOBILE.test(text)) throw new OutboxPrivacyError(id, 'a full phone number');
  if (ID_NUMBER.test(text)) throw new OutboxPrivacyError(id, 'an ID number');
  const message: OutboxMessage = {
    id,
    channel: input.channel,
    chatId: input.chatId,
    payload: input.payload,
    priority: input.priority,
    deadline: input.deadline,
    notBefore: input.notBefore ?? now,
    seq,
    attempts: 0,
  };
  if (input.expiresAt !== undefined) message.expiresAt = input.expiresAt;
  if (input.meta !== undefined) message.meta = input.meta;
  return message;
}

/** Orders by urgency: interactive first, then earliest deadline, then enqueue order. */
export function compareUrgency(a: OutboxMessage, b: OutboxMessage): number {
  if (a.priority !== b.priority) return a.priority === 'interactive' ? -1 : 1;
  return a.deadline - b.deadline || a.seq - b.seq;
}

/**
 * The OutboxStore port: where messages wait until a platform accepted them. Shaped so a
 * Redis/BullMQ backend can implement it (issue 10): a claim is a lease, not a removal, so work
 * claimed by a sender that crashed comes back once its lease ends.
 */
import type { NewOutboxMessage, OutboxChannel, OutboxMessage, PriorityClass } from './outbox.types.js';

/** What to claim. */
export interface ClaimOptions {
  /** Epoch ms: only messages with `notBefore <= now` and no live lease are claimed. */
  now: number;
  /** At most this many. */
  limit: number;
  /** How long the claim holds; after it the message is claimable again (a crashed sender's work). */
  leaseMs: number;
  /** Who claims (an instance id), for diagnostics and lease checks. */
  owner: string;
}

/** A change to a message that goes back to wait. */
export interface Reschedule {
  notBefore: number;
  /** Why, for logs (`429 retry_after 73414s`, `paced`); stored as `lastError` when it is a failure. */
  reason: string;
  /** True when the attempt failed (stores `reason` as `lastError`); pacing is not a failure. */
  failed?: boolean;
  attempts?: number;
  failingSince?: number;
  alerted?: boolean;
}

/** How full the outbox is. */
export interface OutboxStats {
  pending: number;
  byClass: Record<PriorityClass, number>;
  /** Claimed and not yet acknowledged (in flight or waiting in a sender's hands). */
  leased: number;
  /** Age in ms of the oldest pending message (from its enqueue), 0 when empty. */
  oldestAgeMs: number;
}

/** People the retention sweep retired: the chats they were reached in, and the keys (phone keys, `telegram:2001`) that message ids name them by. */
export interface Forgotten {
  chats: ReadonlyArray<{ channel: OutboxChannel; chatId: string }>;
  /** Each matches whole `:`-separated parts of an id, never a part of one. */
  keys: ReadonlySet<string>;
}

// Keys are a phone key (one part) or a user key (`channel:userId`, two parts).
const MAX_KEY_PARTS = 2;

/** Whether a message id names one of the forgotten (a reminder's id holds the phone key and the user key). */
export function namesForgotten(id: string, forgotten: Forgotten): boolean {
  if (forgotten.keys.size === 0) return false;
  const parts = id.split(':');
  for (let i = 0; i < parts.length; i++) {
    let key = parts[i]!;
    for (let n = 1; n <= MAX_KEY_PARTS && i + n <= parts.length; n++) {
      if (n > 1) key += `:${parts[i + n - 1]}`;
      if (forgotten.keys.has(key)) return true;
    }
  }
  return false;
}

/** Whether a stored message goes when these people are forgotten: it is for one of their chats, or its id names them. */
export function isForgotten(message: Pick<OutboxMessage, 'id' | 'channel' | 'chatId'>, forgotten: Forgotten): boolean {
  return forgotten.chats.some((c) => c.channel === message.channel && c.chatId === message.chatId) || namesForgotten(message.id, forgotten);
}

/** Durable storage of pending messages. */
export interface OutboxStore {
  /**
   * Stores messages atomically (all or none). A message whose id is pending or was finished
   * within the retention (`keepDoneMs`) is skipped; returns how many were new.
   */
  enqueue(messages: readonly NewOutboxMessage[], now: number): Promise<number>;
  /** Leases the most urgent due messages: interactive first, then earliest deadline, then enqueue order. */
  claim(opts: ClaimOptions): Promise<OutboxMessage[]>;
  /** The platform accepted it: removed for good (its id stays remembered for the retention). */
  ack(id: string, now: number): Promise<void>;
  /** Back to waiting until `notBefore`, lease released. */
  reschedule(id: string, change: Reschedule): Promise<void>;
  /** Releases leases without any change (a clean stop hands unsent claims back at once). */
  release(ids: readonly string[]): Promise<void>;
  /** Gives up a message (expired, refused); its id stays remembered like a sent one. */
  drop(id: string, reason: string, now: number): Promise<void>;
  /** The earliest moment something not claimable now becomes claimable (a notBefore or a lease end). */
  nextDueAt(now: number): Promise<number | undefined>;
  stats(now: number): Promise<OutboxStats>;
  /**
   * Deletes every trace of people the retention sweep retired: messages waiting for their chats or
   * naming them, and remembered ids naming them (a replay of those can no longer reach anyone). Returns how many went.
   */
  forget(forgotten: Forgotten): Promise<number>;
  /** Writes a probe in a transaction, as an enqueue would, and reads it back; rejects when the outbox cannot take a write now (for /healthz). */
  ping(): Promise<void>;
  /** Reads one pending message (tests, diagnostics). */
  get(id: string): Promise<OutboxMessage | undefined>;
  close(): Promise<void>;
}

/** How long a finished message's id is remembered by default, so a replayed update cannot send its replies twice. */
export const DEFAULT_KEEP_DONE_MS = 24 * 3_600_000;

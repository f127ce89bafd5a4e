/** What the Dispatcher tells the rest of the app: sends, drops, retries, and chats that stay unreachable. */
import type { OutboxChannel, OutboxMessage, OutboxMeta } from './outbox.types.js';

/** Why a message was given up. */
export type DropReason = 'expired' | 'failed' | 'no-sender';

/** What the team alert needs about a person who cannot be reached. */
export interface Unreachable {
  id: string;
  channel: OutboxChannel;
  chatId: string;
  meta?: OutboxMeta;
  /** How long sends to this message's chat have been failing. */
  failingForMs: number;
  lastError: string;
}

/** Callbacks for metrics and alerts; each is optional and a throw in one is logged, never fatal. */
export interface OutboxHooks {
  onSent?(message: OutboxMessage): void;
  onDropped?(message: OutboxMessage, reason: DropReason): void;
  /** A send will be tried again later (`parked` when a platform asked for longer than the cap). */
  onRetry?(message: OutboxMessage, kind: 'rate-limited' | 'parked' | 'transient'): void;
  /** Called once per message when its chat has stayed unreachable longer than the cap. */
  onUnreachable?(info: Unreachable): void;
}

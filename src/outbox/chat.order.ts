/**
 * Per-chat order across waits: when a message of a chat must wait (its chat busy or paced), every
 * later message of that chat waits at least as long, so none overtakes it at the next claim.
 */

/** How often holds that have passed are forgotten. */
const SWEEP_EVERY_MS = 60_000;

/** When each chat's held-back messages come due. */
export class ChatHolds {
  private readonly until = new Map<string, number>();
  private lastSweep = -Infinity;

  /** How many chats are remembered now: at most those held within about the last minute. */
  get size(): number {
    return this.until.size;
  }

  /** When the chat stops holding its messages back (`now` when it does not). */
  heldUntil(chat: string, now: number): number {
    this.sweep(now);
    const until = this.until.get(chat);
    if (until === undefined) return now;
    if (until <= now) this.until.delete(chat);
    return until;
  }

  /** Holds the chat back until `until` (or longer, if already held); returns `until`. */
  hold(chat: string, until: number, now: number): number {
    this.sweep(now);
    this.until.set(chat, Math.max(until, this.until.get(chat) ?? -Infinity));
    return until;
  }

  // Most chats wait once and are never seen again; without a sweep by time each would stay until some cap.
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [chat, until] of this.until) if (until <= now) this.until.delete(chat);
  }
}

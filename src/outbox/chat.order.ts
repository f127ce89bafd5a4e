/**
 * Per-chat order across waits: when a message of a chat must wait (its chat busy or paced), every
 * later message of that chat waits at least as long, so none overtakes it at the next claim.
 */

/** When each chat's held-back messages come due. */
export class ChatHolds {
  private readonly until = new Map<string, number>();

  /** When the chat stops holding its messages back (`now` when it does not). */
  heldUntil(chat: string, now: number): number {
    const until = this.until.get(chat);
    if (until === undefined) return now;
    if (until <= now) this.until.delete(chat);
    return until;
  }

  /** Holds the chat back until `until` (or longer, if already held); returns `until`. */
  hold(chat: string, until: number, now: number): number {
    this.until.set(chat, Math.max(until, this.until.get(chat) ?? -Infinity));
    // Forget chats whose holds passed, now and then, so memory follows the chats that wait.
    if (this.until.size > 10_000) for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    return until;
  }
}

/** The per-chat holds of the outbox stay bounded by the chats held lately, however many chats pass through over time. */
import { describe, expect, it } from 'vitest';
import { ChatHolds } from '../../src/outbox/chat.order.js';

describe('ChatHolds: memory follows the chats held lately', () => {
  it('an hour of 50 new chats a second, each held 2 s and never seen again, keeps at most about a minute of them', () => {
    const holds = new ChatHolds();
    let peak = 0;
    for (let second = 0; second < 3600; second++) {
      const now = second * 1000;
      for (let i = 0; i < 50; i++) holds.hold(`telegram:${second * 50 + i}`, now + 2000, now);
      peak = Math.max(peak, holds.size);
    }
    // 180,000 chats went through; a minute and a bit of them at most are remembered at once.
    expect(peak).toBeLessThanOrEqual(50 * 62);
    expect(peak).toBeGreaterThan(50 * 2);
    // Once nobody waits any more, the next look forgets them all.
    holds.heldUntil('telegram:new', 3600 * 1000 + 120_000);
    expect(holds.size).toBe(0);
  });

  it('still holds back a chat until its time, and the longest hold wins', () => {
    const holds = new ChatHolds();
    holds.hold('telegram:a', 5000, 0);
    holds.hold('telegram:a', 3000, 0);
    expect(holds.heldUntil('telegram:a', 1000)).toBe(5000);
    expect(holds.heldUntil('telegram:a', 6000)).toBe(5000);
    expect(holds.heldUntil('telegram:a', 6000)).toBe(6000);
    expect(holds.heldUntil('telegram:b', 6000)).toBe(6000);
  });
});

/** Test doubles for the outbox: timers that move only when told, and a platform that records what it got and when. */
import type { JsonValue, OutboxTimers, Sender, SendResult } from '../../src/outbox/outbox.types.js';

/** 2026-11-29T12:00:00+08:00, a fixed epoch for every outbox test. */
export const T0 = Date.parse('2026-11-29T04:00:00Z');

/** Timers on a fake clock: `advance` fires due timers in time order and lets promises settle in between. */
export class ManualTimers implements OutboxTimers {
  private at: number;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;

  constructor(start = T0) {
    this.at = start;
  }

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.at + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own instant. */
  async advance(ms: number): Promise<void> {
    const until = this.at + ms;
    await settle();
    for (;;) {
      let due: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) if (t.at <= until && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.at = Math.max(this.at, due.at);
      due.fn();
      await settle();
    }
    this.at = until;
    await settle();
  }
}

/** Lets pending promise chains (and synchronous SQLite calls behind them) run; no real time passes. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** One send the fake platform received. */
export interface Received {
  chatId: string;
  payload: JsonValue;
  at: number;
  result: SendResult['kind'];
}

/** The most instants (in any order) within one half-open window [t, t + windowMs), over every t. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j += 1;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** A platform that records every send with its time and answers from a script (ok by default). */
export class FakePlatform implements Sender {
  readonly received: Received[] = [];
  private readonly holds: Array<() => void> = [];
  /** While true, sends stay in flight until `releaseHeld`. */
  hold = false;

  constructor(
    private readonly timers: OutboxTimers,
    private readonly script: (chatId: string, payload: JsonValue, nth: number) => SendResult = () => ({ kind: 'ok' }),
  ) {}

  async send(chatId: string, payload: JsonValue): Promise<SendResult> {
    const nth = this.received.filter((r) => r.chatId === chatId && JSON.stringify(r.payload) === JSON.stringify(payload)).length;
    const result = this.script(chatId, payload, nth);
    this.received.push({ chatId, payload, at: this.timers.now(), result: result.kind });
    if (this.hold) await new Promise<void>((resolve) => this.holds.push(resolve));
    return result;
  }

  /** Completes every held send. */
  releaseHeld(): void {
    for (const resolve of this.holds.splice(0)) resolve();
  }

  /** The payloads accepted (result ok), in order. */
  delivered(): JsonValue[] {
    return this.received.filter((r) => r.result === 'ok').map((r) => r.payload);
  }

  /** The largest number of sends (any result) that started within one half-open window [t, t + windowMs). */
  maxInWindow(windowMs: number, chatId?: string): number {
    return maxInWindow(
      this.received.filter((r) => chatId === undefined || r.chatId === chatId).map((r) => r.at),
      windowMs,
    );
  }
}

/**
 * A platform on which the chats in `hung` never answer: like a real Sender, it gives a call up after
 * its own `timeoutMs` (none: it waits forever, a Sender without a timeout) and reports it transient.
 */
export function hangingSender(timers: OutboxTimers, platform: FakePlatform, hung: ReadonlySet<string>, timeoutMs?: number): Sender {
  return {
    send: (chatId, payload) => {
      if (!hung.has(chatId)) return platform.send(chatId, payload);
      platform.received.push({ chatId, payload, at: timers.now(), result: 'transient' });
      return new Promise((resolve) => {
        if (timeoutMs !== undefined) timers.setTimeout(() => resolve({ kind: 'transient', error: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
    },
  };
}

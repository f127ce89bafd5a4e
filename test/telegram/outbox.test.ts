import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxLimits, type OutboxOutcome, type OutboxTimers } from '../../adapters/telegram/telegram.outbox.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';

/** Timers that move only when the test says so. */
class ManualTimers implements OutboxTimers {
  private at = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.at + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward, firing due timers in order and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const until = this.at + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
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

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

/** A fake Bot API call the test completes by hand. */
class Calls {
  readonly log: string[] = [];
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  make(name: string) {
    return () =>
      new Promise<unknown>((resolve, reject) => {
        this.log.push(name);
        this.pending.set(name, { resolve, reject });
      });
  }

  ok(name: string): void {
    this.pending.get(name)!.resolve({ message_id: 1 });
    this.pending.delete(name);
  }

  fail(name: string, response: Record<string, unknown>): void {
    this.pending.get(name)!.reject(Object.assign(new Error(`${response.error_code}`), { response }));
    this.pending.delete(name);
  }
}

function makeOutbox(limits: Partial<OutboxLimits> = {}) {
  const timers = new ManualTimers();
  const logs: string[] = [];
  const metrics = createMetrics();
  const outbox = new Outbox({ logger: createLogger({ sink: (l) => logs.push(l) }), metrics, channel: 'telegram', timers, limits: { perChatIntervalMs: 1000, globalPerWindow: 25, globalWindowMs: 1000, ...limits } });
  const calls = new Calls();
  const outcomes: Record<string, OutboxOutcome> = {};
  const send = (chatId: string, name: string, priority = 0, paced = true) => {
    void outbox.enqueue({ chatId, priority, method: 'sendMessage', paced, call: calls.make(name) }).then((o) => (outcomes[name] = o));
  };
  const count = async (outcome: string) => (await metrics.sends.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { outbox, timers, calls, outcomes, send, logs, metrics, count };
}

describe('Telegram outbox', () => {
  it('paces one chat: one call in flight, the next only after the per-chat interval', async () => {
    const { timers, calls, send, outcomes } = makeOutbox();
    send('A', 'a1');
    send('A', 'a2');
    await settle();
    expect(calls.log).toEqual(['a1']);
    calls.ok('a1');
    await timers.advance(999);
    expect(calls.log).toEqual(['a1']);
    await timers.advance(1);
    expect(calls.log).toEqual(['a1', 'a2']);
    calls.ok('a2');
    await settle();
    expect(outcomes.a1).toMatchObject({ status: 'sent' });
    expect(outcomes.a2).toMatchObject({ status: 'sent' });
  });

  it('one slow chat never blocks the others', async () => {
    const { calls, send, outcomes, outbox } = makeOutbox();
    send('slow', 's1');
    send('slow', 's2');
    send('B', 'b1');
    send('C', 'c1');
    await settle();
    expect(calls.log).toEqual(['s1', 'b1', 'c1']);
    calls.ok('b1');
    calls.ok('c1');
    await settle();
    expect(outcomes.b1?.status).toBe('sent');
    expect(outcomes.c1?.status).toBe('sent');
    expect(outbox.depth).toBe(2);
  });

  it('earliest deadline first: within a chat and across chats the lowest priority value goes first', async () => {
    const { timers, calls, send } = makeOutbox({ globalPerWindow: 1 });
    send('A', 'first', 0);
    await settle();
    send('A', 'due-late', 3000);
    send('A', 'due-soon', 1000);
    send('B', 'b-due-mid', 2000);
    send('A', 'due-mid', 2000);
    calls.ok('first');
    await timers.advance(1000);
    calls.ok('due-soon');
    await timers.advance(1000);
    // The chat B entry and A's 2000 tie on priority: arrival order decides.
    calls.ok('b-due-mid');
    await timers.advance(1000);
    calls.ok('due-mid');
    await timers.advance(1000);
    expect(calls.log).toEqual(['first', 'due-soon', 'b-due-mid', 'due-mid', 'due-late']);
  });

  it('starts at most globalPerWindow sends in any window across all chats', async () => {
    const { timers, calls, send } = makeOutbox({ globalPerWindow: 25 });
    for (let i = 0; i < 60; i++) send(`chat${i}`, `m${i}`);
    await settle();
    expect(calls.log).toHaveLength(25);
    for (const name of [...calls.log]) calls.ok(name);
    await timers.advance(999);
    expect(calls.log).toHaveLength(25);
    await timers.advance(1);
    expect(calls.log).toHaveLength(50);
    for (const name of calls.log.slice(25)) calls.ok(name);
    await timers.advance(1000);
    expect(calls.log).toHaveLength(60);
  });

  it('on 429 waits retry_after for that chat only, then retries the same message', async () => {
    const { timers, calls, send, outcomes, count } = makeOutbox();
    send('A', 'a1');
    send('A', 'a2');
    send('B', 'b1');
    await settle();
    calls.fail('a1', { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    calls.ok('b1');
    await timers.advance(2999);
    expect(calls.log).toEqual(['a1', 'b1']);
    expect(outcomes.a1).toBeUndefined();
    await timers.advance(1);
    expect(calls.log).toEqual(['a1', 'b1', 'a1']);
    calls.ok('a1');
    await timers.advance(1000);
    expect(calls.log).toEqual(['a1', 'b1', 'a1', 'a2']);
    expect(outcomes.a1?.status).toBe('sent');
    expect(await count('retry')).toBe(1);
  });

  it('parks a message whose retry_after is above the cap: the caller is told at once, an alert is logged, and it is sent later', async () => {
    const { timers, calls, send, outcomes, outbox, logs, count } = makeOutbox({ maxRetryAfterMs: 60_000 });
    send('A', 'a1');
    await settle();
    calls.fail('a1', { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 120 } });
    await settle();
    expect(outcomes.a1).toEqual({ status: 'parked', retryInMs: 120_000 });
    expect(outbox.parked).toBe(1);
    expect(await count('parked')).toBe(1);
    const alert = logs.map((l) => JSON.parse(l)).find((l) => /parked/.test(l.msg));
    expect(alert).toMatchObject({ level: 'error', alert: true, retryAfterMs: 120_000 });
    send('B', 'b1');
    await settle();
    expect(calls.log).toEqual(['a1', 'b1']);
    await timers.advance(120_000);
    expect(calls.log).toEqual(['a1', 'b1', 'a1']);
    calls.ok('a1');
    await settle();
    expect(outbox.parked).toBe(0);
  });

  it('retries a transient failure with back-off, and fails a permanent one at once', async () => {
    const { timers, calls, send, outcomes } = makeOutbox({ maxAttempts: 2, retryBaseMs: 500 });
    send('A', 'a1');
    send('B', 'b1');
    await settle();
    calls.fail('a1', { ok: false, error_code: 502, description: 'Bad Gateway' });
    calls.fail('b1', { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    await settle();
    expect(outcomes.b1).toEqual({ status: 'failed', code: 403, description: 'Forbidden: bot was blocked by the user' });
    await timers.advance(1000);
    expect(calls.log).toEqual(['a1', 'b1', 'a1']);
    calls.fail('a1', { ok: false, error_code: 502, description: 'Bad Gateway' });
    await settle();
    expect(outcomes.a1).toEqual({ status: 'failed', code: 502, description: 'Bad Gateway' });
  });

  it('an unpaced call (a deletion) does not hold back the next message in its chat', async () => {
    const { calls, send } = makeOutbox();
    send('A', 'delete', 0, false);
    send('A', 'warning', 0);
    await settle();
    calls.ok('delete');
    await settle();
    expect(calls.log).toEqual(['delete', 'warning']);
  });

  it('keeps outboxDepth current and fails what is left when stopped', async () => {
    const { calls, send, outbox, metrics, outcomes } = makeOutbox();
    send('A', 'a1');
    send('A', 'a2');
    await settle();
    expect((await metrics.outboxDepth.get()).values[0]?.value).toBe(2);
    outbox.stop();
    await settle();
    expect(outcomes.a2).toEqual({ status: 'failed', description: 'outbox stopped' });
    calls.ok('a1');
    await settle();
    expect(outbox.depth).toBe(0);
    expect((await metrics.outboxDepth.get()).values[0]?.value).toBe(0);
  });
});

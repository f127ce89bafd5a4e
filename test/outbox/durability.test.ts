import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/outbox/outbox.dispatcher.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { FakePlatform, ManualTimers, T0 } from './support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-durable-'));
  dirs.push(dir);
  return join(dir, 'outbox.sqlite');
}

function msg(i: number, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  // Five people, ten messages each: per-chat pacing matters on the way out.
  return { id: `m${i}`, channel: 'telegram', chatId: `chat${i % 5}`, payload: { text: `message ${i}` }, priority: 'proactive', deadline: T0 + i * 1000, ...over };
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe('Durable outbox on SQLite', () => {
  it('enqueued, closed, reopened by a new dispatcher: everything pending is sent exactly once', async () => {
    const file = tempFile();
    const timers = new ManualTimers();
    const before = new SqliteOutboxStore(file);
    await new Dispatcher({ store: before, senders: {}, timers }).enqueue(Array.from({ length: 50 }, (_, i) => msg(i)));
    await before.close();

    const store = new SqliteOutboxStore(file);
    const platform = new FakePlatform(timers);
    const dispatcher = new Dispatcher({ store, senders: { telegram: platform }, timers });
    dispatcher.start();
    await timers.advance(15_000);
    const sent = platform.delivered().map((p) => (p as { text: string }).text);
    expect(sent).toHaveLength(50);
    expect([...countBy(sent).values()].every((n) => n === 1)).toBe(true);
    for (let c = 0; c < 5; c++) expect(platform.maxInWindow(1000, `chat${c}`)).toBe(1);
    expect(await dispatcher.stop()).toEqual({ pending: 0 });
    await store.close();
  });

  it('a crash after claiming and sending, before the acknowledgement: resent once after the lease, by the next process', async () => {
    const file = tempFile();
    const timers = new ManualTimers();
    const crashed = new SqliteOutboxStore(file);
    // The dead process's clock stops with it.
    const frozen = new ManualTimers();
    const lost = new FakePlatform(frozen);
    lost.hold = true;
    const dying = new Dispatcher({ store: crashed, senders: { telegram: lost }, timers: frozen, concurrency: 3, leaseMs: 30_000 });
    await dying.enqueue([0, 1, 2, 3, 4, 5].map((i) => msg(i, { chatId: `person${i}` })));
    dying.start();
    await frozen.advance(0);
    // Three sends reached the platform, none acknowledged; the process dies with the file as it is.
    expect(lost.received).toHaveLength(3);
    await crashed.close();

    const store = new SqliteOutboxStore(file);
    const platform = new FakePlatform(timers);
    const next = new Dispatcher({ store, senders: { telegram: platform }, timers, leaseMs: 30_000 });
    next.start();
    await timers.advance(29_999);
    // All six were claimed (three sent, three waiting for a send slot): each waits out its lease.
    expect(platform.received).toHaveLength(0);
    await timers.advance(1);
    const all = platform.delivered().map((p) => (p as { text: string }).text);
    expect(all).toHaveLength(6);
    expect([...countBy(all).values()].every((n) => n === 1)).toBe(true);
    // At most the in-flight sends repeat: the three the dead process had started.
    const repeated = lost.received.map((r) => (r.payload as { text: string }).text).filter((t) => all.includes(t));
    expect(repeated).toEqual(['message 0', 'message 1', 'message 2']);
    await next.stop();
    await store.close();
  });
});

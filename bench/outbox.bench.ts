/**
 * Benchmark: the durable outbox. Prints figures, asserts nothing.
 *   - its own throughput (enqueue + claim + ack per message, no pacing) on the SQLite store, beside
 *     the same SQLite store in memory in the same run (issue 15 item 7; goal ≥ 1,000 messages/s on SQLite);
 *   - 10,000 messages due at once through the Dispatcher on SQLite, against a fake platform paced
 *     at 1,000/s: delivered pace as a share of that ceiling (goal ≥ 95%) and EDF inversions (goal 0)
 *     (issue 12 item 2).
 * Run alone with `npx tsx bench/outbox.bench.ts`, or from `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Dispatcher } from '../src/outbox/outbox.dispatcher.js';
import type { OutboxStore } from '../src/outbox/outbox.store.js';
import type { JsonValue, NewOutboxMessage, Sender, SendResult } from '../src/outbox/outbox.types.js';
import { SlidingWindowLimiter } from '../src/outbox/rate.limiter.js';
import { SqliteOutboxStore } from '../src/backends/local/sqlite.outbox.js';

const T0 = Date.now();
const HOUR = 3_600_000;

/** The figures printed, also returned for bench/run.ts. */
export interface OutboxBenchFigures {
  throughput: { messages: number; memoryPerSecond: number; sqlitePerSecond: number };
  dispatch: { messages: number; pacePerSecond: number; seconds: number; ceilingSeconds: number; paceShare: number; edfInversions: number; delivered: number };
}

function message(i: number, deadline: number): NewOutboxMessage {
  return { id: `bench:${i}`, channel: 'telegram', chatId: String(100_000_000 + i), payload: { text: `提醒 ${i}：请在截止前完成短信核验。`, extra: { parse_mode: 'HTML' } }, priority: 'proactive', deadline };
}

/** Enqueue one at a time (as replies arrive), claim in batches of 32, acknowledge each: messages per second. */
async function measureThroughput(store: OutboxStore, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await store.enqueue([message(i, T0 + i)], T0);
  for (;;) {
    const batch = await store.claim({ now: T0, limit: 32, leaseMs: 60_000, owner: 'bench' });
    if (batch.length === 0) break;
    for (const m of batch) await store.ack(m.id, T0);
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return count / seconds;
}

/** A platform that accepts one message per 1/pace s, in arrival order, recording what it accepted. */
class PacedPlatform implements Sender {
  readonly accepted: number[] = [];
  private readonly queue: Array<{ deadline: number; resolve: (r: SendResult) => void }> = [];
  private start = 0;
  private pumping = false;

  constructor(private readonly perSecond: number) {}

  send(_chatId: string, payload: JsonValue): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({ deadline: (payload as { deadline: number }).deadline, resolve });
      if (!this.pumping) {
        this.pumping = true;
        if (this.start === 0) this.start = performance.now();
        setImmediate(() => this.pump());
      }
    });
  }

  private pump(): void {
    // Tokens since the first send, never more than one in hand: a strict pace, no burst.
    const allowed = Math.floor(((performance.now() - this.start) * this.perSecond) / 1000) + 1;
    while (this.queue.length > 0 && this.accepted.length < allowed) {
      const job = this.queue.shift()!;
      this.accepted.push(job.deadline);
      job.resolve({ kind: 'ok' });
    }
    if (this.queue.length > 0) setImmediate(() => this.pump());
    else this.pumping = false;
  }
}

async function measureDispatch(count: number, pace: number, file: string): Promise<OutboxBenchFigures['dispatch']> {
  const store = new SqliteOutboxStore(file);
  // Deadlines shuffled across 1 h, 4 h and 12 h so the order is earned, not enqueue order.
  const messages = Array.from({ length: count }, (_, i) => {
    const deadline = T0 + [HOUR, 4 * HOUR, 12 * HOUR][i % 3]! + ((i * 7919) % count);
    return { ...message(i, deadline), payload: { deadline } };
  });
  for (let i = 0; i < messages.length; i += 500) await store.enqueue(messages.slice(i, i + 500), Date.now());
  const platform = new PacedPlatform(pace);
  const limiter = new SlidingWindowLimiter({ telegram: { global: { max: pace, windowMs: 1000 }, perChat: { max: 1, windowMs: 1000 } } });
  const dispatcher = new Dispatcher({ store, senders: { telegram: platform }, limiter, concurrency: 16, claimBatch: 64 });
  // The dispatcher's timers are unref'd (the app's server keeps it alive); here nothing else would.
  const keepAlive = setInterval(() => undefined, 1000);
  const started = performance.now();
  dispatcher.start();
  while (platform.accepted.length < count && performance.now() - started < 60_000) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(keepAlive);
  await dispatcher.stop();
  await store.close();
  let edfInversions = 0;
  for (let i = 1; i < platform.accepted.length; i++) if (platform.accepted[i]! < platform.accepted[i - 1]!) edfInversions += 1;
  const ceilingSeconds = count / pace;
  return { messages: count, pacePerSecond: pace, seconds, ceilingSeconds, paceShare: ceilingSeconds / seconds, edfInversions, delivered: platform.accepted.length };
}

/** Runs both measurements and prints them beside their floor or ceiling. */
export async function runOutboxBench(): Promise<OutboxBenchFigures> {
  const count = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 20_000);
  const due = Number(process.env.BENCH_OUTBOX_DUE ?? 10_000);
  const pace = Number(process.env.BENCH_OUTBOX_PACE ?? 1_000);
  const dir = mkdtempSync(join(tmpdir(), 'outbox-bench-'));
  try {
    const memoryPerSecond = await measureThroughput(new SqliteOutboxStore(':memory:'), count);
    const sqlitePerSecond = await measureThroughput(new SqliteOutboxStore(join(dir, 'throughput.sqlite')), count);
    const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    console.log(`\n## Durable outbox: enqueue + claim + ack per message, no pacing (${f(count)} messages)`);
    console.log('store   | messages/s | goal     | x memory');
    console.log(`memory  | ${f(memoryPerSecond).padStart(10)} |          | 1`);
    console.log(`sqlite  | ${f(sqlitePerSecond).padStart(10)} | ≥ 1,000  | ${f(sqlitePerSecond / memoryPerSecond, 3)} (${f(sqlitePerSecond / 1000, 1)}× the goal)`);

    const d = await measureDispatch(due, pace, join(dir, 'dispatch.sqlite'));
    console.log(`\n## Dispatcher on SQLite: ${f(d.messages)} messages due at once, platform paced at ${f(d.pacePerSecond)}/s`);
    console.log(`delivered ${f(d.delivered)} in ${f(d.seconds, 2)} s; ceiling (pacing alone) ${f(d.ceilingSeconds, 2)} s: ${f(d.paceShare * 100, 1)}% of the ceiling (goal ≥ 95%)`);
    console.log(`order: ${d.edfInversions} EDF inversions (goal 0)`);
    return { throughput: { messages: count, memoryPerSecond, sqlitePerSecond }, dispatch: d };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runOutboxBench();

/**
 * Benchmark: reminders through the whole path the app runs (issue 12 items 2 and 3). Prints
 * figures, asserts nothing. Each part builds the app's own parts: a core on the embedded (SQLite)
 * store, the reminder scheduler, the Telegram channel (adapters/telegram) enqueueing into the
 * durable outbox on SQLite, its Dispatcher with the limits OUTBOX_MAX_PER_SECOND sets, and a fake
 * Telegram Sender in place of the Bot API.
 *   - burst: `due` reminders due at once, OUTBOX_MAX_PER_SECOND = the platform's pace (1,000/s), a
 *     platform accepting strictly at that pace: the delivered pace as a share of it (goal ≥ 95%),
 *     from the tick's start and from the first send, and EDF inversions in what it accepted (goal 0);
 *   - lookups: while `due` reminders drain at 25/s, people send `/lookup` through the Telegram
 *     update handler (the runner, then the outbox) one every `everyMs`: the time from the update to
 *     the Sender receiving its reply, p50 and p99 (goal p99 ≤ 1.5 s). Measured over the first
 *     `lookups × everyMs` of the drain (real time), with the queue still thousands deep; the whole
 *     drain (400 s at 25/s) is not waited out.
 * Run alone with `npx tsx bench/burst.bench.ts`, or from `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Update } from 'telegraf/types';
import { telegramChannel } from '../adapters/telegram/telegram.channel.js';
import { TELEGRAM_CAPABILITIES } from '../adapters/telegram/telegram.translate.js';
import { TYPING_AFTER_MS, updateHandler } from '../adapters/telegram/telegram.turns.js';
import type { Channel } from '../src/channel.js';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCore, type Core } from '../src/core.js';
import { parseFilings } from '../src/filings/filings.file.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { Outbox, telegramLimits } from '../src/outbox/outbox.service.js';
import type { JsonValue, Sender, SendResult } from '../src/outbox/outbox.types.js';
import { SqliteOutboxStore } from '../src/backends/local/sqlite.outbox.js';
import type { RunningReminders } from '../src/reminders/service.js';
import { maskPhone } from '../src/rules/phone.rules.js';
import { HttpServer } from '../src/server.js';
import { KeyvStateStore } from '../src/backends/local/keyv.store.js';
import { instant } from '../src/time.js';
import { startServices } from '../test/support/services.js';
import { route } from '../flows/router.js';
import { localBackend } from '../src/backends/local/local.backend.js';

const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;
const CHAT_BASE = 500_000_000;

/** The figures printed, also returned for bench/run.ts. */
export interface BurstBenchFigures {
  burst: { due: number; pace: number; delivered: number; ceilingS: number; totalS: number; sendingS: number; handOffS: number; shareTotal: number; shareSending: number; edfInversions: number };
  lookups: { due: number; pace: number; count: number; p50Ms: number; p99Ms: number; maxMs: number; remindersSentMeanwhile: number };
}

/** A fake Bot API: accepts one message per 1/pace s in arrival order (no burst), and records what and when. */
class PacedSender implements Sender {
  readonly accepted: Array<{ chatId: string; at: number }> = [];
  private readonly queue: Array<{ chatId: string; resolve: (r: SendResult) => void }> = [];
  private start = 0;
  private pumping = false;

  constructor(private readonly perSecond: number) {}

  send(chatId: string, _payload: JsonValue): Promise<SendResult> {
    return new Promise((resolve) => {
      this.queue.push({ chatId, resolve });
      if (this.pumping) return;
      this.pumping = true;
      if (this.start === 0) this.start = performance.now();
      setImmediate(() => this.pump());
    });
  }

  private pump(): void {
    const now = performance.now();
    // Tokens since the first send, never more than one in hand: a strict pace.
    const allowed = Math.floor(((now - this.start) * this.perSecond) / 1000) + 1;
    while (this.queue.length > 0 && this.accepted.length < allowed) {
      const job = this.queue.shift()!;
      this.accepted.push({ chatId: job.chatId, at: now });
      job.resolve({ kind: 'ok' });
    }
    if (this.queue.length > 0) setTimeout(() => this.pump(), 1);
    else this.pumping = false;
  }
}

/** `due` filings whose 12 h stage (or notice) is due now, one linked verifier each, deadlines spread over 10 h. */
function dueRecords(due: number, now: number): Record<string, unknown>[] {
  return Array.from({ length: due }, (_, i) => {
    const n = String(i).padStart(8, '0');
    return {
      id: `VE-BURST-${n}`,
      type: 'new_website',
      subject: { name: `公司${i}`, principal: { name: '张三', phone: `138${n}` } },
      websites: [{ name: `站点${i}`, domains: [`s${i}.example.cn`], principal: { name: '李四', phone: `139${n}` } }],
      status: 'verifying',
      cycle: { number: 1, reportedAt: instant(now - 13 * HOUR - ((i * 7919) % (10 * HOUR))).toISOString(), verified: {} },
    };
  });
}

/** The app's parts on SQLite files in `dir`: core, outbox (limits from OUTBOX_MAX_PER_SECOND), the Telegram channel, reminders. */
async function openApp(dir: string, records: Record<string, unknown>[], maxPerSecond: number, sender: Sender, deadlines: Map<string, number>) {
  const metrics = createMetrics();
  const config = loadConfig({ STORE_URL: 'memory://', DEFAULT_LOCALE: 'zh', OUTBOX_MAX_PER_SECOND: String(maxPerSecond) });
  const store = KeyvStateStore.sqlite(join(dir, 'state.sqlite'));
  const core = await createCore(config, {
    route,
    clock: new FakeClock(NOW),
    backend: localBackend(store, new SqliteOutboxStore(join(dir, 'outbox.sqlite'))),
    logger: silentLogger,
    metrics,
    filings: parseFilings({ filings: records }),
  });
  const outbox = new Outbox({ store: core.backend.outbox, metrics, logger: silentLogger, limits: telegramLimits(config.outbox.maxPerSecond) });
  outbox.register('telegram', sender);
  const channel = telegramChannel({ outbox, people: core.people, metrics, log: silentLogger, now: Date.now });
  // Notes each reminder's deadline by chat, so the order the platform saw can be checked.
  const recording: Channel = {
    id: 'telegram',
    send: (ref, messages, opts) => {
      deadlines.set(ref.conversationId, opts?.priority ?? Number.NaN);
      return channel.send(ref, messages, opts);
    },
  };
  core.channels.add(recording);
  for (let i = 0; i < records.length; i++) {
    const phone = `139${String(i).padStart(8, '0')}`;
    await core.people.link({ channel: 'telegram', userId: String(CHAT_BASE + i), conversationId: String(CHAT_BASE + i) }, phone, maskPhone(phone));
  }
  const reminders = await startServices(core, new HttpServer(silentLogger), { reminders: { intervalMs: 0 } });
  return { core, outbox, reminders };
}

async function close(parts: { core: Core; outbox: Outbox; reminders: RunningReminders }): Promise<void> {
  await parts.reminders.stop();
  await parts.outbox.stop(0);
  await parts.core.close();
}

/** Item 2: the burst at the platform's ceiling. */
async function measureBurst(dir: string, due: number, pace: number): Promise<BurstBenchFigures['burst']> {
  const now = instant(NOW).valueOf();
  const sender = new PacedSender(pace);
  const deadlines = new Map<string, number>();
  const app = await openApp(dir, dueRecords(due, now), pace, sender, deadlines);
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    app.outbox.start();
    const t0 = performance.now();
    await app.reminders.tick();
    const handOffS = (performance.now() - t0) / 1000;
    const deadline = performance.now() + 10 * ((due / pace) * 1000) + 30_000;
    while (sender.accepted.length < due && performance.now() < deadline) await sleep(5);
    const last = sender.accepted.at(-1)?.at ?? performance.now();
    const first = sender.accepted[0]?.at ?? t0;
    let edfInversions = 0;
    for (let i = 1; i < sender.accepted.length; i++) if (deadlines.get(sender.accepted[i]!.chatId)! < deadlines.get(sender.accepted[i - 1]!.chatId)!) edfInversions += 1;
    const delivered = sender.accepted.length;
    if (process.env.BENCH_BUCKETS) {
      const buckets: number[] = [];
      for (const a of sender.accepted) buckets[Math.floor((a.at - t0) / 500)] = (buckets[Math.floor((a.at - t0) / 500)] ?? 0) + 1;
      console.log('sends per 500 ms from the tick start:', [...buckets].map((n) => n ?? 0).join(' '), 'hand-off ended at', Math.round(handOffS * 1000), 'ms');
    }
    const ceilingS = delivered / pace;
    const totalS = (last - t0) / 1000;
    // From the first send to the last: n sends take (n - 1) intervals.
    const sendingS = (last - first) / 1000 + 1 / pace;
    return { due, pace, delivered, ceilingS, totalS, sendingS, handOffS, shareTotal: ceilingS / totalS, shareSending: ceilingS / sendingS, edfInversions };
  } finally {
    clearInterval(keepAlive);
    await close(app);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Item 3: lookups answered while a burst drains at 25/s. */
async function measureLookups(dir: string, due: number, count: number, everyMs: number): Promise<BurstBenchFigures['lookups']> {
  const now = instant(NOW).valueOf();
  const pace = 25;
  // The Bot API's pace is not the limit here (the outbox's 25/s is): it accepts far faster.
  const sender = new PacedSender(1000);
  const app = await openApp(dir, dueRecords(due, now), pace, sender, new Map());
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    app.outbox.start();
    await app.reminders.tick();
    const handle = updateHandler({
      turn: (a) => app.core.runner.run(a, TELEGRAM_CAPABILITIES),
      store: app.core.store,
      outbox: app.outbox,
      telegram: { answerCbQuery: async () => true, sendChatAction: async () => true },
      botId: 1,
      log: silentLogger,
      optional: async () => undefined,
      now: Date.now,
      typingAfterMs: TYPING_AFTER_MS,
    });
    const asked = new Map<string, number>();
    const sentBefore = sender.accepted.length;
    const seen = sender.accepted.length;
    for (let k = 0; k < count; k++) {
      // People outside the burst: their chat has nothing else queued, so the wait is the queue's, not their chat's.
      const chat = 900_000_000 + k;
      const update = {
        update_id: k + 1,
        message: {
          message_id: k + 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chat, type: 'private', first_name: 'A' },
          from: { id: chat, is_bot: false, first_name: 'A', language_code: 'zh' },
          text: `/lookup VE-BURST-${String(k).padStart(8, '0')}`,
          entities: [{ type: 'bot_command', offset: 0, length: 7 }],
        },
      } as unknown as Update;
      asked.set(String(chat), performance.now());
      void handle(update);
      await sleep(everyMs);
    }
    const waitUntil = performance.now() + 30_000;
    const answered = new Map<string, number>();
    while (answered.size < count && performance.now() < waitUntil) {
      for (let i = seen; i < sender.accepted.length; i++) {
        const a = sender.accepted[i]!;
        const t = asked.get(a.chatId);
        if (t !== undefined && !answered.has(a.chatId)) answered.set(a.chatId, a.at - t);
      }
      await sleep(20);
    }
    const latencies = [...answered.values()].sort((a, b) => a - b);
    return {
      due,
      pace,
      count: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1)!,
      remindersSentMeanwhile: sender.accepted.length - sentBefore - latencies.length,
    };
  } finally {
    clearInterval(keepAlive);
    await close(app);
  }
}

/** Runs both parts and prints each figure beside its ceiling or goal. */
export async function runBurstBench(opts: { due?: number; pace?: number; lookups?: number; everyMs?: number } = {}): Promise<BurstBenchFigures> {
  const due = opts.due ?? Number(process.env.BENCH_BURST_DUE ?? 10_000);
  const pace = opts.pace ?? Number(process.env.BENCH_BURST_PACE ?? 1_000);
  const lookups = opts.lookups ?? Number(process.env.BENCH_LOOKUPS ?? 50);
  const everyMs = opts.everyMs ?? Number(process.env.BENCH_LOOKUP_EVERY_MS ?? 400);
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const dir = mkdtempSync(join(tmpdir(), 'beian-burst-'));
  try {
    const b = await measureBurst(join(dir, 'burst'), due, pace);
    console.log(`\n## ${f(b.due)} reminders due at once: scheduler → Telegram channel → durable outbox (SQLite) → a platform paced at ${f(b.pace)}/s (OUTBOX_MAX_PER_SECOND=${b.pace})`);
    console.log('what                                   | time     | ceiling (pacing alone) | share of the ceiling | goal');
    console.log(`from the tick's start to the last send | ${`${f(b.totalS, 2)} s`.padStart(8)} | ${`${f(b.ceilingS, 2)} s`.padStart(22)} | ${`${f(b.shareTotal * 100, 1)}%`.padStart(20)} | ≥ 95%`);
    console.log(`from the first send to the last        | ${`${f(b.sendingS, 2)} s`.padStart(8)} | ${`${f(b.ceilingS, 2)} s`.padStart(22)} | ${`${f(b.shareSending * 100, 1)}%`.padStart(20)} | ≥ 95%`);
    console.log(`delivered ${f(b.delivered)} of ${f(b.due)}; the tick planned and stored them all in ${f(b.handOffS, 2)} s; EDF inversions at the platform: ${b.edfInversions} (goal 0)`);
    const l = await measureLookups(join(dir, 'lookups'), due, lookups, everyMs);
    console.log(`\n## /lookup while ${f(l.due)} reminders drain at ${l.pace}/s (update handler → runner → outbox → Sender); ${f(l.count)} lookups, one every ${everyMs} ms`);
    console.log(
      `time to the reply's send: p50 ${f(l.p50Ms)} ms, p99 ${f(l.p99Ms)} ms, max ${f(l.maxMs)} ms (goal p99 ≤ 1,500 ms, ${f(l.p99Ms / 1500, 2)}× the goal); ${f(l.remindersSentMeanwhile)} reminders sent meanwhile`,
    );
    return { burst: b, lookups: l };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runBurstBench();

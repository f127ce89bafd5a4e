/**
 * Benchmark: the event loop during a catch-up tick (issue 12 item 5). Prints figures, asserts nothing.
 * A start with `due` filings whose stage is due now, every verifier linked, on the embedded (SQLite)
 * store, the reminders going the app's way: the Telegram channel stores each in the durable outbox
 * (SQLite), whose Dispatcher sends them at 25/s to a fake Bot API meanwhile. The tick's time and the
 * longest event-loop stall during it, as the app's own gauge (`beian_event_loop_delay_max_seconds`)
 * reports it; beside it, the same gauge over an idle spell.
 * Run alone with `npx tsx bench/stall.bench.ts`, or from `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { telegramChannel } from '../adapters/telegram/telegram.channel.js';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { parseFilings } from '../src/filings/filings.file.js';
import { silentLogger } from '../src/log.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { Outbox, telegramLimits } from '../src/outbox/outbox.service.js';
import type { Sender, SendResult } from '../src/outbox/outbox.types.js';
import { SqliteOutboxStore } from '../src/backends/local/sqlite.outbox.js';
import { maskPhone } from '../src/rules/phone.rules.js';
import { HttpServer } from '../src/server.js';
import { KeyvStateStore } from '../src/backends/local/keyv.store.js';
import { instant } from '../src/time.js';
import { RecordingAlerts } from '../test/reminders/fakes.js';
import { startServices } from '../test/support/services.js';
import { route } from '../flows/router.js';
import { localBackend } from '../src/backends/local/local.backend.js';

const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;

/** The figures printed, also returned for bench/run.ts. */
export interface StallBenchFigures {
  due: number;
  tickMs: number;
  sent: number;
  stallMs: number;
  idleStallMs: number;
}

/** A Bot API that accepts every message at once and counts them; the platform's pace is not what this measures. */
class CountingSender implements Sender {
  count = 0;
  async send(): Promise<SendResult> {
    this.count += 1;
    return { kind: 'ok' };
  }
}

async function gaugeMs(metrics: Metrics): Promise<number> {
  const value = (await metrics.eventLoopDelayMax.get()).values[0]?.value ?? Number.NaN;
  return value * 1000;
}

/** Runs the catch-up tick with `due` filings due and prints its stall beside an idle spell's. */
export async function runStallBench(opts: { due?: number } = {}): Promise<StallBenchFigures> {
  const due = opts.due ?? Number(process.env.BENCH_STALL_DUE ?? 20_000);
  const now = instant(NOW).valueOf();
  const dir = mkdtempSync(join(tmpdir(), 'beian-stall-'));
  try {
    // 13 h to 23 h after the report: the 12 h stage (or the notice) is due for each, at varied deadlines.
    const records = Array.from({ length: due }, (_, i) => {
      const n = String(i).padStart(8, '0');
      return {
        id: `VE-STALL-${n}`,
        type: 'new_website',
        subject: { name: `公司${i}`, principal: { name: '张三', phone: `138${n}` } },
        websites: [{ name: `站点${i}`, domains: [`s${i}.example.cn`], principal: { name: '李四', phone: `139${n}` } }],
        status: 'verifying',
        cycle: { number: 1, reportedAt: instant(now - HOUR - ((i * 7919) % (10 * HOUR))).toISOString(), verified: {} },
      };
    });
    const metrics = createMetrics();
    const store = process.env.BENCH_STALL_STORE === 'memory' ? KeyvStateStore.memory() : KeyvStateStore.sqlite(join(dir, 'state.sqlite'));
    const core = await createCore(loadConfig({ STORE_URL: 'memory://', DEFAULT_LOCALE: 'zh' }), {
      route,
      clock: new FakeClock(NOW),
      backend: localBackend(store, new SqliteOutboxStore(join(dir, 'outbox.sqlite'))),
      logger: silentLogger,
      metrics,
      filings: parseFilings({ filings: records }),
    });
    const outbox = new Outbox({ store: core.backend.outbox, metrics, logger: silentLogger, limits: telegramLimits(25) });
    const sender = new CountingSender();
    outbox.register('telegram', sender);
    core.channels.add(telegramChannel({ outbox, people: core.people, metrics, log: silentLogger, now: Date.now }));
    outbox.start();
    const keepAlive = setInterval(() => undefined, 1000);
    for (let i = 0; i < due; i++) {
      const phone = `139${String(i).padStart(8, '0')}`;
      await core.people.link({ channel: 'telegram', userId: `u${i}`, conversationId: `u${i}` }, phone, maskPhone(phone));
    }
    const reminders = await startServices(core, new HttpServer(silentLogger), { teamAlerts: new RecordingAlerts(), reminders: { intervalMs: 0 } });
    const stop = metrics.watchEventLoop();
    await sleep(200);
    const idleStallMs = await gaugeMs(metrics);
    const t0 = performance.now();
    await reminders.tick();
    const tickMs = performance.now() - t0;
    const stallMs = await gaugeMs(metrics);
    const stored = (await outbox.stats()).pending + sender.count;
    stop();
    clearInterval(keepAlive);
    await reminders.stop();
    await outbox.stop(0);
    await core.close();
    const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    console.log(`\n## The event loop during a catch-up tick: ${f(due)} filings due, every verifier linked, embedded store, reminders stored in the SQLite outbox and sent at 25/s meanwhile`);
    console.log(`catch-up tick: ${f(tickMs)} ms, ${f(stored)} reminders stored in the outbox (${f(sender.count)} sent during it)`);
    console.log(`longest event-loop stall during it: ${f(stallMs, 1)} ms; idle, the same gauge: ${f(idleStallMs, 1)} ms (goal ≤ 50 ms, ${f(stallMs / 50, 2)}× the goal)`);
    return { due, tickMs, sent: stored, stallMs, idleStallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runStallBench();

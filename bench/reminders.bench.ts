/**
 * Benchmark: the reminder scheduler at scale. Prints figures, asserts nothing.
 *   - loading 100,000 filings (parseFilings + FilingSource)
 *   - tick time with 100,000 filings in open windows: the catch-up tick after a start, then steady 15 s ticks
 *   - RSS
 *   - 10,000 reminders due at once through a paced fake platform: time, and whether the order was EDF
 * Run alone with `npx tsx bench/reminders.bench.ts`, or from `npm run bench`.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCore, type Core } from '../src/core.js';
import { LocalFilingSource } from '../src/filings/filings.local.js';
import { parseFilings } from '../src/filings/filings.file.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { maskPhone } from '../src/rules/phone.rules.js';
import { HttpServer } from '../src/server.js';
import { KeyvStateStore } from '../src/backends/local/keyv.store.js';
import { instant } from '../src/time.js';
import type { ConversationRef, OutgoingMessage } from '../src/activity.js';
import type { Channel } from '../src/channel.js';
import { PacedChannel, RecordingAlerts } from '../test/reminders/fakes.js';
import { startServices } from '../test/support/services.js';
import { route } from '../flows/router.js';
import { localBackend } from '../src/backends/local/local.backend.js';

const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;

/** Sizes and pace; each can be set from the environment. */
export interface RemindersBenchOptions {
  filings?: number;
  /** Every `linkEvery`-th filing has its verifiers linked on Telegram. */
  linkEvery?: number;
  steadyTicks?: number;
  due?: number;
  pacePerSecond?: number;
}

/** The figures printed, also returned for bench/run.ts. */
export interface RemindersBenchFigures {
  filings: number;
  loadMs: number;
  coreOpenMs: number;
  linkMs: number;
  linkedPeople: number;
  catchUpTickMs: number;
  catchUpSent: number;
  steadyTickMsAvg: number;
  steadyTickMsMax: number;
  steadyDueAvg: number;
  idleTickMs: number;
  rssMiB: number;
  heapMiB: number;
  dueReminders: number;
  pacePerSecond: number;
  dispatchMs: number;
  claimPhaseMs: number;
  edfInversions: number;
}

function rawRecord(i: number, reportedAtMs: number): Record<string, unknown> {
  const n = String(i).padStart(8, '0');
  const twoVerifiers = i % 2 === 0;
  return {
    id: `VE-BENCH-${n}`,
    type: twoVerifiers ? 'first_filing' : 'new_website',
    subject: { name: `测试公司${i}`, principal: { name: '张三', phone: `138${n}` } },
    websites: [{ name: `站点${i}`, domains: [`s${i}.example.cn`], principal: { name: '李四', phone: `139${n}` } }],
    status: 'verifying',
    cycle: { number: 1, reportedAt: instant(reportedAtMs).toISOString(), verified: {} },
  };
}

/** A channel that only counts: the platform is not what the tick benchmark measures. */
class CountingChannel implements Channel {
  readonly id = 'telegram' as const;
  count = 0;
  async send(_ref: ConversationRef, messages: OutgoingMessage[]): Promise<void> {
    this.count += messages.length;
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

async function openCore(records: Record<string, unknown>[], clock: FakeClock): Promise<Core> {
  const filings = parseFilings({ filings: records });
  const core = await createCore(loadConfig({ STORE_URL: 'memory://', DEFAULT_LOCALE: 'zh' }), { route, clock, backend: localBackend(KeyvStateStore.memory()), logger: silentLogger, metrics: createMetrics(), filings });
  return core;
}

async function linkPhone(core: Core, userId: string, phone: string): Promise<void> {
  await core.people.link({ channel: 'telegram', userId, conversationId: userId }, phone, maskPhone(phone));
}

/** Forces a full garbage collection when the runtime allows it, so heap figures are live data only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

/** Load figures: the JSON a FILINGS_FILE would hold, validated (parseFilings) and imported (the in-memory FilingSource); then lookups by id and by phone. */
async function measureLoad(records: Record<string, unknown>[]): Promise<{ loadMs: number; byIdUs: number; byPhoneUs: number }> {
  const json = JSON.parse(JSON.stringify({ filings: records }));
  const t0 = performance.now();
  const filings = parseFilings(json);
  const state = KeyvStateStore.memory();
  const source = await LocalFilingSource.open({ hash: 'bench', records: () => filings }, { store: state, db: state.database, seal: false });
  await source.settle();
  const loadMs = performance.now() - t0;
  if ((await source.count()) !== records.length) throw new Error('load lost filings');
  let found = 0;
  const t1 = performance.now();
  for (const f of filings) if (await source.get(f.id)) found += 1;
  const byIdUs = ((performance.now() - t1) * 1000) / filings.length;
  const t2 = performance.now();
  for (const f of filings) found += (await source.byPhoneKey(f.subject.principal.phone)).length > 0 ? 1 : 0;
  const byPhoneUs = ((performance.now() - t2) * 1000) / filings.length;
  if (found !== 2 * filings.length) throw new Error('a lookup missed');
  return { loadMs, byIdUs, byPhoneUs };
}

/** Tick figures with `total` filings in open windows, every `linkEvery`-th with its verifiers linked. */
async function measureTicks(records: Record<string, unknown>[], linkEvery: number, steadyTicks: number) {
  const clock = new FakeClock(NOW);
  let t0 = performance.now();
  const core = await openCore(records, clock);
  const coreOpenMs = performance.now() - t0;
  const channel = new CountingChannel();
  core.channels.add(channel);

  t0 = performance.now();
  let linkedPeople = 0;
  for (let i = 0; i < records.length; i += linkEvery) {
    const n = String(i).padStart(8, '0');
    await linkPhone(core, `w${i}`, `139${n}`);
    linkedPeople += 1;
    if (i % 2 === 0) {
      await linkPhone(core, `s${i}`, `138${n}`);
      linkedPeople += 1;
    }
  }
  const linkMs = performance.now() - t0;

  const reminders = await startServices(core, new HttpServer(silentLogger), { teamAlerts: new RecordingAlerts(), reminders: { intervalMs: 0 } });
  t0 = performance.now();
  await reminders.tick();
  const catchUpTickMs = performance.now() - t0;
  const catchUpSent = channel.count;

  const steady: number[] = [];
  const dues: number[] = [];
  for (let k = 0; k < steadyTicks; k++) {
    clock.advance(15_000);
    t0 = performance.now();
    const report = await reminders.tick();
    steady.push(performance.now() - t0);
    dues.push(report.due);
  }
  // A tick right after another: nothing is due; it costs next to nothing whatever the filing count.
  t0 = performance.now();
  await reminders.tick();
  const idleTickMs = performance.now() - t0;
  collectGarbage();
  const memory = process.memoryUsage();
  await reminders.stop();
  await core.close();
  return {
    coreOpenMs,
    linkMs,
    linkedPeople,
    catchUpTickMs,
    catchUpSent,
    steadyTickMsAvg: steady.reduce((a, b) => a + b, 0) / steady.length,
    steadyTickMsMax: Math.max(...steady),
    steadyDueAvg: dues.reduce((a, b) => a + b, 0) / dues.length,
    idleTickMs,
    rssMiB: mib(memory.rss),
    heapMiB: mib(memory.heapUsed),
  };
}

/** Dispatch figures: `count` filings whose stages fall due at the same instant, deadlines 1 h, 4 h and 12 h away, through a paced platform. */
async function measureDispatch(count: number, pace: number) {
  const now = instant(NOW).valueOf();
  const hoursLeft = [12, 4, 1];
  // Each group's deadlines differ by a few ms too, so the order check has something to find.
  const records = Array.from({ length: count }, (_, i) => ({ ...rawRecord(i, now - (24 - hoursLeft[i % 3]!) * HOUR - ((i * 37) % 1000)), type: 'new_website' }));
  const core = await openCore(records, new FakeClock(NOW));
  const paced = new PacedChannel(pace, 'fifo');
  core.channels.add(paced);
  for (let i = 0; i < count; i++) await linkPhone(core, `d${i}`, `139${String(i).padStart(8, '0')}`);
  const reminders = await startServices(core, new HttpServer(silentLogger), { teamAlerts: new RecordingAlerts(), reminders: { intervalMs: 0 } });
  const t0 = performance.now();
  await reminders.scheduler.dispatch();
  const handOffMs = performance.now() - t0;
  await reminders.scheduler.settled();
  const dispatchMs = performance.now() - t0;
  let edfInversions = 0;
  for (let i = 1; i < paced.delivered.length; i++) if (paced.delivered[i]!.priority! < paced.delivered[i - 1]!.priority!) edfInversions += 1;
  const firstTwelveHourAt = paced.delivered.findIndex((d) => d.priority! - now > 5 * HOUR);
  await reminders.stop();
  await core.close();
  return { delivered: paced.delivered.length, dispatchMs, handOffMs, edfInversions, firstTwelveHourAt };
}

/** Runs the reminders benchmark and prints its figures. */
export async function runRemindersBench(opts: RemindersBenchOptions = {}): Promise<RemindersBenchFigures> {
  const total = opts.filings ?? Number(process.env.BENCH_FILINGS ?? 100_000);
  const linkEvery = opts.linkEvery ?? 10;
  const steadyTicks = opts.steadyTicks ?? 40;
  const dueCount = opts.due ?? Number(process.env.BENCH_DUE ?? 10_000);
  const pace = opts.pacePerSecond ?? Number(process.env.BENCH_PACE ?? 5_000);
  const now = instant(NOW).valueOf();
  const f = (n: number, d = 1) => n.toFixed(d);
  const count = (n: number) => n.toLocaleString('en');

  console.log(`\n## Reminders (${count(total)} filings in open windows, ${count(dueCount)} due at once)`);
  // Reports spread evenly over the last 24 h, so every stage time falls somewhere in the next day.
  const records = Array.from({ length: total }, (_, i) => rawRecord(i, now - Math.floor(((i * 7919) % total) * ((24 * HOUR) / total))));
  const { loadMs, byIdUs, byPhoneUs } = await measureLoad(records);
  console.log(`load ${count(total)} filings (parseFilings + FilingSource):   ${f(loadMs, 0)} ms`);
  console.log(`lookup among them, each of ${count(total)}:             by id ${f(byIdUs, 2)} µs, by phone ${f(byPhoneUs, 2)} µs`);
  const ticks = await measureTicks(records, linkEvery, steadyTicks);
  console.log(`open the core on them (createCore, memory store):  ${f(ticks.coreOpenMs, 0)} ms`);
  console.log(`link ${count(ticks.linkedPeople)} verifiers on Telegram:               ${f(ticks.linkMs, 0)} ms`);
  console.log(`catch-up tick after a start (all open filings):    ${f(ticks.catchUpTickMs, 0)} ms, ${count(ticks.catchUpSent)} reminders sent`);
  console.log(`steady tick every 15 s (${steadyTicks} ticks):              avg ${f(ticks.steadyTickMsAvg, 2)} ms, max ${f(ticks.steadyTickMsMax, 2)} ms, ${f(ticks.steadyDueAvg)} filings due per tick`);
  console.log(`tick with nothing due:                             ${f(ticks.idleTickMs, 3)} ms`);
  console.log(`memory with ${count(total)} filings indexed: RSS ${f(ticks.rssMiB)} MiB, heap ${f(ticks.heapMiB)} MiB (after a full GC)`);
  const d = await measureDispatch(dueCount, pace);
  console.log(
    `${count(d.delivered)} reminders due at once, platform paced at ${count(pace)}/s: all delivered in ${f(d.dispatchMs / 1000, 2)} s ` +
      `(pacing alone ${f(d.delivered / pace, 2)} s; planning, claims and hand-off ${f(d.handOffMs, 0)} ms, overlapping delivery)`,
  );
  console.log(
    `  order: ${d.edfInversions === 0 ? 'earliest deadline first (0 inversions)' : `${d.edfInversions} inversions`}; ` +
      `the first 12h-stage reminder went out after ${count(d.firstTwelveHourAt)} more urgent ones; at Telegram's 25/s the same burst takes ${f(d.delivered / 25, 0)} s`,
  );
  return {
    filings: total,
    loadMs,
    ...ticks,
    dueReminders: d.delivered,
    pacePerSecond: pace,
    dispatchMs: d.dispatchMs,
    claimPhaseMs: d.handOffMs,
    edfInversions: d.edfInversions,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runRemindersBench();

/**
 * `npm run bench`: every benchmark, printing each figure beside its floor or ceiling (no
 * assertions), then writing bench/results.json so two runs can be compared figure by figure.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runBurstBench } from './burst.bench.js';
import { runOutboxBench } from './outbox.bench.js';
import { runRedisBench } from './redis.bench.js';
import { runRemindersBench } from './reminders.bench.js';
import { runStallBench } from './stall.bench.js';
import { runStartupBench } from './startup.bench.js';
import { runTurnsBench } from './turns.bench.js';

/** One figure in results.json: its value, and where it has one, its floor or ceiling from the same run and the ratio. */
interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The floor (the least it could cost) or ceiling (the most it could do) it is compared with. */
  floor?: number;
  floorName?: string;
  /** value / floor. */
  ratio?: number;
  goal?: string;
}

const started = performance.now();
const date = new Date().toISOString();
console.log(`beian-assistant benchmarks — node ${process.version}, ${cpus().length} cores, ${date}`);
const figures: Figure[] = [];
const add = (f: Omit<Figure, 'ratio'>) => figures.push(f.floor === undefined ? f : { ...f, ratio: f.value / f.floor });

const turns = await runTurnsBench();
for (const store of ['memory', 'embedded'] as const) {
  const t = turns[store];
  add({ section: 'turns', name: `${store}: turn p50`, value: t.turnP50, unit: 'ms', floor: t.floorP50, floorName: 'bare store get+set p50' });
  add({ section: 'turns', name: `${store}: turn p99`, value: t.turnP99, unit: 'ms' });
  add({ section: 'turns', name: `${store}: turns per second (serial)`, value: t.turnsPerSecond, unit: '1/s' });
  add({ section: 'turns', name: `${store}: turns per second (16 at once)`, value: t.concurrentPerSecond, unit: '1/s' });
}
if (turns.redis) {
  const t = turns.redis;
  add({ section: 'turns', name: 'redis: turn p50', value: t.turnP50, unit: 'ms', floor: turns.embedded.turnP50, floorName: 'embedded turn p50', goal: '≤ 2× embedded' });
  add({ section: 'turns', name: 'redis: turn p99', value: t.turnP99, unit: 'ms' });
  add({ section: 'turns', name: 'redis: turns per second (16 at once)', value: t.concurrentPerSecond, unit: '1/s', floor: t.floorPerSecond, floorName: 'bare Redis get+set pairs per second' });
}

const r = await runRemindersBench();
add({ section: 'reminders', name: `load ${r.filings} filings in process (parseFilings + FilingSource)`, value: r.loadMs, unit: 'ms' });
add({ section: 'reminders', name: 'catch-up tick after a start (all open filings)', value: r.catchUpTickMs, unit: 'ms' });
add({ section: 'reminders', name: 'steady 15 s tick, average', value: r.steadyTickMsAvg, unit: 'ms' });
add({ section: 'reminders', name: 'RSS with the filings indexed (after a full GC)', value: r.rssMiB, unit: 'MiB' });
add({ section: 'reminders', name: `${r.dueReminders} reminders due at once, paced at ${r.pacePerSecond}/s`, value: r.dispatchMs / 1000, unit: 's', floor: r.dueReminders / r.pacePerSecond, floorName: 'pacing alone' });
add({ section: 'reminders', name: 'EDF inversions in that burst', value: r.edfInversions, unit: 'count', goal: '0' });

const s = await runStallBench();
add({ section: 'event loop', name: `catch-up tick with ${s.due} due (embedded store)`, value: s.tickMs, unit: 'ms' });
add({ section: 'event loop', name: 'longest stall during that tick', value: s.stallMs, unit: 'ms', floor: s.idleStallMs, floorName: 'the same gauge while idle', goal: '≤ 50 ms' });

const o = await runOutboxBench();
add({ section: 'outbox', name: 'sqlite enqueue+claim+ack per second', value: o.throughput.sqlitePerSecond, unit: '1/s', floor: o.throughput.memoryPerSecond, floorName: 'the same store in memory', goal: '≥ 1,000/s' });
add({
  section: 'outbox',
  name: `${o.dispatch.messages} due at once through the dispatcher, paced at ${o.dispatch.pacePerSecond}/s`,
  value: o.dispatch.seconds,
  unit: 's',
  floor: o.dispatch.ceilingSeconds,
  floorName: 'pacing alone',
  goal: '≥ 95% of the pace (ratio ≤ 1.053)',
});
add({ section: 'outbox', name: 'EDF inversions through the dispatcher', value: o.dispatch.edfInversions, unit: 'count', goal: '0' });

const b = await runBurstBench();
add({
  section: 'burst',
  name: `${b.burst.due} reminders due at once, scheduler → SQLite outbox → platform paced at ${b.burst.pace}/s: first send to last`,
  value: b.burst.sendingS,
  unit: 's',
  floor: b.burst.ceilingS,
  floorName: 'pacing alone',
  goal: '≥ 95% of the pace (ratio ≤ 1.053)',
});
add({ section: 'burst', name: "the same, from the tick's start (planning and hand-off included)", value: b.burst.totalS, unit: 's', floor: b.burst.ceilingS, floorName: 'pacing alone' });
add({ section: 'burst', name: 'EDF inversions at the platform', value: b.burst.edfInversions, unit: 'count', goal: '0' });
add({ section: 'burst', name: `/lookup reply while ${b.lookups.due} reminders drain at ${b.lookups.pace}/s: p50`, value: b.lookups.p50Ms, unit: 'ms' });
add({ section: 'burst', name: `/lookup reply during that drain: p99 (${b.lookups.count} lookups)`, value: b.lookups.p99Ms, unit: 'ms', floor: 1500, floorName: 'the goal', goal: 'p99 ≤ 1,500 ms' });

const st = await runStartupBench();
add({
  section: 'start',
  name: `ready on ${st.filings} filings, a restart on the imported store (until /healthz answers; median of ${st.rounds} restarts, each beside the median of ${st.rounds} bare parses)`,
  value: st.startMs,
  unit: 'ms',
  floor: st.floorMs,
  floorName: 'bare node reading and JSON.parse-ing the file',
  goal: '≤ 2.5×',
});
add({ section: 'start', name: 'CPU time until ready', value: st.startCpuMs, unit: 'ms', floor: st.floorCpuMs, floorName: 'that bare parse' });
add({ section: 'start', name: 'RSS when ready', value: st.startRssMiB, unit: 'MiB', floor: st.floorRssMiB, floorName: 'that bare parse', goal: '≤ 1.5×' });
add({ section: 'start', name: 'first start on a fresh store: ready (reads and checks the file)', value: st.firstStartMs, unit: 'ms', floor: st.floorMs, floorName: 'that bare parse' });
add({ section: 'start', name: 'first start: all filings imported (logged `filings imported`)', value: st.settledMs, unit: 'ms', floor: st.floorMs, floorName: 'that bare parse' });
add({ section: 'start', name: 'CPU time until all are imported', value: st.settledCpuMs, unit: 'ms', floor: st.floorCpuMs, floorName: 'that bare parse' });
add({ section: 'start', name: 'RSS when all are imported', value: st.settledRssMiB, unit: 'MiB', floor: st.floorRssMiB, floorName: 'that bare parse' });
add({ section: 'start', name: 'peak RSS (VmHWM)', value: st.startPeakRssMiB, unit: 'MiB', floor: st.floorPeakRssMiB, floorName: 'that bare parse' });
add({ section: 'start', name: "npm run build (npm start's prestart, where the build tools are installed)", value: st.buildMs, unit: 'ms' });
add({ section: 'start', name: `longest event-loop stall in the ${st.settleMs / 1000} s after the port opened`, value: st.loopDelayMaxMs, unit: 'ms', goal: '≤ 50 ms' });

// 1,000,000 filings take minutes; `npm run bench` runs 100,000 unless BENCH_FILINGS says otherwise (`npx tsx bench/redis.bench.ts` runs 1,000,000).
const rd = await runRedisBench(Number(process.env.BENCH_FILINGS ?? 100_000)).catch((error: Error) => console.log(`\nRedis benchmark skipped: ${error.message}`));
if (rd) {
  const n = rd.filings.toLocaleString('en');
  add({ section: 'redis', name: `import ${n} filings into Redis (once per file content)`, value: rd.importer.openMs! / 1000, unit: 's', floor: rd.embedded.openMs! / 1000, floorName: 'embedded start on the same file' });
  add({ section: 'redis', name: 'start of another instance (no import)', value: rd.instance.openMs!, unit: 'ms' });
  add({ section: 'redis', name: 'catch-up tick (all open filings due)', value: rd.instance.catchUpMs!, unit: 'ms', floor: rd.embedded.catchUpMs!, floorName: 'embedded' });
  add({ section: 'redis', name: 'steady 15 s tick', value: rd.instance.steadyMs!, unit: 'ms', floor: rd.embedded.steadyMs!, floorName: 'embedded' });
  add({ section: 'redis', name: 'lookup by id', value: rd.instance.lookupByIdUs!, unit: 'µs', floor: rd.embedded.lookupByIdUs!, floorName: 'embedded' });
  add({ section: 'redis', name: 'lookup by phone', value: rd.instance.lookupByPhoneUs!, unit: 'µs', floor: rd.embedded.lookupByPhoneUs!, floorName: 'embedded' });
  add({ section: 'redis', name: `RSS of one instance with ${n} filings (after GC)`, value: rd.instance.rssMiB!, unit: 'MiB', floor: rd.embedded.rssMiB!, floorName: 'embedded', goal: '≤ 300 MiB' });
}

const totalSeconds = (performance.now() - started) / 1000;
console.log('\n## Summary (bench/results.json)');
for (const f of figures) {
  const beside = f.floor === undefined ? '' : ` | ${f.floorName}: ${f.floor.toFixed(2)} ${f.unit} | ${f.ratio!.toFixed(2)}×`;
  console.log(`${f.section.padEnd(10)} | ${f.name}: ${f.value.toFixed(2)} ${f.unit}${beside}${f.goal ? ` | goal ${f.goal}` : ''}`);
}
const results = { date, node: process.version, platform: `${process.platform} ${process.arch}`, cores: cpus().length, totalSeconds, figures };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwhole bench: ${totalSeconds.toFixed(0)} s; RSS at the end: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB; figures written to bench/results.json`);

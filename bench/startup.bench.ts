/**
 * Benchmark: starting on a large FILINGS_FILE (issue 12 items 1 and 5). Prints figures, asserts nothing.
 *   - floor: a bare `node` child that reads and JSON.parses the same file (time to done, RSS);
 *   - the app: `node dist/main.js` as a child (what `npm start` execs once its prestart built dist/)
 *     with an embedded store and Telegram pointed at a local fake Bot API, until `/healthz` answers (time, RSS);
 *   - on a fresh store, until the file is imported (the app logs `filings imported`: main opens the
 *     port first and writes the filings into the store after, a read waiting for that), with the RSS then;
 *   - the later starts on that same store and file, which read no record of it (the ready medians);
 *   - the longest event-loop stall after the port opened, as the app reports it on /metrics
 *     (`beian_event_loop_delay_max_seconds`), over the first seconds (the catch-up tick included).
 * Run alone with `npx tsx bench/startup.bench.ts`, or from `npm run bench`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDist, startApp } from '../test/support/app-process.js';
import { FakeBotApi } from '../test/support/fake-bot-api.js';
import { writeFilingsFile } from './filings.gen.js';

/** The figures printed, also returned for bench/run.ts. */
export interface StartupBenchFigures {
  filings: number;
  fileMiB: number;
  floorMs: number;
  floorCpuMs: number;
  startCpuMs: number;
  floorRssMiB: number;
  startMs: number;
  startRssMiB: number;
  settledMs: number;
  settledCpuMs: number;
  settledRssMiB: number;
  firstStartMs: number;
  startPeakRssMiB: number;
  floorPeakRssMiB: number;
  loopDelayMaxMs: number;
  settleMs: number;
  buildMs: number;
  rounds: number;
}

const FLOOR_SCRIPT = `
const t = Date.now();
const data = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, n: data.filings.length }) + '\\n');
`;

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** CPU time (user + system, every thread) a live process has used, in ms (Linux; clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [utime, stime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 13)
    .map(Number);
  return (utime! + stime!) * 10;
}

/** VmRSS and VmHWM (peak) of a live process, in bytes (Linux). */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The floor: spawn node, read and parse the file, report RSS with the parsed data alive. */
async function measureFloor(file: string): Promise<{ ms: number; rss: number; peak: number; cpuMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', `${FLOOR_SCRIPT}; setTimeout(() => {}, 60000)`, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`the floor child exited (${code})`)));
  });
  const ms = performance.now() - t0;
  const { peak } = rssOf(child.pid!);
  const cpuMs = cpuMsOf(child.pid!);
  child.kill('SIGKILL');
  return { ms, rss: (JSON.parse(line) as { rss: number }).rss, peak, cpuMs };
}

/** The app on the store in `own` until /healthz answers (time, CPU, RSS); with `full`, then until the file is imported and the stall over `settleMs`. */
async function measureApp(file: string, own: string, settleMs: number, full: boolean): Promise<AppFigures> {
  const api = await FakeBotApi.start();
  const t0 = performance.now();
  const app = await startApp({
    mode: 'node',
    env: { FILINGS_FILE: file, STORE_URL: `file:${join(own, 'state.sqlite')}`, PHONE_KEY_FILE: join(own, 'phone-key'), TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, HOST: '127.0.0.1' },
  });
  try {
    const deadline = Date.now() + 120_000;
    while (!(await app.answers())) {
      if (app.exit) throw new Error(`the app exited (${app.exit.code ?? app.exit.signal}):\n${app.lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`no /healthz within 120 s:\n${app.lines.join('\n')}`);
      await sleep(10);
    }
    const ms = performance.now() - t0;
    const { rss } = rssOf(app.pid);
    const cpuMs = cpuMsOf(app.pid);
    if (!full) return { ms, rss, peak: rssOf(app.pid).peak, cpuMs, settledMs: Number.NaN, settledCpuMs: Number.NaN, settledRss: Number.NaN, loopDelayMaxMs: Number.NaN };
    await app.waitForLog('filings imported', 600_000);
    const settledMs = performance.now() - t0;
    const settledCpuMs = cpuMsOf(app.pid);
    const settledRss = rssOf(app.pid).rss;
    await sleep(settleMs);
    const metrics = await (await fetch(`${app.base}/metrics`)).text();
    const delay = /^beian_event_loop_delay_max_seconds (\S+)$/m.exec(metrics);
    const { peak } = rssOf(app.pid);
    return { ms, rss, peak, cpuMs, settledMs, settledCpuMs, settledRss, loopDelayMaxMs: delay ? Number(delay[1]) * 1000 : Number.NaN };
  } finally {
    app.killTree();
    await app.waitForExit(10_000).catch(() => undefined);
    await api.stop();
  }
}

interface AppFigures {
  ms: number;
  rss: number;
  peak: number;
  cpuMs: number;
  settledMs: number;
  settledCpuMs: number;
  settledRss: number;
  loopDelayMaxMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Runs the start-up benchmark and prints each figure beside its floor. The floor and the app run
 * alternately `rounds` times and the medians are compared: one start on a shared machine varies by
 * a third either way. The first app round also waits for the settle and measures the stall.
 */
export async function runStartupBench(opts: { filings?: number; settleMs?: number; rounds?: number } = {}): Promise<StartupBenchFigures> {
  const filings = opts.filings ?? Number(process.env.BENCH_START_FILINGS ?? 100_000);
  const settleMs = opts.settleMs ?? Number(process.env.BENCH_START_SETTLE_MS ?? 3_000);
  const rounds = opts.rounds ?? Number(process.env.BENCH_START_ROUNDS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'beian-start-'));
  try {
    const file = join(dir, 'filings.json');
    const bytes = writeFilingsFile(file, filings, Date.now(), 0.1);
    // What `npm start`'s prestart does before each start where the build tools are installed.
    const buildStarted = performance.now();
    buildDist();
    const buildMs = performance.now() - buildStarted;
    const floors: Array<Awaited<ReturnType<typeof measureFloor>>> = [];
    const apps: AppFigures[] = [];
    // The first start imports the file into a fresh store; the later ones restart on that store and read no record of it.
    const own = mkdtempSync(join(dir, 'app-'));
    for (let round = 0; round <= rounds; round++) {
      if (round > 0) floors.push(await measureFloor(file));
      apps.push(await measureApp(file, own, settleMs, round === 0));
    }
    const first = apps.shift()!;
    const floor = { ms: median(floors.map((r) => r.ms)), cpuMs: median(floors.map((r) => r.cpuMs)), rss: median(floors.map((r) => r.rss)), peak: median(floors.map((r) => r.peak)) };
    const app = { ...first, ms: median(apps.map((r) => r.ms)), cpuMs: median(apps.map((r) => r.cpuMs)), rss: median(apps.map((r) => r.rss)) };
    const spread = (values: number[]) => values.map((v) => f(v)).join(', ');
    const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const x = (a: number, b: number) => `${f(a / b, 2)}×`;
    console.log(`\n## Start on ${f(filings)} filings (10% in open windows, file ${f(mib(bytes), 1)} MiB); floor = a bare node reading and JSON.parse-ing the same file`);
    console.log(`medians of ${rounds} alternating restarts on the imported store; app ready: ${spread(apps.map((r) => r.ms))} ms; floor: ${spread(floors.map((r) => r.ms))} ms`);
    console.log('what                          | app       | floor     | ratio | goal');
    console.log(`ready (/healthz answers)      | ${`${f(app.ms)} ms`.padStart(9)} | ${`${f(floor.ms)} ms`.padStart(9)} | ${x(app.ms, floor.ms).padStart(5)} | ≤ 2.5×`);
    console.log(`CPU time until ready          | ${`${f(app.cpuMs)} ms`.padStart(9)} | ${`${f(floor.cpuMs)} ms`.padStart(9)} | ${x(app.cpuMs, floor.cpuMs).padStart(5)} | (steadier than wall time on a shared machine)`);
    console.log(`RSS when ready                | ${`${f(mib(app.rss))} MiB`.padStart(9)} | ${`${f(mib(floor.rss))} MiB`.padStart(9)} | ${x(app.rss, floor.rss).padStart(5)} | ≤ 1.5×`);
    console.log(`first start: ready           | ${`${f(first.ms)} ms`.padStart(9)} | ${`${f(floor.ms)} ms`.padStart(9)} | ${x(first.ms, floor.ms).padStart(5)} | (reads and checks the file)`);
    console.log(`first start: all imported    | ${`${f(app.settledMs)} ms`.padStart(9)} | ${`${f(floor.ms)} ms`.padStart(9)} | ${x(app.settledMs, floor.ms).padStart(5)} | (a turn before this waits for it)`);
    console.log(`CPU time until then          | ${`${f(app.settledCpuMs)} ms`.padStart(9)} | ${`${f(floor.cpuMs)} ms`.padStart(9)} | ${x(app.settledCpuMs, floor.cpuMs).padStart(5)} |`);
    console.log(`RSS then                     | ${`${f(mib(app.settledRss))} MiB`.padStart(9)} | ${`${f(mib(floor.rss))} MiB`.padStart(9)} | ${x(app.settledRss, floor.rss).padStart(5)} |`);
    console.log(`peak RSS (VmHWM)              | ${`${f(mib(app.peak))} MiB`.padStart(9)} | ${`${f(mib(floor.peak))} MiB`.padStart(9)} | ${x(app.peak, floor.peak).padStart(5)} |`);
    console.log(`npm run build (npm start's prestart, where the build tools are installed): ${f(buildMs)} ms`);
    console.log(`max event-loop stall in the ${f(settleMs / 1000)} s after the port opened (catch-up tick included): ${f(app.loopDelayMaxMs, 1)} ms (goal ≤ 50 ms)`);
    return {
      filings,
      fileMiB: mib(bytes),
      floorMs: floor.ms,
      floorCpuMs: floor.cpuMs,
      startCpuMs: app.cpuMs,
      floorRssMiB: mib(floor.rss),
      floorPeakRssMiB: mib(floor.peak),
      startMs: app.ms,
      startRssMiB: mib(app.rss),
      startPeakRssMiB: mib(app.peak),
      settledMs: app.settledMs,
      settledCpuMs: app.settledCpuMs,
      settledRssMiB: mib(app.settledRss),
      firstStartMs: first.ms,
      loopDelayMaxMs: app.loopDelayMaxMs,
      settleMs,
      buildMs,
      rounds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runStartupBench();

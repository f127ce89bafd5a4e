/**
 * Benchmark (issue 10 item 8): many filings on Redis beside the embedded store, in the same run.
 * Prints figures, asserts nothing. Each figure comes from its own child process, so one
 * instance's RSS is measured alone:
 *   - embedded: loading FILINGS_FILE into memory, RSS, the catch-up tick, a steady tick, lookups;
 *   - redis, importer: the one-time import of FILINGS_FILE into Redis (and indexing it);
 *   - redis, another instance: start (no import), RSS, the catch-up tick as dispatcher, a steady
 *     tick, lookups by id and by phone.
 * Run: `npx tsx bench/redis.bench.ts` (BENCH_FILINGS=1000000 by default; 10 % in an open window).
 * Needs redis-server on the PATH; starts its own on a free port with persistence off.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { startReminders } from '../src/reminders/service.js';
import { openBackend } from '../src/backends/backend.js';
import { openRedisBackend } from '../src/backends/redis/redis.backend.js';
import { instant } from '../src/time.js';
import { route } from '../flows/router.js';
import { startRedisServer } from '../test/support/redis-server.js';

const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;
const SECRET = 'bench-phone-key-0123456789abcdef0123456789abcdef';
const LOOKUPS = 2_000;

type Mode = 'embedded' | 'import' | 'instance';
type Figures = Record<string, number>;

function record(i: number): string {
  const n = String(i).padStart(8, '0');
  const open = i % 10 === 0;
  const cycle = open ? `,"cycle":{"number":1,"reportedAt":"${instant(Date.parse(NOW) - 2 * HOUR).toISOString()}","verified":{}}` : '';
  return `{"id":"VE-BENCH-${n}","type":"new_website","subject":{"name":"测试公司${i}","principal":{"name":"张三","phone":"138${n}"}},"websites":[{"name":"站点${i}","domains":["s${i}.example.cn"],"principal":{"name":"李四","phone":"139${n}"}}],"status":"${open ? 'verifying' : 'approved'}"${cycle}}`;
}

/** Writes the filings file in a stream (the parent never holds it in memory). */
async function writeFile(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  await write('{"filings":[');
  for (let i = 0; i < count; i++) await write(`${i ? ',' : ''}${record(i)}`);
  await write(']}');
  await new Promise<void>((resolve) => out.end(resolve));
}

function rssMiB(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as (() => void) | undefined)?.();
  return Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** One child: opens a core on the given store, then measures what its mode measures; prints JSON. */
async function child(mode: Mode, file: string, count: number, redisUrl: string | undefined): Promise<Figures> {
  const clock = new FakeClock(NOW);
  const config = loadConfig({ FILINGS_FILE: file, STORE_URL: redisUrl ?? 'memory://', PHONE_KEY_SECRET: SECRET, DEFAULT_LOCALE: 'zh' });
  const backend = redisUrl ? openRedisBackend(redisUrl, { keyPrefix: 'bench' }) : openBackend('memory://');
  const [core, openMs] = await timed(() => createCore(config, { route, clock, backend, logger: silentLogger, metrics: createMetrics() }));
  const deps = { ...core, reminderOffsets: config.reminderOffsets, defaultLocale: config.defaultLocale };
  const [reminders, indexMs] = await timed(() => startReminders(deps, { intervalMs: 0, lease: backend.leader('reminders'), index: backend.dueIndex() }));
  const figures: Figures = { openMs, indexMs };
  if (mode !== 'import') {
    const [catchUp, catchUpMs] = await timed(() => reminders.tick());
    clock.set(instant(Date.parse(NOW) + 15_000).toISOString());
    const [, steadyMs] = await timed(() => reminders.tick());
    const ids = Array.from({ length: LOOKUPS }, (_, k) => `VE-BENCH-${String((k * 7919) % count).padStart(8, '0')}`);
    const [, byIdMs] = await timed(async () => {
      for (const id of ids) await core.filings.get(id, { fresh: true });
    });
    const [, byPhoneMs] = await timed(async () => {
      for (const id of ids) await core.filings.byPhoneKey(core.people.keyOf(`138${id.slice(-8)}`));
    });
    Object.assign(figures, { catchUpMs, catchUpDue: catchUp.due, steadyMs, lookupByIdUs: (byIdMs / LOOKUPS) * 1000, lookupByPhoneUs: (byPhoneMs / LOOKUPS) * 1000, rssMiB: rssMiB() });
  }
  await reminders.stop();
  await core.close();
  return figures;
}

function runChild(mode: Mode, file: string, count: number, redisUrl?: string): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', mode, file, String(count), ...(redisUrl ? [redisUrl] : [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

/** Runs the three children and prints the figures side by side. */
export async function runRedisBench(count = Number(process.env.BENCH_FILINGS ?? 1_000_000)): Promise<{ filings: number; embedded: Figures; importer: Figures; instance: Figures }> {
  const dir = mkdtempSync(join(tmpdir(), 'beian-redis-bench-'));
  const file = join(dir, 'filings.json');
  const redis = await startRedisServer();
  try {
    const [, writeMs] = await timed(() => writeFile(file, count));
    console.log(`\nRedis vs embedded — ${count.toLocaleString('en')} filings (10 % in an open window); file written in ${(writeMs / 1000).toFixed(1)} s`);
    const embedded = await runChild('embedded', file, count);
    const imported = await runChild('import', file, count, redis.url);
    const instance = await runChild('instance', file, count, redis.url);
    const f = (n: number | undefined, d = 1) => (n === undefined ? '—' : n.toFixed(d));
    const rows: Array<[string, string, string, string]> = [
      ['start (embedded: parse + load; redis: import once / open)', `${f(embedded.openMs! / 1000)} s`, `${f(imported.openMs! / 1000)} s import`, `${f(instance.openMs! / 1000)} s`],
      ['time index at start', `${f(embedded.indexMs)} ms`, `${f(imported.indexMs)} ms (importer)`, `${f(instance.indexMs)} ms`],
      ['catch-up tick (all open filings due)', `${f(embedded.catchUpMs)} ms / ${embedded.catchUpDue} due`, '', `${f(instance.catchUpMs)} ms / ${instance.catchUpDue} due`],
      ['steady tick (15 s later)', `${f(embedded.steadyMs, 2)} ms`, '', `${f(instance.steadyMs, 2)} ms`],
      ['lookup by id', `${f(embedded.lookupByIdUs)} µs`, '', `${f(instance.lookupByIdUs)} µs`],
      ['lookup by phone', `${f(embedded.lookupByPhoneUs)} µs`, '', `${f(instance.lookupByPhoneUs)} µs`],
      ['RSS of one instance (after GC)', `${f(embedded.rssMiB)} MiB`, '', `${f(instance.rssMiB)} MiB (goal ≤ 300, ratio ${f(instance.rssMiB! / 300, 2)})`],
    ];
    console.log(`${'figure'.padEnd(58)} ${'embedded'.padEnd(24)} ${'redis importer'.padEnd(22)} redis instance`);
    for (const [name, e, i, r] of rows) console.log(`${name.padEnd(58)} ${e.padEnd(24)} ${i.padEnd(22)} ${r}`);
    return { filings: count, embedded, importer: imported, instance };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  const [, , , mode, file, count, url] = process.argv;
  const figures = await child(mode as Mode, file!, Number(count), url);
  console.log(JSON.stringify(figures));
  process.exit(0);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runRedisBench();
}

/**
 * Benchmark: turns through the runner, with the embedded store, memory and Redis (when redis-server is
 * on the PATH), each next to the raw floor of bare get+set pairs on the same store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Activity } from '../src/activity.js';
import { FakeClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { DEMO_ANCHOR } from '../src/filings/filings.file.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { KeyvStateStore } from '../src/backends/local/keyv.store.js';
import type { StateStore } from '../src/store/state-store.js';
import { CONSOLE_CAPABILITIES } from '../adapters/console/console.adapter.js';
import { route } from '../flows/router.js';
import { localBackend } from '../src/backends/local/local.backend.js';
import type { Backend } from '../src/backends/backend.js';
import { openRedisBackend } from '../src/backends/redis/redis.backend.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 4000);
const USERS = 100;
const DEMO_PRINCIPAL_PHONE = '13800138000'; // the subject principal of demo filing VE-2026-000101

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function fmt(n: number, digits = 3): string {
  return n.toFixed(digits);
}

/** The scripted conversation each user repeats: a lookup, the verify guide's two steps, help. */
function script(user: number, i: number): Activity {
  const base = { channel: 'console' as const, userId: `u${user}`, conversationId: `c${user}` };
  switch (i % 4) {
    case 0:
      return { ...base, input: { type: 'text', text: '/lookup VE-2026-000101' } };
    case 1:
      return { ...base, input: { type: 'action', data: 'vg:VE-2026-000101' } };
    case 2:
      return { ...base, input: { type: 'action', data: 'vn:VE-2026-000101' } };
    default:
      return { ...base, input: { type: 'text', text: '/help' } };
  }
}

async function measureTurns(backend: Backend): Promise<{ perSecond: number; p50: number; p99: number; concurrentPerSecond: number }> {
  const core = await createCore(loadConfig({ STORE_URL: 'memory://' }), { route, clock: new FakeClock(DEMO_ANCHOR), backend, logger: silentLogger, metrics: createMetrics() });
  for (let u = 0; u < USERS; u++) await core.runner.handle({ channel: 'console', userId: `u${u}`, conversationId: `c${u}`, input: { type: 'text', text: `/link ${DEMO_PRINCIPAL_PHONE}` } }, CONSOLE_CAPABILITIES);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < TURNS; i++) {
    const t0 = performance.now();
    await core.runner.handle(script(i % USERS, Math.floor(i / USERS)), CONSOLE_CAPABILITIES);
    times.push(performance.now() - t0);
  }
  const serialSeconds = (performance.now() - started) / 1000;
  // Throughput with many conversations in flight at once: the lock serializes each one, not all.
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < TURNS) {
        const i = next++;
        await core.runner.handle(script(i % USERS, Math.floor(i / USERS)), CONSOLE_CAPABILITIES);
      }
    }),
  );
  const concurrentSeconds = (performance.now() - t1) / 1000;
  await core.close();
  times.sort((a, b) => a - b);
  return { perSecond: TURNS / serialSeconds, p50: percentile(times, 50), p99: percentile(times, 99), concurrentPerSecond: TURNS / concurrentSeconds };
}

async function measureFloor(store: StateStore): Promise<{ perSecond: number; p50: number; p99: number }> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < TURNS; i++) {
    const t0 = performance.now();
    const key = `floor:${i % USERS}`;
    const value = (await store.get<{ n: number }>(key)) ?? { n: 0 };
    await store.set(key, { n: value.n + 1, flow: 'verify', step: 'outcome', data: { filingId: 'VE-2026-000101', cycle: 1 } });
    times.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  times.sort((a, b) => a - b);
  return { perSecond: TURNS / seconds, p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** The figures printed, per store, also returned for bench/run.ts. */
export type TurnsBenchFigures = Record<'memory' | 'embedded', TurnFigures> & { redis?: TurnFigures };

/** One store's figures. */
export type TurnFigures = { floorPerSecond: number; floorP50: number; turnsPerSecond: number; turnP50: number; turnP99: number; concurrentPerSecond: number };

/** Runs the turn benchmark and prints a table. */
export async function runTurnsBench(): Promise<TurnsBenchFigures> {
  const figures = {} as TurnsBenchFigures;
  const dir = mkdtempSync(join(tmpdir(), 'beian-bench-'));
  console.log(`\n## Turns through the runner (${TURNS} turns, ${USERS} conversations; floor = the same number of bare store get+set pairs)`);
  console.log('store     | what             | per second | p50 ms | p99 ms | x floor (p50)');
  let redis: RedisServer | undefined;
  try {
    redis = await startRedisServer();
  } catch (error) {
    console.log(`(Redis skipped: ${(error as Error).message})`);
  }
  const stores: Array<[keyof TurnsBenchFigures, () => Backend]> = [
    ['memory', () => localBackend(KeyvStateStore.memory())],
    ['embedded', () => localBackend(KeyvStateStore.sqlite(join(dir, `${Math.random()}.sqlite`)))],
  ];
  // Each open gets a prefix of its own, so the turns start on an empty state like the other stores.
  if (redis) stores.push(['redis', () => openRedisBackend(redis.url, { keyPrefix: `bench${Math.random()}` })]);
  try {
    for (const [name, open] of stores) {
      const floor = await measureFloor(open().state);
      const turns = await measureTurns(open());
      console.log(`${name.padEnd(9)} | floor get+set    | ${fmt(floor.perSecond, 0).padStart(10)} | ${fmt(floor.p50).padStart(6)} | ${fmt(floor.p99).padStart(6)} | 1`);
      console.log(`${name.padEnd(9)} | turn (serial)    | ${fmt(turns.perSecond, 0).padStart(10)} | ${fmt(turns.p50).padStart(6)} | ${fmt(turns.p99).padStart(6)} | ${fmt(turns.p50 / floor.p50, 1)}`);
      console.log(`${name.padEnd(9)} | turn (16 at once)| ${fmt(turns.concurrentPerSecond, 0).padStart(10)} |        |        |`);
      figures[name] = { floorPerSecond: floor.perSecond, floorP50: floor.p50, turnsPerSecond: turns.perSecond, turnP50: turns.p50, turnP99: turns.p99, concurrentPerSecond: turns.concurrentPerSecond };
    }
  } finally {
    await redis?.stop();
  }
  rmSync(dir, { recursive: true, force: true });
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await runTurnsBench();

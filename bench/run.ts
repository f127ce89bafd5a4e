/** `npm run bench`: every benchmark, printing figures (no assertions). */
import { runOutboxBench } from './outbox.bench.js';
import { runRedisBench } from './redis.bench.js';
import { runTurnsBench } from './turns.bench.js';

console.log(`beian-assistant benchmarks — node ${process.version}, ${new Date().toISOString()}`);
await runTurnsBench();
const remindersModule: string = './reminders.bench.js';
const reminders = await import(remindersModule).catch(() => undefined);
if (reminders?.runRemindersBench) await reminders.runRemindersBench();
await runOutboxBench();
// 1,000,000 filings take minutes; `npm run bench` runs 100,000 unless BENCH_FILINGS says otherwise (`npx tsx bench/redis.bench.ts` runs 1,000,000).
await runRedisBench(Number(process.env.BENCH_FILINGS ?? 100_000)).catch((error: Error) => console.log(`\nRedis benchmark skipped: ${error.message}`));
console.log(`\nRSS at the end: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB`);

/** `npm run bench`: every benchmark, printing figures (no assertions). */
import { runOutboxBench } from './outbox.bench.js';
import { runTurnsBench } from './turns.bench.js';

console.log(`beian-assistant benchmarks — node ${process.version}, ${new Date().toISOString()}`);
await runTurnsBench();
const remindersModule: string = './reminders.bench.js';
const reminders = await import(remindersModule).catch(() => undefined);
if (reminders?.runRemindersBench) await reminders.runRemindersBench();
await runOutboxBench();
console.log(`\nRSS at the end: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB`);

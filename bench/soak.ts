/**
 * Soak (issue 22 §7): the app as a child process (node on dist/main.js, as `npm start` runs it) with
 * an embedded store, Telegram's updates posted to its webhook by the fake Bot API (or long-polled,
 * with SOAK_MODE=polling), under steady mixed traffic from people who keep arriving: /start, contact
 * shares that link a filing, lookups, button presses taken from the bot's own keyboards, /mine,
 * /lang, and two signed filing events a second (upserts, reports, confirmations). The filings file
 * holds open verification windows, so reminders fall due on the real clock as it runs.
 * RSS is read from /proc every SOAK_SAMPLE_S seconds (10) and printed with the app's own heap
 * figures; at the end the verdict says whether RSS stayed flat within 10% after the warm-up (the
 * first fifth of the run). Not part of CI.
 *
 * Run: `npm run soak` (30 minutes; SOAK_MINUTES, SOAK_RATE updates/s (20), SOAK_SAMPLE_S change it).
 * SOAK_NODE_OPTIONS is given to the app's node (to compare V8 settings, say).
 * SOAK_SNAPSHOTS=1 also writes two heap snapshots of the app (SIGUSR2) in the run's directory, after
 * the warm-up and at the end, for comparing what grew (taking one inflates RSS for the rest of the run).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signEvent } from '../src/http/filing-events.hook.js';
import { freePort, startApp } from '../test/support/app-process.js';
import { callbackUpdate, contactUpdate, FakeBotApi, textUpdate } from '../test/support/fake-bot-api.js';
import { generateFilings } from './filings.gen.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 10);
const UPDATES_PER_SECOND = Number(process.env.SOAK_RATE ?? 20);
const SNAPSHOTS = process.env.SOAK_SNAPSHOTS === '1';
// Telegram posts updates to the app (webhook) unless SOAK_MODE=polling.
const WEBHOOK = process.env.SOAK_MODE !== 'polling';
const FILINGS = 2000;
const SECRET = 'soak-events-secret-0123456789';
const CHAT_BASE = 700_000_000;

/** The app's resident set in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const dir = mkdtempSync(join(tmpdir(), 'beian-soak-'));
const now = Date.now();
const filings = generateFilings(FILINGS, now, 0.2);
writeFileSync(join(dir, 'filings.json'), JSON.stringify({ filings }));
// The phones of the filings' principals, for contact shares that link a filing.
const phones = filings.map((f) =>
  String((f.subject as { principal: { phone: string } }).principal.phone)
    .replace(/\D/g, '')
    .slice(-11),
);
const ids = filings.map((f) => String(f.id));

const api = await FakeBotApi.start();
const port = await freePort();
const app = await startApp({
  mode: 'node',
  cwd: process.cwd(),
  port,
  env: {
    ...(WEBHOOK ? { TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/hook`, TELEGRAM_WEBHOOK_SECRET: 'soak-webhook-secret' } : {}),
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: api.apiRoot,
    STORE_URL: `file:${join(dir, 'state.sqlite')}`,
    FILINGS_FILE: join(dir, 'filings.json'),
    EVENTS_SECRET: SECRET,
    METRICS_TOKEN: SECRET,
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: [process.env.SOAK_NODE_OPTIONS ?? '', SNAPSHOTS ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` : ''].join(' ').trim(),
  },
});
await app.waitForHealth(60_000);
while (!(WEBHOOK ? api.webhookUrl : api.polling)) await sleep(50);
console.log(`soak: ${WEBHOOK ? 'webhook' : 'polling'}, ${MINUTES} min, ${UPDATES_PER_SECOND} updates/s plus events, app pid ${app.pid}, run dir ${dir}`);

let person = 0;
let eventSeq = 0;
let sentUpdates = 0;
let sentEvents = 0;

/** The app's JS heap in use and in total, and its external (Buffer, native) memory in MiB, from its own /metrics. */
async function heapMiB(): Promise<{ heap: number; total: number; external: number }> {
  const text = await (await fetch(`${app.base}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } })).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1_048_576;
  return { heap: gauge('nodejs_heap_size_used_bytes'), total: gauge('nodejs_heap_size_total_bytes'), external: gauge('nodejs_external_memory_bytes') };
}

/** The callback_data of the newest keyboard the bot sent to a chat, if any. */
function lastButton(chatId: number): string | undefined {
  for (let i = api.calls.length - 1, seen = 0; i >= 0 && seen < 400; i--, seen++) {
    const call = api.calls[i]!;
    if (String(call.params.chat_id) !== String(chatId)) continue;
    const rows = (call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined)?.inline_keyboard;
    const data = rows?.flat().find((b) => b.callback_data)?.callback_data;
    if (data) return data;
  }
  return undefined;
}

/** One update from the mix: mostly returning people, a steady share of new ones. */
function nextUpdate(i: number): void {
  const fresh = i % 5 === 0 || person === 0;
  if (fresh) person += 1;
  // New people keep arriving; returning ones are picked among the last 2,000.
  const id = CHAT_BASE + (fresh ? person : person - Math.floor(Math.random() * Math.min(person, 2000)));
  const k = id % FILINGS;
  const kind = i % 10;
  if (fresh) api.push(textUpdate(id, '/start'));
  else if (kind === 1) api.push(contactUpdate(id, phones[k]!));
  else if (kind === 2 || kind === 6) api.push(textUpdate(id, `/lookup ${ids[k]}`));
  else if (kind === 3 || kind === 7) {
    const data = lastButton(id);
    api.push(data ? callbackUpdate(id, data) : textUpdate(id, '/mine'));
  } else if (kind === 4) api.push(textUpdate(id, '/mine'));
  else if (kind === 8) api.push(textUpdate(id, '/lang en'));
  else api.push(textUpdate(id, '/help'));
  sentUpdates += 1;
}

/** One signed filing event: an upsert (rarely of a new filing), a report or a confirmation. */
async function nextEvent(): Promise<void> {
  eventSeq += 1;
  const at = new Date().toISOString();
  const k = eventSeq % FILINGS;
  const event =
    eventSeq % 4 === 0
      ? // Mostly updates of known filings; a new one now and then (the filings themselves are meant to grow).
        { eventId: `soak-${eventSeq}`, at, type: 'filing.upserted', filing: eventSeq % 80 === 0 ? { ...filings[k], id: `VE-2027-${String(eventSeq).padStart(7, '0')}` } : filings[k] }
      : eventSeq % 4 === 1
        ? { eventId: `soak-${eventSeq}`, at, type: 'filing.reported', filingId: ids[k] }
        : { eventId: `soak-${eventSeq}`, at, type: 'verification.confirmed', filingId: ids[k], phone: phones[k] };
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${app.base}/hooks/filing-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signEvent(SECRET, timestamp, body) },
    body,
  });
  await res.arrayBuffer();
  sentEvents += 1;
}

const samples: Array<{ s: number; rss: number }> = [];
const started = performance.now();
const endAt = started + MINUTES * 60_000;
const warmUpS = (MINUTES * 60) / 5;
let nextSample = started;
let i = 0;
let snapshotTaken = false;
while (performance.now() < endAt) {
  const tickStart = performance.now();
  for (let n = 0; n < UPDATES_PER_SECOND; n++) nextUpdate(i++);
  await Promise.all([nextEvent(), nextEvent()]).catch((error: unknown) => console.error('event failed', error));
  if (app.exit) throw new Error(`the app exited: ${JSON.stringify(app.exit)}\n${app.lines.slice(-20).join('\n')}`);
  if (performance.now() >= nextSample) {
    const s = Math.round((performance.now() - started) / 1000);
    const rss = rssMiB(app.pid);
    const { heap, total, external } = await heapMiB();
    samples.push({ s, rss });
    console.log(
      `t=${String(s).padStart(5)} s  rss=${rss.toFixed(1)} MiB  heap=${heap.toFixed(1)}/${total.toFixed(1)} external=${external.toFixed(1)}  updates=${sentUpdates} events=${sentEvents} replies=${api.sent.length} pending=${api.pendingCount}`,
    );
    nextSample += SAMPLE_S * 1000;
    if (SNAPSHOTS && !snapshotTaken && s >= warmUpS) {
      snapshotTaken = true;
      app.signal('SIGUSR2');
    }
  }
  // The fake keeps every call; only the recent ones are looked at for buttons.
  if (api.calls.length > 20_000) api.calls.splice(0, api.calls.length - 5_000);
  if (api.sent.length > 20_000) api.sent.splice(0, api.sent.length - 5_000);
  await sleep(Math.max(0, 1000 - (performance.now() - tickStart)));
}
if (SNAPSHOTS) {
  app.signal('SIGUSR2');
  await sleep(5000);
}

// RSS saws up and down as V8 grows and shrinks its young generation, so a single sample says little:
// the verdict compares the peaks of the first and last fifths after the warm-up, and the least-squares
// trend over the whole span after it. Growth shows in both; a sawtooth in neither.
const after = samples.filter((x) => x.s >= warmUpS);
const fifth = Math.max(1, Math.floor(after.length / 5));
const peak = (xs: typeof after) => Math.max(...xs.map((x) => x.rss));
const peakGrowth = peak(after.slice(-fifth)) / peak(after.slice(0, fifth)) - 1;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const [ms, mr] = [mean(after.map((x) => x.s)), mean(after.map((x) => x.rss))];
const slope =
  after.reduce((a, x) => a + (x.s - ms) * (x.rss - mr), 0) /
  Math.max(
    1e-9,
    after.reduce((a, x) => a + (x.s - ms) ** 2, 0),
  );
const span = (after.at(-1)?.s ?? 0) - (after[0]?.s ?? 0);
const trendGrowth = (slope * span) / mr;
const flat = peakGrowth <= 0.1 && trendGrowth <= 0.1;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
console.log(
  `after the warm-up (${warmUpS} s, ${after.length} samples): RSS min ${Math.min(...after.map((x) => x.rss)).toFixed(1)} MiB, mean ${mr.toFixed(1)} MiB, max ${peak(after).toFixed(1)} MiB; ` +
    `peak of the first fifth ${peak(after.slice(0, fifth)).toFixed(1)} MiB, of the last fifth ${peak(after.slice(-fifth)).toFixed(1)} MiB (${pct(peakGrowth)}); ` +
    `trend ${(slope * 60).toFixed(2)} MiB/min, ${pct(trendGrowth)} of the mean over ${Math.round(span / 60)} min`,
);
console.log(flat ? 'FLAT: RSS stayed within 10% after the warm-up' : 'NOT FLAT: RSS grew by more than 10% after the warm-up');
app.signal('SIGTERM');
await app.waitForExit(30_000).catch(() => app.killTree());
await api.stop();
process.exit(flat ? 0 : 1);

/**
 * Several instances on one Redis, done for real (issue 10 item 7): one redis-server, three copies of
 * the app started with `npm start`, the Bot API fake delivering the webhook through a round-robin
 * balancer, and filing events posted to different instances. The reminder dispatcher is killed
 * with SIGKILL mid-run; every notice and reminder must still reach each person exactly once, the
 * bot must stay within 25 sends in any second (1 per chat), and a cycle reported after the kill
 * must still be announced.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { startApp, type AppProcess } from '../support/app-process.js';
import { contactUpdate, FakeBotApi } from '../support/fake-bot-api.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startRoundRobin, type RoundRobin } from '../support/round-robin.js';
import { waitFor } from '../support/wait.js';

/** The leader lease (20 s) plus one try (5 s): docs/several-instances.md. */
const FAILOVER_BOUND_MS = 25_000;
/** Beyond the failover: the new leader's first tick and the send through the outbox. */
const ANNOUNCE_SLACK_MS = 10_000;
/**
 * What the dead leader had in hand comes back after its bump in the time index (60 s) or its outbox
 * lease (60 s), then one tick (15 s) and the send: the bound, from the kill, on everyone's reminder.
 */
const RECOVERY_BOUND_MS = 60_000 + 15_000 + 10_000;
const HOUR = 3_600_000;
// The dispatcher's sends in flight at once (its concurrency): what a SIGKILL can make repeat.
const IN_FLIGHT_BOUND = 8;
const HOOK_PATH = '/telegram/hook';
const HOOK_SECRET = 'multi-instance-hook-secret';
const EVENTS_SECRET = 'multi-instance-events-secret-0123';
const PHONE_KEY_SECRET = 'b7e1c9a04f3d62858a1e0c7b9d4f2a61c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

/** One person in the test: their chat, their phone, their filing and what it was made to test. */
interface Person {
  chat: number;
  phone: string;
  filingId: string;
  group: 'notice' | 'late12h' | 'dueMidRun' | 'byEvent';
}

/** A temp folder, a redis-server and the fake Bot API, each stopped after the test. */
async function startParts(): Promise<{ dir: string; redis: RedisServer; api: FakeBotApi }> {
  const dir = mkdtempSync(join(tmpdir(), 'beian-multi-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await startRedisServer();
  cleanup.push(() => redis.stop());
  const api = await FakeBotApi.start();
  cleanup.push(() => api.stop());
  return { dir, redis, api };
}

/** The filings file: one website principal per filing, so each person is the one verifier of their filing. */
function writeFilings(dir: string, people: Person[], t0: number): string {
  const reportedAt: Record<Person['group'], number | undefined> = {
    notice: t0 - 60_000,
    // The 12 h stage was due two minutes ago: as soon as linked, the person gets it as the notice they
    // never had, with the 12 h stage's urgency (one message under the stage's marker).
    late12h: t0 - 12 * HOUR - 120_000,
    // The 12 h stage falls due 50 s after the start: linked before, the person gets the notice merged
    // with it (R5, one message under the stage's marker), and nothing more when it falls due.
    dueMidRun: t0 - 12 * HOUR + 50_000,
    byEvent: undefined,
  };
  const filings = people.map((p) => {
    const at = reportedAt[p.group];
    return {
      id: p.filingId,
      type: 'new_website',
      subject: { name: '多实例测试有限公司', principal: { name: '主体', phone: '13300000001' } },
      websites: [{ name: `站点 ${p.chat}`, domains: [`s${p.chat}.example.cn`], principal: { name: '网站负责人', phone: p.phone } }],
      status: at === undefined ? 'provider_review' : 'verifying',
      ...(at === undefined ? {} : { cycle: { number: 1, reportedAt: new Date(at).toISOString(), verified: {} } }),
    };
  });
  const file = join(dir, 'filings.json');
  writeFileSync(file, JSON.stringify({ filings }));
  return file;
}

/** Posts one signed `filing.reported` event to an instance; resolves with the HTTP status. */
async function reportCycle(base: string, filingId: string, at: number): Promise<number> {
  const body = JSON.stringify({ eventId: randomUUID(), type: 'filing.reported', filingId, at: new Date(at).toISOString() });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${base}/hooks/filing-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signEvent(EVENTS_SECRET, timestamp, body) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Which instance holds the reminder lease, by its /healthz (the others say they stand by). */
async function leaderOf(apps: AppProcess[]): Promise<AppProcess | undefined> {
  for (const app of apps) {
    try {
      const res = await fetch(`${app.base}/healthz`, { signal: AbortSignal.timeout(2000) });
      const report = (await res.json()) as { adapters: Record<string, { detail?: string }> };
      const detail = report.adapters.reminders?.detail ?? '';
      if (detail !== '' && !detail.startsWith('standing by')) return app;
    } catch {
      // not answering: not the leader we can kill
    }
  }
  return undefined;
}

const NOTICE = /^The MIIT has sent the verification SMS for filing (\S+) to .*Verify before (.+?) \(China time\)/s;
const STAGE = /^Reminder: filing (\S+) still needs your SMS verification\. Deadline (.+?) \(China time\)/s;

/** A person's reminder messages (notices and stages) by `filing@deadline`, i.e. by cycle. */
function remindersByCycle(api: FakeBotApi, chat: number): Map<string, string[]> {
  const byCycle = new Map<string, string[]>();
  for (const text of api.messagesTo(chat)) {
    const m = NOTICE.exec(text) ?? STAGE.exec(text);
    if (!m) continue;
    const key = `${m[1]}@${m[2]}`;
    byCycle.set(key, [...(byCycle.get(key) ?? []), text]);
  }
  return byCycle;
}

/** The sum of `beian_turns_total` over the instances: how many turns ran, wherever. */
async function turnsRun(apps: AppProcess[]): Promise<number> {
  let total = 0;
  for (const app of apps) {
    const text = await (await fetch(`${app.base}/metrics`)).text();
    for (const m of text.matchAll(/^beian_turns_total\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  }
  return total;
}

/** Posts one update to an instance's webhook as Telegram would; resolves with the HTTP status. */
async function deliver(app: AppProcess, update: object): Promise<number> {
  const res = await fetch(`${app.base}${HOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': HOOK_SECRET }, body: JSON.stringify(update) });
  await res.arrayBuffer();
  return res.status;
}

describe('three instances on one Redis, the dispatcher killed mid-run', () => {
  it('30 people linked round-robin get every notice and reminder exactly once, within 25/s and 1/s per chat; a cycle reported after the kill is announced', async () => {
    const { dir, redis, api } = await startParts();
    const apps: AppProcess[] = [];
    const balancer: RoundRobin = await startRoundRobin(() => apps.map((a) => a.base));
    cleanup.push(() => balancer.stop());

    const groups: Person['group'][] = ['notice', 'late12h', 'dueMidRun', 'byEvent'];
    const people: Person[] = Array.from({ length: 30 }, (_, i) => ({
      chat: 70_001 + i,
      phone: String(13_910_000_000 + i),
      filingId: `MI-${String(i).padStart(4, '0')}`,
      group: i < 10 ? 'notice' : i < 18 ? 'late12h' : i < 24 ? 'dueMidRun' : 'byEvent',
    }));
    expect(new Set(people.map((p) => p.group))).toEqual(new Set(groups));
    const t0 = Date.now();
    const env = {
      STORE_URL: `${redis.url}/0`,
      PHONE_KEY_SECRET,
      EVENTS_SECRET,
      FILINGS_FILE: writeFilings(dir, people, t0),
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      TELEGRAM_WEBHOOK_URL: `${balancer.base}${HOOK_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: HOOK_SECRET,
      DEFAULT_LOCALE: 'en',
      HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '1000',
    };
    for (let i = 0; i < 3; i++) {
      const app = await startApp({ mode: 'npm', env });
      cleanup.push(() => app.killTree());
      apps.push(app);
    }
    await Promise.all(apps.map((a) => a.waitForHealth(45_000)));

    // Everyone shares their contact; the fake posts to the balancer, which spreads them over the three.
    for (const p of people) api.push(contactUpdate(p.chat, `+86 ${p.phone}`));
    const linked = (p: Person) => api.messagesTo(p.chat).some((t) => t.startsWith('Linked:'));
    await waitFor('every link confirmed', () => people.every(linked), 30_000);
    const hooked = balancer.forwarded.filter((f) => f.path === HOOK_PATH);
    expect(new Set(hooked.map((f) => f.upstream))).toEqual(new Set([0, 1, 2]));

    // The filing system reports the last group's cycles, each event to another instance.
    const byEvent = people.filter((p) => p.group === 'byEvent');
    const statuses = await Promise.all(byEvent.map((p, i) => reportCycle(apps[i % 3]!.base, p.filingId, Date.now())));
    expect(statuses.every((s) => s === 200)).toBe(true);

    // Mid-run: some people have had their first reminder, not all; then the dispatcher dies.
    const reminded = (p: Person) => remindersByCycle(api, p.chat).size > 0;
    await waitFor('a third of the reminders', () => people.filter(reminded).length >= 10, 40_000);
    const leader = (await leaderOf(apps)) ?? apps[0]!;
    leader.killTree();
    await leader.waitForExit(5000);
    const killedAt = Date.now();
    const survivors = apps.filter((a) => a !== leader);

    // A new cycle for a filing whose first notice is out, reported through a surviving instance.
    const renewed = people.find((p) => p.group === 'notice' && reminded(p)) ?? people[0]!;
    const newAt = Date.now();
    expect(await reportCycle(survivors[0]!.base, renewed.filingId, newAt)).toBe(200);
    await waitFor('the new cycle announced', () => remindersByCycle(api, renewed.chat).size >= 2 || undefined, FAILOVER_BOUND_MS + ANNOUNCE_SLACK_MS);
    const announcedAfterMs = Date.now() - killedAt;

    // Everyone's reminders, including what the dead leader had claimed and not sent.
    const missing = () => people.filter((p) => !reminded(p)).map((p) => `${p.chat} (${p.group})`);
    await waitFor('a reminder for everyone', () => people.every(reminded), Math.max(0, killedAt + RECOVERY_BOUND_MS - Date.now())).catch((error: Error) => {
      throw new Error(`${error.message}; none for ${missing().join(', ')}`);
    });
    const allRemindedAfterKillMs = Date.now() - killedAt;
    // Then past the mid-run stage's time plus one tick, so a repeat at that stage would show.
    await sleep(Math.max(0, t0 + 50_000 + 17_000 - Date.now()));

    const expected = (p: Person) => (p === renewed ? 2 : 1);
    const counts = people.map((p) => ({ p, cycles: remindersByCycle(api, p.chat) }));
    // One message per cycle and stage; the same message twice is the at-least-once repeat of a send in
    // flight at the SIGKILL, bounded below with every other repeat.
    const wrong = counts.filter(({ p, cycles }) => cycles.size !== expected(p) || [...cycles.values()].some((texts) => new Set(texts).size !== 1 || texts.length > 2));
    expect(wrong.map(({ p, cycles }) => ({ chat: p.chat, group: p.group, cycles: Object.fromEntries(cycles) }))).toEqual([]);
    // Every person's first message of a cycle is the notice; the group linked after the 12 h stage fell
    // due gets it with that stage's urgency (the mid-run group gets it so if linked after that stage, too).
    const first = (p: Person) => [...remindersByCycle(api, p.chat).values()][0]![0]!;
    expect(people.every((p) => NOTICE.test(first(p)))).toBe(true);
    expect(people.filter((p) => p.group === 'late12h').every((p) => first(p).includes('less than 12 h of the 24-hour window is left'))).toBe(true);
    expect(people.filter((p) => p.group === 'notice' || p.group === 'byEvent').every((p) => !first(p).includes('less than'))).toBe(true);
    // Delivery is at least once: a message the killed instance had handed to Telegram but not yet
    // removed from the outbox is sent again by a survivor. At most the dispatcher's sends in flight
    // at the kill (its concurrency) can repeat, each once; nothing else repeats.
    const repeats = people.flatMap((p) => {
      const texts = api.messagesTo(p.chat);
      return texts.filter((t, i) => texts.indexOf(t) !== i).map((t) => ({ chat: p.chat, text: t }));
    });
    expect(repeats.length).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
    expect(new Set(repeats.map((r) => `${r.chat}\n${r.text}`)).size).toBe(repeats.length);
    const peak = api.maxInWindow(1000);
    const peakPerChat = Math.max(...people.map((p) => api.maxInWindow(1000, p.chat)));
    expect(peak).toBeLessThanOrEqual(25);
    expect(peakPerChat).toBe(1);
    console.info(JSON.stringify({ peak, peakPerChat, announcedAfterMs, allRemindedAfterKillMs, leaderKilled: apps.indexOf(leader), sends: api.sent.length, wallMs: Date.now() - t0 }));
  }, 180_000);

  it('the same update reaching two instances at the same moment runs one turn; the other asks for it again, and the redelivery is a duplicate', async () => {
    const { dir, redis, api } = await startParts();
    const people: Person[] = Array.from({ length: 12 }, (_, i) => ({ chat: 80_001 + i, phone: String(13_920_000_000 + i), filingId: `MD-${String(i).padStart(4, '0')}`, group: 'byEvent' }));
    const env = {
      STORE_URL: `${redis.url}/0`,
      PHONE_KEY_SECRET,
      FILINGS_FILE: writeFilings(dir, people, Date.now()),
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      // Nothing is pushed through the fake: the test is Telegram here, delivering each update to both at once.
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:9${HOOK_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: HOOK_SECRET,
      DEFAULT_LOCALE: 'en',
      HOST: '127.0.0.1',
    };
    const apps: AppProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const app = await startApp({ mode: 'npm', env });
      cleanup.push(() => app.killTree());
      apps.push(app);
    }
    await Promise.all(apps.map((a) => a.waitForHealth(45_000)));
    const before = await turnsRun(apps);

    const updates = people.map((p, i) => ({ update_id: 500_001 + i, ...contactUpdate(p.chat, `+86 ${p.phone}`) }));
    const first = await Promise.all(updates.map((u) => Promise.all(apps.map((app) => deliver(app, u)))));
    // Each pair: one instance handled it (200); the other found it claimed (503, deliver again) or already done (200).
    for (const pair of first) expect(pair.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    const asked = first.flat().filter((s) => s === 503).length;
    // Telegram delivers the refused ones again, to either instance: now each is a duplicate.
    const again = await Promise.all(updates.map((u, i) => deliver(apps[i % 2]!, u)));
    expect(again.every((s) => s === 200)).toBe(true);

    await waitFor('every link confirmed', () => people.every((p) => api.messagesTo(p.chat).some((t) => t.startsWith('Linked:'))), 20_000);
    expect((await turnsRun(apps)) - before).toBe(updates.length);
    expect(people.map((p) => api.messagesTo(p.chat).filter((t) => t.startsWith('Linked:')).length)).toEqual(people.map(() => 1));
    console.info(JSON.stringify({ updates: updates.length, askedAgain: asked }));
  }, 90_000);
});

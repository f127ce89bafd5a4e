/**
 * Nothing taken in is lost (issue 15 §2, §4, §6), done for real: the app as a child process on an
 * embedded store, against the Bot API fake whose updates stay until a later offset confirms them.
 * It is killed mid-burst, stopped mid-queue and rate-limited for 20 hours, and every person must
 * still get their answer, repeated at most for the sends in flight at the crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type AppProcess, type LaunchMode } from '../support/app-process.js';
import { contactUpdate, FakeBotApi, textUpdate } from '../support/fake-bot-api.js';
import { waitFor } from '../support/wait.js';
import { FakeSlack } from '../slack/fake-slack.js';

/** The dispatcher's sends in flight at once (its default): what a crash can repeat at most. */
const IN_FLIGHT_BOUND = 8;
const STOP_BOUND_MS = 15_000;

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

/** A fresh directory for the embedded store (state and outbox files), removed after the test. */
function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beian-durable-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the app against the fake on the store in `dir` and waits until it polls. */
async function launch(api: FakeBotApi, dir: string, opts: { mode?: LaunchMode; env?: Record<string, string> } = {}): Promise<AppProcess> {
  const app = await startApp({ mode: opts.mode ?? 'node', env: { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, STORE_URL: `file:${join(dir, 'state.sqlite')}`, ...opts.env } });
  cleanup.push(() => app.killTree());
  await app.waitForHealth();
  return app;
}

async function fakeApi(): Promise<FakeBotApi> {
  const api = await FakeBotApi.start();
  cleanup.push(() => api.stop());
  return api;
}

/** How many answers each person got, and how many beyond the first in all. */
function tally(api: FakeBotApi, people: number[]): { missing: number[]; repeats: number } {
  const counts = people.map((id) => api.messagesTo(id).length);
  return { missing: people.filter((_, i) => counts[i] === 0), repeats: counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0) };
}

const crowd = (n: number, first: number) => Array.from({ length: n }, (_, i) => first + i);

describe('the durable outbox, with the process killed and stopped for real', () => {
  it('300 people send /start; SIGKILL to the whole tree after ~20 replies; after a restart every one has an answer, repeats only for what was in flight', async () => {
    const api = await fakeApi();
    const dir = storeDir();
    const people = crowd(300, 10_001);
    const first = await launch(api, dir);
    for (const id of people) api.push(textUpdate(id, '/start'));
    await waitFor('the first 20 replies', () => api.sent.length >= 20, 30_000);
    first.killTree();
    await first.waitForExit(5000);
    const beforeRestart = api.sent.length;
    expect(beforeRestart).toBeLessThan(people.length);

    await launch(api, dir);
    await waitFor('an answer to all 300', () => tally(api, people).missing.length === 0 || undefined, 45_000);
    const { repeats } = tally(api, people);
    expect(repeats).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
    // Everything handed out was confirmed in the end: nothing is left for yet another start to repeat.
    await waitFor('every update confirmed', () => api.pendingCount === 0, 10_000);
  }, 90_000);

  it('1,000 people send /help; SIGTERM to npm mid-queue exits 0 within 15 s; after a restart everyone has exactly one answer', async () => {
    const api = await fakeApi();
    const dir = storeDir();
    const people = crowd(1000, 20_001);
    // A short grace, so the stop leaves most of the queue stored; 100/s (paid broadcast) keeps the test short.
    const env = { SHUTDOWN_GRACE_MS: '1500', OUTBOX_MAX_PER_SECOND: '100' };
    const first = await launch(api, dir, { mode: 'npm', env });
    for (const id of people) api.push(textUpdate(id, '/help'));
    await waitFor('the first 50 replies', () => api.sent.length >= 50, 30_000);
    first.signal('SIGTERM');
    expect(await first.waitForExit(STOP_BOUND_MS)).toEqual({ code: 0, signal: null });
    expect(first.survivors()).toEqual([]);
    expect(tally(api, people).missing.length).toBeGreaterThan(0);

    await launch(api, dir, { env });
    await waitFor('an answer to all 1,000', () => tally(api, people).missing.length === 0 || undefined, 45_000);
    expect(tally(api, people).repeats).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
  }, 90_000);

  it('a 429 asking for 73414 s: other chats go on, that chat gets its reply after the capped wait, and the team hears it is unreachable', async () => {
    const api = await fakeApi();
    const slack = new FakeSlack();
    await slack.start();
    cleanup.push(() => slack.close());
    const env = {
      OUTBOX_MAX_RETRY_AFTER_MS: '1500',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'slack-signing-secret-0123',
      SLACK_API_URL: slack.apiUrl,
      SLACK_ALERT_CHANNEL: 'C0ALERTS1',
    };
    await launch(api, storeDir(), { env });
    const applicant = 30_001;
    // A principal of VE-2026-000101, whose verification window is open in the demo data.
    api.push(contactUpdate(applicant, '8613800138000'));
    await waitFor('the link to be confirmed', () => api.messagesTo(applicant).length >= 2, 20_000);
    api.inject429({ chatId: applicant, method: 'sendMessage', times: 2, retryAfter: 73_414 });
    const others = crowd(10, 30_101);
    api.push(textUpdate(applicant, '/help'));
    for (const id of others) api.push(textUpdate(id, '/help'));

    await waitFor('the others’ answers', () => others.every((id) => api.messagesTo(id).length === 1), 20_000);
    const answered = () => api.messagesTo(applicant).find((text) => text.startsWith('我可以'));
    await waitFor('the applicant’s answer after the capped waits', answered, 20_000);
    const last = (chat: number) => api.sent.filter((s) => s.chatId === String(chat)).at(-1)!.at;
    expect(Math.max(...others.map(last))).toBeLessThanOrEqual(last(applicant));
    const refused = api.calls.filter((c) => c.method === 'sendMessage' && String(c.params.chat_id) === String(applicant) && c.status === 429);
    expect(refused).toHaveLength(2);

    const alert = await waitFor('the unreachable alert', () => slack.api('chat.postMessage').find((p) => JSON.stringify(p.body).includes('无法送达')), 10_000);
    const text = JSON.stringify(alert.body);
    expect(text).toContain('VE-2026-000101');
    expect(text).toContain('138****8000');
    expect(text).not.toContain('13800138000');
  }, 90_000);

  it('150 chats answered at once: at most 25 sends in any one-second window for the bot, and at most 1 per chat', async () => {
    const api = await fakeApi();
    await launch(api, storeDir());
    const people = crowd(150, 40_001);
    for (const id of people) api.push(textUpdate(id, '/help'));
    await waitFor('an answer to all 150', () => tally(api, people).missing.length === 0 || undefined, 30_000);
    expect(api.maxInWindow(1000)).toBeLessThanOrEqual(25);
    expect(Math.max(...people.map((id) => api.maxInWindow(1000, id)))).toBe(1);
    expect(tally(api, people).repeats).toBe(0);
  }, 60_000);
});

/**
 * End to end: signed filing events in over HTTP, reminders out through the real Telegram adapter to
 * the Bot API emulator, team alerts out through the real Slack adapter to a fake Slack Web API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSlack, type SlackDeps } from '../../adapters/slack/slack.adapter.js';
import { startSlackAlerts } from '../../adapters/slack/slack.alerts.js';
import { startTelegram } from '../../adapters/telegram/telegram.adapter.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';
import { testOutbox } from '../telegram/support/harness.js';
import { route } from '../../flows/router.js';
import type { RunningAdapter } from '../../src/adapter.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { createLogger } from '../../src/log.js';
import { signEvent } from '../../src/http/filing-events.hook.js';
import type { RunningReminders } from '../../src/reminders/service.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startServices } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { SECRET } from './fakes.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

const TOKEN = '123456:ABC';
const ALERT_CHANNEL = 'C0ALERTS01';
const CHAT = '1001'; // a private chat: Telegram's chat id equals the user id
const PHONE = '13800138000'; // the fixture's subject principal
const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;

const dir = mkdtempSync(join(tmpdir(), 'beian-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake Slack Web API: answers every method ok, records chat.postMessage. */
class FakeSlackApi {
  readonly posts: Array<{ channel: string; text: string }> = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body: Record<string, string> = (req.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw));
        const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
        let answer: Record<string, unknown> = { ok: true };
        if (method === 'auth.test') answer = { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'beian', team_id: 'T0TEAM0001', user_id: 'U0BOT00001', bot_id: 'B0BOT00001' };
        if (method === 'chat.postMessage') {
          this.posts.push({ channel: body.channel ?? '', text: body.text ?? '' });
          answer = { ok: true, channel: body.channel, ts: `${Date.now() / 1000}` };
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** The Bot API emulator on a free loopback port. */
async function startEmulator(): Promise<TelegramServer> {
  const emu = new TelegramServer({ host: '127.0.0.1', storeTimeout: 600 });
  // The emulator turns port 0 into 9000; asking for 0 after construction picks a free port.
  emu.config.port = 0;
  await emu.start();
  const port = ((emu as unknown as { server: Server }).server.address() as AddressInfo).port;
  emu.config.apiURL = `http://127.0.0.1:${port}`;
  return emu;
}

interface App {
  core: Core;
  reminders: RunningReminders;
  adapters: RunningAdapter[];
  base: string;
  clock: FakeClock;
  post(body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

/** The process as main.ts assembles it, with a fake clock and the platforms pointed at local fakes. */
async function startApp(opts: { filings: Filing[]; store: KeyvStateStore; emu?: TelegramServer; slack?: FakeSlackApi }): Promise<App> {
  const env: Record<string, string> = { STORE_URL: 'memory://', EVENTS_SECRET: SECRET };
  if (opts.emu) Object.assign(env, { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: opts.emu.config.apiURL });
  if (opts.slack) Object.assign(env, { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: 'slack-signing-secret', SLACK_API_URL: opts.slack.url, SLACK_ALERT_CHANNEL: ALERT_CHANNEL });
  const clock = new FakeClock(NOW);
  const logger = createLogger({ level: 'silent' });
  const core = await createCore(loadConfig(env), { route, clock, logger, backend: localBackend(opts.store), filings: opts.filings });
  const server = new HttpServer(logger);
  const adapters: RunningAdapter[] = [];
  const outbox = testOutbox(core);
  if (opts.emu)
    adapters.push(
      await startTelegram({ config: core.config, turn: (a) => core.runner.run(a, TELEGRAM_CAPABILITIES), people: core.people, store: core.store, outbox, logger, metrics: core.metrics, channels: core.channels }, server, {
        pollIdleMs: 20,
        pollTimeoutSec: 0,
      }),
    );
  const slackDeps: SlackDeps = { config: core.config, clock, logger, store: core.store, filings: core.filings, people: core.people, calendar: core.calendar };
  const alerts = opts.slack ? startSlackAlerts(slackDeps, outbox) : undefined;
  outbox.start();
  const reminders = await startServices(core, server, { adapters, teamAlerts: alerts, reminders: { intervalMs: 100 } });
  if (opts.slack) adapters.push(await startSlack({ ...slackDeps, ...(core.nudge ? { nudge: core.nudge } : {}) }, server, outbox));
  const port = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  return {
    core,
    reminders,
    adapters,
    base,
    clock,
    post: (body) => {
      const raw = JSON.stringify(body);
      const ts = String(Math.floor(clock.now().valueOf() / 1000));
      return fetch(`${base}/hooks/filing-events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signEvent(SECRET, ts, raw) }, body: raw });
    },
    async stop() {
      await reminders.stop();
      for (const a of adapters) await a.stop();
      await outbox.stop();
      alerts?.stop();
      await server.close();
      await core.close();
    },
  };
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

function botMessagesTo(emu: TelegramServer, chat: string) {
  return emu.storage.botMessages.filter((m) => String(m.message.chat_id) === chat);
}

describe('e2e reminders', () => {
  it('a signed filing.reported reaches the Telegram emulator as a notice to the linked verifier, with its buttons', async () => {
    const emu = await startEmulator();
    cleanup.push(() => emu.stop());
    const app = await startApp({ filings: [makeFiling({ status: 'provider_review', cycle: undefined })], store: KeyvStateStore.memory(), emu });
    cleanup.push(() => app.stop());
    await app.core.people.link({ channel: 'telegram', userId: CHAT, conversationId: CHAT }, PHONE, '138****8000');

    const res = await app.post({ eventId: 'e2e-reported-1', type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' });
    expect(await res.json()).toEqual({ ok: true, duplicate: false });

    const [notice] = await waitFor('the notice in the emulator', () => (botMessagesTo(emu, CHAT).length > 0 ? botMessagesTo(emu, CHAT) : undefined));
    expect(notice!.message.text).toBe('工信部已向 138****8000 发送备案 VE-TEST-0001 的核验短信。请在 2026-11-30 12:00（北京时间）前完成核验，还剩 24 小时 0 分。');
    const keyboard = (notice!.message.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard;
    expect(keyboard.flat().map((b) => b.callback_data)).toEqual(['vg:VE-TEST-0001', 'rg:VE-TEST-0001', 'iv:VE-TEST-0001']);
    // The same event again changes nothing and sends nothing.
    expect(await (await app.post({ eventId: 'e2e-reported-1', type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' })).json()).toEqual({ ok: true, duplicate: true });
    await app.reminders.tick();
    await sleep(200);
    expect(botMessagesTo(emu, CHAT)).toHaveLength(1);
  });

  it('a signed verification.confirmed reaches the Telegram emulator, through the outbox, as one "recorded, no more reminders" notice', async () => {
    const emu = await startEmulator();
    cleanup.push(() => emu.stop());
    const app = await startApp({ filings: [makeFiling({ cycle: { number: 1, reportedAt: NOW, verified: {} } })], store: KeyvStateStore.memory(), emu });
    cleanup.push(() => app.stop());
    await app.core.people.link({ channel: 'telegram', userId: CHAT, conversationId: CHAT }, PHONE, '138****8000');
    await waitFor('the notice in the emulator', () => (botMessagesTo(emu, CHAT).length > 0 ? true : undefined));

    expect(await (await app.post({ eventId: 'e2e-ok-1', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: PHONE })).json()).toEqual({ ok: true, duplicate: false });
    await waitFor('the confirmed notice', () => (botMessagesTo(emu, CHAT).length > 1 ? true : undefined));
    // Again, and once more under another id: nothing more. A new report is the barrier: its notice comes after anything queued before it.
    await app.post({ eventId: 'e2e-ok-1', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: PHONE });
    app.clock.advance(60_000);
    await app.post({ eventId: 'e2e-ok-2', type: 'verification.confirmed', at: app.clock.now().toISOString(), filingId: 'VE-TEST-0001', phone: PHONE });
    await app.reminders.tick();
    await app.post({ eventId: 'e2e-reported-2', type: 'filing.reported', at: app.clock.now().toISOString(), filingId: 'VE-TEST-0001' });
    await waitFor('the next cycle’s notice', () => (botMessagesTo(emu, CHAT).length > 2 ? true : undefined));
    expect(botMessagesTo(emu, CHAT).map((m) => m.message.text.slice(0, 5))).toEqual(['工信部已向', '备案系统已', '工信部已向']);
    expect(botMessagesTo(emu, CHAT)[1]!.message.text).toBe('备案系统已记录您对备案 VE-TEST-0001 的短信核验。本轮核验期间不会再向您发送提醒。');
  });

  it('an at-risk filing reaches the fake Slack alert channel once', async () => {
    const slack = new FakeSlackApi();
    await slack.start();
    cleanup.push(() => slack.stop());
    const reportedAt = instant(instant(NOW).valueOf() - 21 * HOUR).toISOString();
    const app = await startApp({ filings: [makeFiling({ cycle: { number: 1, reportedAt, verified: {} } })], store: KeyvStateStore.memory(), slack });
    cleanup.push(() => app.stop());
    const alerts = await waitFor('the at-risk alert', () => (slack.posts.length > 0 ? slack.posts : undefined));
    expect(alerts[0]!.channel).toBe(ALERT_CHANNEL);
    expect(alerts[0]!.text).toContain('VE-TEST-0001');
    await app.reminders.tick();
    await sleep(200);
    expect(slack.posts.filter((p) => p.channel === ALERT_CHANNEL)).toHaveLength(1);
  });

  it('issue 6 "done when": reported 21 h ago → a Telegram 4h reminder (worded as the notice) and one Slack at-risk alert soon after start; a restart repeats neither', async () => {
    const emu = await startEmulator();
    cleanup.push(() => emu.stop());
    const slack = new FakeSlackApi();
    await slack.start();
    cleanup.push(() => slack.stop());
    const file = join(dir, 'done-when.sqlite');
    const reportedAt = instant(instant(NOW).valueOf() - 21 * HOUR).toISOString();
    const filings = [makeFiling({ cycle: { number: 1, reportedAt, verified: {} } })];

    const first = await startApp({ filings, store: KeyvStateStore.sqlite(file), emu, slack });
    await first.core.people.link({ channel: 'telegram', userId: CHAT, conversationId: CHAT }, PHONE, '138****8000');
    await first.reminders.tick();
    const [reminder] = await waitFor('the 4h reminder', () => (botMessagesTo(emu, CHAT).length > 0 ? botMessagesTo(emu, CHAT) : undefined));
    // Nothing of this cycle reached the person before: the 4h stage goes out as the notice, with the 4h stage's urgency.
    expect(reminder!.message.text).toBe(
      '工信部已向 138****8000 发送备案 VE-TEST-0001 的核验短信。请在 2026-11-29 15:00（北京时间）前完成核验，还剩 3 小时 0 分。\n' +
        '这条短信已于 2026-11-28 15:00（北京时间）发出，24 小时核验时限只剩不到 4 小时：请尽快用最近收到的验证码完成核验。',
    );
    await waitFor('the at-risk alert', () => slack.posts.length > 0);
    await first.stop();

    const second = await startApp({ filings, store: KeyvStateStore.sqlite(file), emu, slack });
    cleanup.push(() => second.stop());
    second.clock.advance(5 * 60_000);
    await second.reminders.tick();
    await sleep(300);
    expect(botMessagesTo(emu, CHAT)).toHaveLength(1);
    expect(slack.posts).toHaveLength(1);
  });
});

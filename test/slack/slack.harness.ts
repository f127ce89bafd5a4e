/** The Slack test harness: a core on the demo filings at a fixed instant, the real Bolt app on a real HttpServer, signed requests, a fake Slack. */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { startSlack, type RunningSlack, type SlackDeps, type SlackOptions } from '../../adapters/slack/slack.adapter.js';
import { startSlackAlerts, type SlackAlerts } from '../../adapters/slack/slack.alerts.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { createLogger } from '../../src/log.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { FakeSlack, type Recorded } from './fake-slack.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import { testOutbox } from '../telegram/support/harness.js';
import { route } from '../../flows/router.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

/** The signing secret of every test app. */
export const SECRET = 'test-signing-secret-0123456789';
/** The workspace the bot belongs to (auth.test of the fake). */
export const TEAM = 'T0TEAM0001';
/** A team member. */
export const ALICE = 'U0ALICE001';
/** The channel commands are typed in. */
export const CHANNEL = 'C0CHAN0001';

/** An HTTP answer. */
export interface Answer {
  status: number;
  text: string;
}

/** Who sends a command or presses a button. */
export interface As {
  user?: string;
  team?: string;
}

/** A running harness. */
export interface Harness {
  core: Core;
  clock: FakeClock;
  fake: FakeSlack;
  slack: RunningSlack;
  /** The alert channel the adapter built (SLACK_ALERT_CHANNEL), as the reminder service would get it. */
  teamAlerts?: SlackAlerts;
  /** The durable outbox the alerts post through (in memory, loose limits). */
  outbox: Outbox;
  /** The nudger the adapter calls; a test sets it (the reminder service is not running here). */
  nudger: { current?: Nudger };
  logs: string[];
  /** The HTTP server the adapter is mounted on. */
  server: HttpServer;
  url: string;
  /** Posts a raw body with the given headers; waits until the app has finished with it and the outbox sent what it stored. */
  post(body: string, headers: Record<string, string>): Promise<Answer>;
  /** Headers signing `body` at `ts` (seconds; default: the clock's now). */
  sign(body: string, ts?: number): Record<string, string>;
  /** `/beian <text>`: resolves with the response_url post the app made, if any. */
  command(text: string, as?: As): Promise<{ answer: Answer; reply?: Recorded; responseUrl: string }>;
  /** Presses a button: resolves with the response_url post the app made, if any. */
  press(actionId: string, value: string, as?: As & { responseUrl?: string | null }): Promise<{ answer: Answer; reply?: Recorded; responseUrl: string }>;
  /** Delivers an Events API event. */
  event(event: Record<string, unknown>, opts?: { eventId?: string; retryNum?: number; team?: string }): Promise<Answer>;
  close(): Promise<void>;
}

/** Options: extra environment, filings instead of the demo, adapter options. */
export interface HarnessOptions {
  env?: Record<string, string>;
  filings?: Filing[];
  adapter?: SlackOptions;
  /** Start without a nudger at all, as when the reminder service is not running. */
  withoutNudger?: boolean;
  /** Outbox limits or numbers other than the loose test ones. */
  outbox?: Parameters<typeof testOutbox>[1];
}

let triggers = 0;

/** Starts a harness on the demo filings at DEMO_ANCHOR. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const fake = new FakeSlack();
  await fake.start();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const clock = new FakeClock(DEMO_ANCHOR);
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_ALERT_CHANNEL: 'C0ALERTS1',
    STORE_URL: 'memory://',
    ...opts.env,
  });
  const core = await createCore(config, { route, backend: localBackend(KeyvStateStore.memory()), logger, clock, ...(opts.filings ? { filings: opts.filings } : {}) });
  const server = new HttpServer(logger);
  const nudger: Harness['nudger'] = {};
  const nudge: Nudger = (filing, o) => {
    if (!nudger.current) throw new Error('this test set no nudger');
    return nudger.current(filing, o);
  };
  const deps: SlackDeps = { config, clock, logger, store: core.store, filings: core.filings, people: core.people, calendar: core.calendar, ...(opts.withoutNudger ? {} : { nudge }) };
  const adapterOptions: SlackOptions = { ...opts.adapter };
  const outbox = testOutbox(core, opts.outbox);
  const teamAlerts = startSlackAlerts(deps, outbox);
  outbox.start();
  const slack = await startSlack(deps, server, outbox, adapterOptions);
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/slack/events`;

  const sign = (body: string, ts = Math.floor(clock.now().valueOf() / 1000)) => ({
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  });
  const post = async (body: string, headers: Record<string, string>): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', body, headers });
    const text = await res.text();
    await slack.idle();
    await drained(outbox);
    return { status: res.status, text };
  };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  return {
    core,
    clock,
    fake,
    slack,
    ...(teamAlerts ? { teamAlerts } : {}),
    outbox,
    nudger,
    logs,
    server,
    url,
    post,
    sign,
    async command(text, as = {}) {
      const responseUrl = fake.nextResponseUrl();
      triggers += 1;
      const body = form({
        token: 'legacy-verification-token',
        team_id: as.team ?? TEAM,
        team_domain: 'example',
        channel_id: CHANNEL,
        channel_name: 'beian-team',
        user_id: as.user ?? ALICE,
        user_name: 'alice',
        command: '/beian',
        text,
        api_app_id: 'A0APP00001',
        is_enterprise_install: 'false',
        response_url: responseUrl,
        trigger_id: `trigger.${triggers}.cmd`,
      });
      const answer = await post(body, { ...formHeaders, ...sign(body) });
      return { answer, reply: fake.responsesTo(responseUrl).at(-1), responseUrl };
    },
    async press(actionId, value, as = {}) {
      // null: a payload without response_url, as from a view.
      const responseUrl = as.responseUrl === null ? '' : (as.responseUrl ?? fake.nextResponseUrl());
      triggers += 1;
      const payload = {
        type: 'block_actions',
        team: { id: as.team ?? TEAM, domain: 'example' },
        user: { id: as.user ?? ALICE, username: 'alice', team_id: as.team ?? TEAM },
        api_app_id: 'A0APP00001',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: '1700000000.000009', channel_id: CHANNEL, is_ephemeral: true },
        trigger_id: `trigger.${triggers}.act`,
        channel: { id: CHANNEL, name: 'beian-team' },
        ...(responseUrl ? { response_url: responseUrl } : {}),
        actions: [{ type: 'button', action_id: actionId, block_id: 'blk', value, text: { type: 'plain_text', text: 'x' }, action_ts: '1700000000.000010' }],
      };
      const body = form({ payload: JSON.stringify(payload) });
      const answer = await post(body, { ...formHeaders, ...sign(body) });
      return { answer, reply: responseUrl ? fake.responsesTo(responseUrl).at(-1) : undefined, responseUrl };
    },
    async event(event, o = {}) {
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: o.team ?? TEAM,
        api_app_id: 'A0APP00001',
        event: { event_ts: '1700000000.000020', ...event },
        type: 'event_callback',
        event_id: o.eventId ?? `Ev${(triggers += 1)}`,
        event_time: Math.floor(clock.now().valueOf() / 1000),
        authorizations: [{ team_id: o.team ?? TEAM, user_id: 'U0BOT00001', is_bot: true }],
      });
      const headers: Record<string, string> = { 'content-type': 'application/json', ...sign(body) };
      if (o.retryNum !== undefined) Object.assign(headers, { 'x-slack-retry-num': String(o.retryNum), 'x-slack-retry-reason': 'http_timeout' });
      return post(body, headers);
    },
    async close() {
      await slack.stop();
      teamAlerts?.stop();
      await outbox.stop();
      await server.close();
      await fake.close();
      await core.close();
    },
  };
}

/** Resolves once the outbox holds nothing (replies are sent after the request was answered). */
export async function drained(outbox: Outbox): Promise<void> {
  for (let i = 0; (await outbox.stats()).pending > 0; i += 1) {
    if (i > 1000) throw new Error('timed out waiting for the outbox to drain');
    await sleep(10);
  }
}

/** Every text of a recorded message (blocks, buttons and fallback text) as one string. */
export function textOf(r: Recorded | undefined): string {
  return r ? JSON.stringify(r.body) : '';
}

/** Mobile numbers, unmasked: R8 says none may leave the app or reach a log. */
const FULL_MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

/** RULES R8: nothing the fake Slack received and no log line holds a full phone number. */
export function expectOnlyMaskedPhones(h: Harness): void {
  const all = `${h.fake.everything()}\n${h.logs.join('\n')}`;
  expect(all).not.toContain('13800138000');
  expect(all.match(FULL_MOBILE)?.[0]).toBeUndefined();
}

/** The Feishu test harness: a core on the demo filings at a fixed instant, the adapter on a real HttpServer in HTTP mode, signed and encrypted events, the fake Open API. */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFeishu, startFeishuAlerts, type FeishuAlerts, type FeishuDeps, type RunningFeishu } from '../../adapters/feishu/feishu.adapter.js';
import { feishuSignature } from '../../adapters/feishu/feishu.receiver.js';
import { FEISHU_CAPABILITIES } from '../../adapters/feishu/feishu.platform.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { createLogger } from '../../src/log.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { localBackend } from '../../src/backends/local/local.backend.js';
import { Outbox } from '../../src/outbox/outbox.service.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { route } from '../../flows/router.js';
import { FAST_OUTBOX } from '../telegram/support/harness.js';
import { FakeFeishu } from './fake-feishu.js';

/** The event subscription's secrets. */
export const TOKEN = 'verification-token-0123';
export const KEY = 'encrypt-key-0123456789';
/** The app's tenant, a person of it, a team member, and their chats. */
export const TENANT = 'tenant-own';
export const APPLICANT = 'ou_applicant01';
export const ALICE = 'ou_alice0001';
export const P2P = 'oc_p2p0001';
export const TEAM_CHAT = 'oc_team0001';
export const ALERT_CHAT = 'oc_alerts01';

/** An HTTP answer. */
export interface Answer {
  status: number;
  text: string;
}

/** A running harness. */
export interface Harness {
  core: Core;
  clock: FakeClock;
  fake: FakeFeishu;
  feishu: RunningFeishu;
  alerts?: FeishuAlerts;
  outbox: Outbox;
  nudger: { current?: Nudger };
  logs: string[];
  url: string;
  /** Encrypts a body as Feishu does: base64 of a random IV and the AES-256-CBC ciphertext under SHA-256 of the key. */
  encrypt(value: unknown): string;
  /** Headers signing `body` at `ts` (seconds; default: the clock's now). */
  sign(body: string, ts?: number): Record<string, string>;
  /** Posts a raw body; waits until the outbox sent what it stored. */
  post(body: string, headers?: Record<string, string>): Promise<Answer>;
  /** Delivers a schema 2.0 event, encrypted and signed. */
  event(type: string, event: Record<string, unknown>, opts?: { eventId?: string; token?: string }): Promise<Answer>;
  /** A person writes text in a chat. */
  say(text: string, opts?: { user?: string; chat?: string; chatType?: 'p2p' | 'group'; tenant?: string; eventId?: string }): Promise<Answer>;
  /** A person presses a card button with this value, on message `messageId`. */
  press(value: Record<string, string>, opts?: { user?: string; chat?: string; messageId?: string; tenant?: string }): Promise<Answer>;
  close(): Promise<void>;
}

let events = 0;

/** Waits until the outbox holds nothing. */
export async function drained(outbox: Outbox): Promise<void> {
  for (let i = 0; (await outbox.stats()).pending > 0; i += 1) {
    if (i > 1000) throw new Error('timed out waiting for the outbox to drain');
    await sleep(10);
  }
}

/** Starts a harness; `env` adds to or overrides the Feishu settings. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const fake = new FakeFeishu();
  await fake.start();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const clock = new FakeClock(DEMO_ANCHOR);
  const config = loadConfig({
    FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8',
    FEISHU_APP_SECRET: 'app-secret',
    FEISHU_MODE: 'http',
    FEISHU_DOMAIN: fake.baseUrl,
    FEISHU_VERIFICATION_TOKEN: TOKEN,
    FEISHU_ENCRYPT_KEY: KEY,
    FEISHU_ALERT_CHAT_ID: ALERT_CHAT,
    STORE_URL: 'memory://',
    ...env,
  });
  const core = await createCore(config, { route, backend: localBackend(KeyvStateStore.memory()), logger, clock });
  const server = new HttpServer(logger);
  const loose = { max: 1000, windowMs: 1000 };
  const outbox = new Outbox({ store: new SqliteOutboxStore(':memory:'), metrics: core.metrics, logger, limits: { feishu: { global: loose, perChat: loose } }, tuning: FAST_OUTBOX });
  const nudger: Harness['nudger'] = {};
  const nudge: Nudger = (filing, o) => {
    if (!nudger.current) throw new Error('this test set no nudger');
    return nudger.current(filing, o);
  };
  const deps: FeishuDeps = {
    config,
    clock,
    logger,
    store: core.store,
    filings: core.filings,
    people: core.people,
    calendar: core.calendar,
    nudge,
    turn: (a) => core.runner.run(a, FEISHU_CAPABILITIES),
    metrics: core.metrics,
    channels: core.channels,
  };
  const alerts = startFeishuAlerts(deps, outbox);
  outbox.start();
  const feishu = await startFeishu(deps, server, outbox);
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/feishu/events`;

  const encrypt = (value: unknown): string => {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(KEY).digest(), iv);
    return Buffer.concat([iv, cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]).toString('base64');
  };
  const sign = (body: string, ts = Math.floor(clock.now().valueOf() / 1000)): Record<string, string> => {
    const nonce = `n${ts}`;
    return { 'x-lark-request-timestamp': String(ts), 'x-lark-request-nonce': nonce, 'x-lark-signature': feishuSignature(String(ts), nonce, KEY, body) };
  };
  const post = async (body: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const text = await res.text();
    await drained(outbox);
    return { status: res.status, text };
  };
  const event: Harness['event'] = (type, payload, o = {}) => {
    const eventId = o.eventId ?? `ev_${(events += 1)}`;
    const inner = {
      schema: '2.0',
      header: { event_id: eventId, token: o.token ?? TOKEN, create_time: String(clock.now().valueOf()), event_type: type, tenant_key: TENANT, app_id: 'cli_a1b2c3d4e5f6a7b8' },
      event: payload,
    };
    const body = JSON.stringify({ encrypt: encrypt(inner) });
    return post(body, sign(body));
  };
  return {
    core,
    clock,
    fake,
    feishu,
    ...(alerts ? { alerts } : {}),
    outbox,
    nudger,
    logs,
    url,
    encrypt,
    sign,
    post,
    event,
    say(text, o = {}) {
      const user = o.user ?? APPLICANT;
      const message = { message_id: `om_in${(events += 1)}`, chat_id: o.chat ?? P2P, chat_type: o.chatType ?? 'p2p', message_type: 'text', content: JSON.stringify({ text }) };
      return event('im.message.receive_v1', { sender: { sender_id: { open_id: user }, sender_type: 'user', tenant_key: o.tenant ?? TENANT }, message }, o.eventId ? { eventId: o.eventId } : {});
    },
    press(value, o = {}) {
      return event('card.action.trigger', {
        operator: { open_id: o.user ?? APPLICANT, tenant_key: o.tenant ?? TENANT },
        token: 'c-card-token',
        action: { tag: 'button', value },
        context: { open_message_id: o.messageId ?? 'om_card1', open_chat_id: o.chat ?? P2P },
      });
    },
    async close() {
      await feishu.stop();
      alerts?.stop();
      await outbox.stop();
      await server.close();
      await fake.close();
      await core.close();
    },
  };
}

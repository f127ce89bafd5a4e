import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_FILINGS_FILE, loadConfig } from '../../src/config.js';
import { problemsOf } from '../support/config.js';
import { copyProject } from '../support/project-copy.js';

describe('CONTRACT §3 configuration defaults', () => {
  it('R5/§3 an empty environment gives every default', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.reminderOffsets.map((o) => o.label)).toEqual(['12h', '4h', '1h']);
    expect(config.defaultLocale).toBe('zh');
    expect(config.storeUrl).toBe('file:./data/state.sqlite');
    expect(config.filingsFile).toBe(DEMO_FILINGS_FILE);
    expect(DEMO_FILINGS_FILE).toMatch(/data\/demo-filings\.json$/);
    expect(config.telegram).toBeUndefined();
    expect(config.slack).toBeUndefined();
    expect(config.feishu).toBeUndefined();
    expect(config.eventsSecret).toBeUndefined();
    expect(config.shutdownGraceMs).toBe(10_000);
  });

  it('§3 the default filings file exists on disk', () => {
    expect(existsSync(DEMO_FILINGS_FILE)).toBe(true);
  });

  it('§3 the default filings file is found in a checkout whose path has spaces and Chinese characters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'beian 备案 '));
    try {
      copyProject(root, { parts: ['src', 'data', 'package.json'] });
      const moved = (await import(pathToFileURL(join(root, 'src', 'config.ts')).href)) as typeof import('../../src/config.js');
      expect(moved.DEMO_FILINGS_FILE).toBe(join(root, 'data', 'demo-filings.json'));
      expect(existsSync(moved.loadConfig({}).filingsFile)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('§3 empty and blank values count as unset', () => {
    const config = loadConfig({ PORT: '', REMINDER_OFFSETS: '', DEFAULT_LOCALE: '', STORE_URL: '  ', TELEGRAM_BOT_TOKEN: '', EVENTS_SECRET: ' ', SHUTDOWN_GRACE_MS: '' });
    expect(config).toMatchObject({ port: 3000, defaultLocale: 'zh', storeUrl: 'file:./data/state.sqlite', shutdownGraceMs: 10_000 });
    expect(config.telegram).toBeUndefined();
    expect(config.eventsSecret).toBeUndefined();
  });

  it('§3 every variable set to a good value is read', () => {
    const config = loadConfig({
      FILINGS_FILE: '/srv/filings.json',
      STORE_URL: 'memory://',
      TELEGRAM_BOT_TOKEN: '123456:ABC-def_1',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9000',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg',
      TELEGRAM_WEBHOOK_SECRET: 'webhook_secret-1',
      SLACK_BOT_TOKEN: 'xoxb-1-2-3',
      SLACK_SIGNING_SECRET: 'signing',
      SLACK_API_URL: 'http://127.0.0.1:9001/api/',
      SLACK_ALERT_CHANNEL: 'C0123456789',
      SLACK_ALLOWED_USERS: 'U1, U2,,',
      EVENTS_SECRET: '0123456789abcdef',
      PORT: '8080',
      REMINDER_OFFSETS: '6h,30m',
      DEFAULT_LOCALE: 'en',
      SHUTDOWN_GRACE_MS: '2500',
    });
    expect(config).toMatchObject({
      filingsFile: '/srv/filings.json',
      storeUrl: 'memory://',
      telegram: { token: '123456:ABC-def_1', apiRoot: 'http://127.0.0.1:9000', webhookUrl: 'https://bot.example.com/tg', webhookSecret: 'webhook_secret-1' },
      slack: { botToken: 'xoxb-1-2-3', signingSecret: 'signing', apiUrl: 'http://127.0.0.1:9001/api/', alertChannel: 'C0123456789', allowedUsers: ['U1', 'U2'] },
      eventsSecret: '0123456789abcdef',
      port: 8080,
      defaultLocale: 'en',
      shutdownGraceMs: 2500,
    });
    expect(config.reminderOffsets.map((o) => o.label)).toEqual(['6h', '30m']);
  });

  it('§3 Slack in Socket Mode needs no signing secret', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack).toMatchObject({ botToken: 'xoxb-1', appToken: 'xapp-1' });
  });

  it.each(['memory://', 'file:./data/x.sqlite', 'file:/tmp/x.sqlite', 'redis://localhost:6379', 'rediss://cache.example.com:6380'])('§3 STORE_URL %s is accepted', (url) => {
    expect(loadConfig({ STORE_URL: url }).storeUrl).toBe(url);
  });
});

describe('CONTRACT §3 each bad variable gives a ConfigError naming it', () => {
  it.each<[string, Record<string, string>, string]>([
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['PORT=70000', { PORT: '70000' }, 'PORT'],
    ['PORT=-1', { PORT: '-1' }, 'PORT'],
    ['REMINDER_OFFSETS=5x', { REMINDER_OFFSETS: '5x' }, 'REMINDER_OFFSETS'],
    ['REMINDER_OFFSETS=25h', { REMINDER_OFFSETS: '25h' }, 'REMINDER_OFFSETS'],
    ['REMINDER_OFFSETS=4h,4h', { REMINDER_OFFSETS: '4h,4h' }, 'REMINDER_OFFSETS'],
    ['DEFAULT_LOCALE=fr', { DEFAULT_LOCALE: 'fr' }, 'DEFAULT_LOCALE'],
    ['STORE_URL=postgres://x', { STORE_URL: 'postgres://x' }, 'STORE_URL'],
    ['TELEGRAM_BOT_TOKEN=nonsense', { TELEGRAM_BOT_TOKEN: 'nonsense' }, 'TELEGRAM_BOT_TOKEN'],
    ['TELEGRAM_API_ROOT=not a url', { TELEGRAM_API_ROOT: 'not a url' }, 'TELEGRAM_API_ROOT'],
    ['TELEGRAM_WEBHOOK_URL without TELEGRAM_WEBHOOK_SECRET', { TELEGRAM_BOT_TOKEN: '123:abc', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg' }, 'TELEGRAM_WEBHOOK_SECRET'],
    ['TELEGRAM_WEBHOOK_URL without TELEGRAM_BOT_TOKEN', { TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg', TELEGRAM_WEBHOOK_SECRET: 's' }, 'TELEGRAM_WEBHOOK_URL'],
    ['TELEGRAM_WEBHOOK_SECRET with bad characters', { TELEGRAM_WEBHOOK_SECRET: 'no spaces!' }, 'TELEGRAM_WEBHOOK_SECRET'],
    ['SLACK_BOT_TOKEN without SLACK_SIGNING_SECRET', { SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    ['SLACK_BOT_TOKEN not starting with xoxb-', { SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 's' }, 'SLACK_BOT_TOKEN'],
    ['SLACK_APP_TOKEN not starting with xapp-', { SLACK_APP_TOKEN: 'xoxb-1' }, 'SLACK_APP_TOKEN'],
    ['SLACK_ALERT_CHANNEL=#general', { SLACK_ALERT_CHANNEL: '#general' }, 'SLACK_ALERT_CHANNEL'],
    ['EVENTS_SECRET too short', { EVENTS_SECRET: 'short' }, 'EVENTS_SECRET'],
    ['SHUTDOWN_GRACE_MS=10s', { SHUTDOWN_GRACE_MS: '10s' }, 'SHUTDOWN_GRACE_MS'],
    ['SHUTDOWN_GRACE_MS=-1', { SHUTDOWN_GRACE_MS: '-1' }, 'SHUTDOWN_GRACE_MS'],
    ['SHUTDOWN_GRACE_MS over a minute', { SHUTDOWN_GRACE_MS: '60001' }, 'SHUTDOWN_GRACE_MS'],
    ['FEISHU_APP_ID without FEISHU_APP_SECRET', { FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8' }, 'FEISHU_APP_SECRET'],
    ['FEISHU_APP_ID not an app id', { FEISHU_APP_ID: 'a1b2', FEISHU_APP_SECRET: 's' }, 'FEISHU_APP_ID'],
    ['FEISHU_MODE=poll', { FEISHU_MODE: 'poll' }, 'FEISHU_MODE'],
    ['FEISHU_DOMAIN=open.feishu.cn', { FEISHU_DOMAIN: 'open.feishu.cn' }, 'FEISHU_DOMAIN'],
    ['FEISHU_ALERT_CHAT_ID not a chat id', { FEISHU_ALERT_CHAT_ID: '#team' }, 'FEISHU_ALERT_CHAT_ID'],
    ['FEISHU_ALLOWED_USERS not open_ids', { FEISHU_ALLOWED_USERS: 'ou_1,alice' }, 'FEISHU_ALLOWED_USERS'],
  ])('§3 %s', (_name, env, variable) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: \\S`));
  });

  it('§3 Feishu in HTTP mode needs the verification token and the encrypt key; the long connection needs neither', () => {
    const app = { FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8', FEISHU_APP_SECRET: 's' };
    expect(problemsOf({ ...app, FEISHU_MODE: 'http' }).map((p) => p.split(':')[0])).toEqual(['FEISHU_VERIFICATION_TOKEN', 'FEISHU_ENCRYPT_KEY']);
    expect(loadConfig(app).feishu).toEqual({ appId: app.FEISHU_APP_ID, appSecret: 's', mode: 'ws', domain: 'feishu', verificationToken: undefined, encryptKey: undefined, alertChatId: undefined, allowedUsers: [] });
    const http = loadConfig({ ...app, FEISHU_MODE: 'http', FEISHU_DOMAIN: 'lark', FEISHU_VERIFICATION_TOKEN: 't', FEISHU_ENCRYPT_KEY: 'k', FEISHU_ALERT_CHAT_ID: 'oc_1a', FEISHU_ALLOWED_USERS: ' ou_1, ou_2 ,' });
    expect(http.feishu).toMatchObject({ mode: 'http', domain: 'lark', verificationToken: 't', encryptKey: 'k', alertChatId: 'oc_1a', allowedUsers: ['ou_1', 'ou_2'] });
  });

  it('§3 SLACK_BOT_TOKEN without a signing secret: the problem names both variables', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })[0]).toMatch(/SLACK_SIGNING_SECRET.*SLACK_BOT_TOKEN/);
  });

  it('issue 22 a claim lease that does not outlast two platform timeouts is refused in one line; the defaults and a longer lease pass', () => {
    expect(problemsOf({ PLATFORM_TIMEOUT_MS: '40000' })).toEqual([
      'OUTBOX_LEASE_MS: must be at least 2 × PLATFORM_TIMEOUT_MS (80000 ms), so a send that hangs is given up before another instance may claim its message again',
    ]);
    expect(problemsOf({ OUTBOX_LEASE_MS: '15000' })).toHaveLength(1);
    expect(problemsOf({ PLATFORM_TIMEOUT_MS: '10s' })).toEqual(['PLATFORM_TIMEOUT_MS: must be a number of milliseconds']);
    expect(loadConfig({})).toMatchObject({ platformTimeoutMs: 10_000, outbox: { leaseMs: 60_000 } });
    expect(loadConfig({ PLATFORM_TIMEOUT_MS: '40000', OUTBOX_LEASE_MS: '80000' })).toMatchObject({ platformTimeoutMs: 40_000, outbox: { leaseMs: 80_000 } });
  });

  it('issue 10 Telegram long polling with a Redis store (several instances) is refused with what to set; a webhook, or one process on a file store, is fine', () => {
    expect(problemsOf({ STORE_URL: 'redis://cache:6379', TELEGRAM_BOT_TOKEN: '1:a' })).toEqual([
      'TELEGRAM_WEBHOOK_URL: is required with STORE_URL=redis://… (several instances): long polling works for one process only, so set the public https URL Telegram posts to, behind the load balancer',
    ]);
    const webhook = { STORE_URL: 'rediss://cache:6380', TELEGRAM_BOT_TOKEN: '1:a', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg', TELEGRAM_WEBHOOK_SECRET: 's-1' };
    expect(loadConfig(webhook).telegram).toMatchObject({ webhookUrl: 'https://bot.example.com/tg' });
    expect(loadConfig({ STORE_URL: 'file:./data/x.sqlite', TELEGRAM_BOT_TOKEN: '1:a' }).telegram).toMatchObject({ token: '1:a' });
  });

  it('§3 several bad variables are reported at once, one line each', () => {
    const problems = problemsOf({ PORT: 'abc', REMINDER_OFFSETS: '5x', DEFAULT_LOCALE: 'fr', EVENTS_SECRET: 'short', SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DEFAULT_LOCALE', 'EVENTS_SECRET', 'PORT', 'REMINDER_OFFSETS', 'SLACK_SIGNING_SECRET']);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a bad locale does not hide a missing signing secret', { DEFAULT_LOCALE: 'fr', SLACK_BOT_TOKEN: 'xoxb-1' }, ['DEFAULT_LOCALE', 'SLACK_SIGNING_SECRET']],
    ['bad offsets do not hide a missing webhook secret', { REMINDER_OFFSETS: '0h', TELEGRAM_BOT_TOKEN: '1:a', TELEGRAM_WEBHOOK_URL: 'https://x.example/tg' }, ['REMINDER_OFFSETS', 'TELEGRAM_WEBHOOK_SECRET']],
    ['a webhook URL alone lacks both token and secret', { TELEGRAM_WEBHOOK_URL: 'https://x.example/tg' }, ['TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_WEBHOOK_URL']],
  ])('§3 cross-variable checks still run: %s', (_name, env, variables) => {
    expect(
      problemsOf(env)
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(variables);
  });

  it('§3 the ConfigError message lists every problem', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DEFAULT_LOCALE: 'fr' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.split('\n')).toEqual(['PORT: must be a port number', 'DEFAULT_LOCALE: must be zh or en']);
  });

  it.each(['redis//localhost', 'redis:/localhost', 'localhost:6379', 'postgres://x'])('§3 a malformed STORE_URL %j gives one problem, saying the forms it takes', (url) => {
    expect(problemsOf({ STORE_URL: url })).toEqual(['STORE_URL: must be memory://, file:<path>, redis://[user:pass@]host:port[/db] or rediss://…']);
  });

  it('§3 LOG_LEVEL is one of debug, info, warn, error; unset leaves the start to choose', () => {
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({}).logLevel).toBeUndefined();
    expect(problemsOf({ LOG_LEVEL: 'verbose' })).toEqual(['LOG_LEVEL: must be one of debug, info, warn, error']);
  });
});

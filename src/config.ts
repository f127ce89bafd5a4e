/** Configuration from the environment (CONTRACT §3), validated with zod, one clear error per variable. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseReminderOffsets, type ReminderOffset } from './rules/reminder.rules.js';
import { parseStoreUrl } from './backends/store.url.js';
import { projectFile } from './paths.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

/** Where the phone-hash key file lives when PHONE_KEY_FILE is unset: beside the default store, never inside it. */
export const DEFAULT_PHONE_KEY_FILE = './data/phone-key';

/** The shipped demo filings. */
export const DEMO_FILINGS_FILE = projectFile('data', 'demo-filings.json');

/** How long a stop may spend sending what is queued, by default (issue 15: exit within 15 s). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
// A supervisor kills a process that takes longer than its own stop timeout (Kubernetes: 30 s by default).
const MAX_SHUTDOWN_GRACE_MS = 60_000;

/** How long one platform call (a Telegram or Slack send, any Bot or Web API call) may take before it is given up. */
export const DEFAULT_PLATFORM_TIMEOUT_MS = 10_000;
/** How long the outbox's claim on a message holds before another instance may send it. */
export const DEFAULT_OUTBOX_LEASE_MS = 60_000;
/** How many platform timeouts a claim must outlast, so a send that hangs is given up well before its message can be claimed again. */
const LEASE_PER_TIMEOUT = 2;

const milliseconds = (fallback: number) =>
  z.preprocess((v) => (v === undefined || v === '' ? String(fallback) : v), z.string().regex(/^\d+$/, 'must be a number of milliseconds').transform(Number).pipe(z.number().int().min(1, 'must be at least 1 ms')));

const optionalText = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().min(1).optional());
const url = (what: string) => optionalText.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { message: `must be an http(s) URL for ${what}` });

const EnvSchema = z
  .object({
    FILINGS_FILE: optionalText,
    STORE_URL: optionalText.superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseStoreUrl(v);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
    TELEGRAM_BOT_TOKEN: optionalText.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]+$/.test(v), { message: 'must look like 123456:ABC-DEF… (from BotFather)' }),
    TELEGRAM_API_ROOT: url('the Bot API server'),
    TELEGRAM_WEBHOOK_URL: optionalText.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { message: 'must be the public https URL Telegram posts to' }),
    TELEGRAM_WEBHOOK_SECRET: optionalText.refine((v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v), {
      message: 'must be 1–256 of A–Z a–z 0–9 _ - (Telegram’s rule for secret_token)',
    }),
    SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), { message: 'must be a bot token starting with xoxb-' }),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), { message: 'must be an app-level token starting with xapp-' }),
    SLACK_API_URL: url('the Slack Web API'),
    SLACK_ALERT_CHANNEL: optionalText.refine((v) => v === undefined || /^[A-Z0-9]{8,}$/.test(v), { message: 'must be a channel id like C0123456789' }),
    SLACK_TEAM_ID: optionalText,
    SLACK_ALLOWED_USERS: optionalText,
    SLACK_ALLOWED_USERGROUP: optionalText,
    FEISHU_APP_ID: optionalText.refine((v) => v === undefined || /^cli_[0-9A-Za-z]+$/.test(v), { message: 'must be an app id like cli_a1b2c3d4e5f6a7b8 (from the Feishu developer console)' }),
    FEISHU_APP_SECRET: optionalText,
    FEISHU_MODE: z.preprocess((v) => (v === undefined || v === '' ? 'ws' : v), z.enum(['ws', 'http'], { message: 'must be ws (long connection) or http (POST /feishu/events)' })),
    FEISHU_DOMAIN: optionalText.refine((v) => v === undefined || v === 'feishu' || v === 'lark' || /^https?:\/\/[^\s]+$/.test(v), { message: 'must be feishu, lark or an http(s) base URL' }),
    FEISHU_VERIFICATION_TOKEN: optionalText,
    FEISHU_ENCRYPT_KEY: optionalText,
    FEISHU_ALERT_CHAT_ID: optionalText.refine((v) => v === undefined || /^oc_[0-9A-Za-z]+$/.test(v), { message: 'must be a chat id like oc_… (the team chat)' }),
    FEISHU_ALLOWED_USERS: optionalText.refine((v) => v === undefined || v.split(',').every((s) => s.trim() === '' || /^ou_[0-9A-Za-z]+$/.test(s.trim())), { message: 'must be open_ids like ou_…, separated by commas' }),
    EVENTS_SECRET: optionalText.refine((v) => v === undefined || v.length >= 16, { message: 'must be at least 16 characters' }),
    PORT: z.preprocess((v) => (v === undefined || v === '' ? '3000' : v), z.string().regex(/^\d+$/, 'must be a port number').transform(Number).pipe(z.number().int().min(0).max(65535))),
    REMINDER_OFFSETS: z
      .preprocess((v) => (v === undefined || v === '' ? '12h,4h,1h' : v), z.string())
      .transform((v, ctx) => {
        try {
          return parseReminderOffsets(v);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    LOG_LEVEL: optionalText.refine((v) => v === undefined || (LOG_LEVELS as readonly string[]).includes(v), { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
    DEFAULT_LOCALE: z.preprocess((v) => (v === undefined || v === '' ? 'zh' : v), z.enum(['zh', 'en'], { message: 'must be zh or en' })),
    // Used as the HMAC key as written; a short or one-letter secret would let the hashed phones be guessed.
    PHONE_KEY_SECRET: optionalText.refine((v) => v === undefined || (v.length >= 32 && new Set(v).size >= 6), {
      message: 'must be at least 32 characters of random text (for example the output of `openssl rand -hex 32`)',
    }),
    PHONE_KEY_FILE: optionalText,
    HOST: optionalText.refine((v) => v === undefined || isIP(v) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v), {
      message: 'must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name',
    }),
    RETENTION_DAYS: z.preprocess(
      (v) => (v === undefined || (typeof v === 'string' && v.trim() === '') ? '180' : typeof v === 'string' ? v.trim() : v),
      z.string().regex(/^\d+$/, 'must be a whole number of days').transform(Number).pipe(z.number().int().min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days (10 years)')),
    ),
    METRICS_TOKEN: optionalText.refine((v) => v === undefined || /^[\x21-\x7E]{16,}$/.test(v), { message: 'must be at least 16 printable characters with no spaces (it is sent as a bearer token)' }),
    SHUTDOWN_GRACE_MS: z.preprocess(
      (v) => (v === undefined || v === '' ? String(DEFAULT_SHUTDOWN_GRACE_MS) : v),
      z
        .string()
        .regex(/^\d+$/, 'must be a number of milliseconds')
        .transform(Number)
        .pipe(z.number().int().max(MAX_SHUTDOWN_GRACE_MS, `must be at most ${MAX_SHUTDOWN_GRACE_MS} ms`)),
    ),
    OUTBOX_MAX_RETRY_AFTER_MS: milliseconds(300_000),
    PLATFORM_TIMEOUT_MS: milliseconds(DEFAULT_PLATFORM_TIMEOUT_MS),
    OUTBOX_LEASE_MS: milliseconds(DEFAULT_OUTBOX_LEASE_MS),
    OUTBOX_MAX_PER_SECOND: z.preprocess(
      (v) => (v === undefined || v === '' ? '25' : v),
      z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000, 'must be at most 1000 (Telegram’s paid broadcast ceiling)')),
    ),
  })
  // zod skips a refinement after an aborting issue (a bad locale or offset); `when` runs it anyway so every problem is listed at once.
  .superRefine(
    (env, ctx) => {
      if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'is required with SLACK_BOT_TOKEN in HTTP mode' });
      if (env.FEISHU_APP_ID && !env.FEISHU_APP_SECRET) ctx.addIssue({ code: 'custom', path: ['FEISHU_APP_SECRET'], message: 'is required with FEISHU_APP_ID' });
      // In HTTP mode the token and the key are what tells Feishu's own requests from anyone else's.
      if (env.FEISHU_APP_ID && env.FEISHU_MODE === 'http' && !env.FEISHU_VERIFICATION_TOKEN)
        ctx.addIssue({ code: 'custom', path: ['FEISHU_VERIFICATION_TOKEN'], message: 'is required with FEISHU_MODE=http (the event subscription’s verification token)' });
      if (env.FEISHU_APP_ID && env.FEISHU_MODE === 'http' && !env.FEISHU_ENCRYPT_KEY)
        ctx.addIssue({ code: 'custom', path: ['FEISHU_ENCRYPT_KEY'], message: 'is required with FEISHU_MODE=http (the event subscription’s encrypt key, so events are signed)' });
      if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_WEBHOOK_SECRET)
        ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'is required with TELEGRAM_WEBHOOK_URL, so only Telegram can post updates' });
      if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_BOT_TOKEN) ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message: 'needs TELEGRAM_BOT_TOKEN' });
      // Several instances cannot share one long poll: Telegram answers the second getUpdates with 409 Conflict (issue 10 item 5).
      if (env.TELEGRAM_BOT_TOKEN && !env.TELEGRAM_WEBHOOK_URL && env.STORE_URL && severalInstances(env.STORE_URL))
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_WEBHOOK_URL'],
          message: 'is required with STORE_URL=redis://… (several instances): long polling works for one process only, so set the public https URL Telegram posts to, behind the load balancer',
        });
      // A send still waiting when its claim runs out can be claimed and sent again by another instance.
      if (typeof env.OUTBOX_LEASE_MS === 'number' && typeof env.PLATFORM_TIMEOUT_MS === 'number' && env.OUTBOX_LEASE_MS < LEASE_PER_TIMEOUT * env.PLATFORM_TIMEOUT_MS)
        ctx.addIssue({
          code: 'custom',
          path: ['OUTBOX_LEASE_MS'],
          message: `must be at least ${LEASE_PER_TIMEOUT} × PLATFORM_TIMEOUT_MS (${LEASE_PER_TIMEOUT * env.PLATFORM_TIMEOUT_MS} ms), so a send that hangs is given up before another instance may claim its message again`,
        });
    },
    { when: () => true },
  );

/** Whether a store URL that has been checked already lets several instances share it. */
function severalInstances(storeUrl: string): boolean {
  try {
    return parseStoreUrl(storeUrl).severalInstances;
  } catch {
    return false;
  }
}

/** The validated configuration. */
export interface Config {
  filingsFile: string;
  storeUrl: string;
  telegram?: { token: string; apiRoot?: string; webhookUrl?: string; webhookSecret?: string };
  slack?: { botToken: string; signingSecret?: string; appToken?: string; apiUrl?: string; alertChannel?: string; teamId?: string; allowedUsers: string[]; allowedUsergroup?: string };
  feishu?: FeishuConfig;
  eventsSecret?: string;
  port: number;
  reminderOffsets: ReminderOffset[];
  defaultLocale: 'zh' | 'en';
  /** The listen address of the HTTP server; all IPv4 interfaces by default. */
  host: string;
  /** The phone-hash key from the environment; unset means the key file. */
  phoneKeySecret?: string;
  /** The phone-hash key file, kept apart from the store; unset means DEFAULT_PHONE_KEY_FILE (one store, one host). */
  phoneKeyFile?: string;
  /** Days a person's records are kept after their last activity. */
  retentionDays: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** How long a stop (SIGTERM/SIGINT) may spend sending what is queued before the process exits anyway. */
  shutdownGraceMs: number;
  /** The least severe log lines written (`debug` also writes a failed start's stack trace); unset: info, or warn in the console demo. */
  logLevel?: LogLevel;
  /** How long one call to Telegram or Slack may take before it is given up (a send that times out is tried again later). */
  platformTimeoutMs: number;
  /** The outbox: the longest retry_after it waits before probing again, the bot-wide sends per second (25 unless paid broadcast), and how long a claim holds. */
  outbox: { maxRetryAfterMs: number; maxPerSecond: number; leaseMs: number };
}

/** The Feishu (Lark) adapter's settings. */
export interface FeishuConfig {
  appId: string;
  appSecret: string;
  /** `ws`: the long connection; `http`: POST /feishu/events. */
  mode: 'ws' | 'http';
  /** `feishu`, `lark`, or an Open API base URL. */
  domain: string;
  verificationToken?: string;
  encryptKey?: string;
  alertChatId?: string;
  /** open_ids allowed to use the team commands; empty: everyone in the tenant. */
  allowedUsers: string[];
}

/** The names of the platforms a configuration turns on (none: the console demo, or headless). */
export function enabledPlatforms(config: Pick<Config, 'telegram' | 'slack' | 'feishu'>): string[] {
  return (['telegram', 'slack', 'feishu'] as const).filter((name) => config[name] !== undefined);
}

function idList(value: string | undefined): string[] {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** A configuration error: one line per bad variable, naming it and what it must be. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Reads and validates the configuration from an environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`));
  const e = parsed.data;
  return {
    filingsFile: e.FILINGS_FILE ?? DEMO_FILINGS_FILE,
    storeUrl: e.STORE_URL ?? 'file:./data/state.sqlite',
    telegram: e.TELEGRAM_BOT_TOKEN ? { token: e.TELEGRAM_BOT_TOKEN, apiRoot: e.TELEGRAM_API_ROOT, webhookUrl: e.TELEGRAM_WEBHOOK_URL, webhookSecret: e.TELEGRAM_WEBHOOK_SECRET } : undefined,
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          appToken: e.SLACK_APP_TOKEN,
          apiUrl: e.SLACK_API_URL,
          alertChannel: e.SLACK_ALERT_CHANNEL,
          teamId: e.SLACK_TEAM_ID,
          allowedUsers: idList(e.SLACK_ALLOWED_USERS),
          allowedUsergroup: e.SLACK_ALLOWED_USERGROUP,
        }
      : undefined,
    feishu:
      e.FEISHU_APP_ID && e.FEISHU_APP_SECRET
        ? {
            appId: e.FEISHU_APP_ID,
            appSecret: e.FEISHU_APP_SECRET,
            mode: e.FEISHU_MODE,
            domain: e.FEISHU_DOMAIN ?? 'feishu',
            verificationToken: e.FEISHU_VERIFICATION_TOKEN,
            encryptKey: e.FEISHU_ENCRYPT_KEY,
            alertChatId: e.FEISHU_ALERT_CHAT_ID,
            allowedUsers: idList(e.FEISHU_ALLOWED_USERS),
          }
        : undefined,
    eventsSecret: e.EVENTS_SECRET,
    port: e.PORT,
    reminderOffsets: e.REMINDER_OFFSETS,
    defaultLocale: e.DEFAULT_LOCALE,
    host: e.HOST ?? '0.0.0.0',
    phoneKeySecret: e.PHONE_KEY_SECRET,
    phoneKeyFile: e.PHONE_KEY_FILE,
    retentionDays: e.RETENTION_DAYS,
    metricsToken: e.METRICS_TOKEN,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL as LogLevel | undefined,
    platformTimeoutMs: e.PLATFORM_TIMEOUT_MS,
    outbox: { maxRetryAfterMs: e.OUTBOX_MAX_RETRY_AFTER_MS, maxPerSecond: e.OUTBOX_MAX_PER_SECOND, leaseMs: e.OUTBOX_LEASE_MS },
  };
}

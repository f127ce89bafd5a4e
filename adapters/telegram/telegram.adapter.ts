/**
 * The Telegram adapter: telegraf's Bot API client, long polling or a webhook on the shared HTTP
 * server, updates to Activities through the turn runner, replies and proactive sends through one
 * paced outbox. It translates and delivers; every decision stays in the flows. This file wires the
 * parts: turns (`telegram.turns.ts`), sending (`telegram.channel.ts`), `telegram.webhook.ts` and
 * `telegram.polling.ts`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Activity, Locale } from '../../src/activity.js';
import type { RunningAdapter } from '../../src/adapter.js';
import type { Channel, Channels } from '../../src/channel.js';
import type { Config } from '../../src/config.js';
import { t } from '../../src/i18n/catalog.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import type { People } from '../../src/people.js';
import type { TurnOutcome } from '../../src/runner.js';
import type { HttpServer } from '../../src/server.js';
import { StartError } from '../../src/start.errors.js';
import type { StateStore } from '../../src/store/state-store.js';
import { optionalCaller, telegramChannel } from './telegram.channel.js';
import { ALLOWED_UPDATES, startPolling, type Polling } from './telegram.polling.js';
import { setBotProfile } from './telegram.profile.js';
import { apiErrorOf, limitCallTime, TelegramSender } from './telegram.sender.js';
import { TYPING_AFTER_MS, updateHandler, type UpdateOutcome } from './telegram.turns.js';
import { mountWebhook } from './telegram.webhook.js';

/** What the Telegram adapter uses, and nothing more. */
export interface TelegramDeps {
  config: Pick<Config, 'telegram' | 'defaultLocale' | 'platformTimeoutMs'>;
  /** Runs one turn: the turn runner, whose per-conversation lock keeps a chat's turns in order. */
  turn(activity: Activity): Promise<TurnOutcome>;
  /** Whether a person turned reminders off (proactive sends skip them). */
  people: Pick<People, 'user'>;
  /** Remembers each handled update_id, and claims it while this instance handles it. */
  store: Pick<StateStore, 'get' | 'set' | 'setIfAbsent' | 'delete'>;
  /** The durable outbox: every reply is stored there before the update counts as handled. */
  outbox: Pick<Outbox, 'enqueue' | 'register' | 'paced' | 'pending'>;
  logger: Logger;
  metrics: Metrics;
  /** Where the 'telegram' Channel is registered for reminders and nudges. */
  channels: Pick<Channels, 'add'>;
  /** Epoch ms, for the replies' order in the outbox (the system clock by default). */
  now?(): number;
}

/** Knobs for tests and operators; the defaults suit the real Bot API. */
export interface TelegramOptions {
  /** Long-poll timeout asked of getUpdates, in seconds. */
  pollTimeoutSec?: number;
  /** A getUpdates that comes back empty sooner than this waits out the rest (a server that ignores `timeout` would spin). */
  pollIdleMs?: number;
  /** Largest webhook body accepted. */
  webhookBodyLimit?: number;
  /** How long a reply may take before the chat shows "typing" (1 s by default). */
  typingAfterMs?: number;
}

/** The running adapter, with its Channel exposed for tests. */
export interface TelegramAdapter extends RunningAdapter {
  channel: Channel;
  mode: 'polling' | 'webhook';
  /** Feeds one update as if Telegram had delivered it (de-duplicated, ordered per chat); resolves when its replies are stored. */
  dispatch(update: Update): Promise<UpdateOutcome>;
}

const MENU_COMMANDS = ['start', 'lookup', 'help', 'lang', 'stop', 'forget'] as const;

/** The command menu, per language, from the message catalog (BotFather's /setcommands does the same by hand). */
export const COMMAND_MENU: Record<Locale, Array<{ command: string; description: string }>> = {
  zh: MENU_COMMANDS.map((command) => ({ command, description: t('zh', `cmd.${command}`) })),
  en: MENU_COMMANDS.map((command) => ({ command, description: t('en', `cmd.${command}`) })),
};

/** Telegram's own Bot API server, used when TELEGRAM_API_ROOT is unset. */
const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** Why getMe failed, as one line saying what to change: the token (refused), the API root (no answer), or neither (the server's own error). */
function getMeFailure(error: unknown, apiRoot = DEFAULT_API_ROOT): StartError {
  const api = apiErrorOf(error);
  // The Bot API answers 401 to a revoked or mistyped token, and 404 to one in the wrong shape.
  if (api.code === 401 || api.code === 404)
    return new StartError(`the Telegram Bot API refused TELEGRAM_BOT_TOKEN (${api.code} ${api.description}): copy the bot's token from @BotFather into TELEGRAM_BOT_TOKEN`, { cause: error });
  if (api.code !== undefined) return new StartError(`the Telegram Bot API at ${apiRoot} answered getMe with ${api.code} ${api.description}: check TELEGRAM_API_ROOT, or try again later`, { cause: error });
  // telegraf's fetch error names the URL with the token in it; only the reason after it is shown.
  const reason = /reason: (.*)$/.exec(api.description)?.[1] ?? api.description;
  return new StartError(`the Telegram Bot API at ${apiRoot} did not answer (${reason}): check TELEGRAM_API_ROOT (unset: ${DEFAULT_API_ROOT}) and this machine's network`, { cause: error });
}

/** A bot that has answered getMe (so its id is known), every call limited to `timeoutMs`, or a StartError naming what to change. */
async function connect(token: string, apiRoot: string | undefined, timeoutMs: number): Promise<Telegraf> {
  const bot = new Telegraf(token, { telegram: { webhookReply: false, ...(apiRoot ? { apiRoot } : {}) } });
  limitCallTime(bot.telegram, timeoutMs);
  try {
    bot.botInfo = await bot.telegram.getMe();
  } catch (error) {
    throw getMeFailure(error, apiRoot);
  }
  return bot;
}

/** Starts the Telegram adapter: registers the 'telegram' Channel, then polls or mounts its webhook. */
export async function startTelegram(deps: TelegramDeps, server: HttpServer, opts: TelegramOptions = {}): Promise<TelegramAdapter> {
  const cfg = deps.config.telegram;
  if (!cfg) throw new Error('the Telegram adapter needs TELEGRAM_BOT_TOKEN');
  if (cfg.webhookUrl && !cfg.webhookSecret) throw new Error('TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL');
  const log = deps.logger.child({ adapter: 'telegram' });
  const bot = await connect(cfg.token, cfg.apiRoot, deps.config.platformTimeoutMs);
  const now = deps.now ?? Date.now;
  deps.outbox.register('telegram', new TelegramSender(bot.telegram, log));
  const optional = optionalCaller(log);
  const handleUpdate = updateHandler({ turn: deps.turn, store: deps.store, outbox: deps.outbox, telegram: bot.telegram, botId: bot.botInfo!.id, log, optional, now, typingAfterMs: opts.typingAfterMs ?? TYPING_AFTER_MS });
  const channel = telegramChannel({ outbox: deps.outbox, people: deps.people, metrics: deps.metrics, log, now });
  deps.channels.add(channel);

  await Promise.all([
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU[deps.config.defaultLocale])),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.zh, { language_code: 'zh' })),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.en, { language_code: 'en' })),
    setBotProfile(bot.telegram, log, deps.config.defaultLocale),
  ]);

  let stopped = false;
  const inFlight = new Set<Promise<UpdateOutcome>>();
  const dispatch = (update: Update): Promise<UpdateOutcome> => {
    const p = handleUpdate(update);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  let polling: Polling | undefined;
  if (cfg.webhookUrl && cfg.webhookSecret) {
    const path = new URL(cfg.webhookUrl).pathname || '/';
    mountWebhook(server, { path, secret: cfg.webhookSecret, limit: opts.webhookBodyLimit ?? 1_000_000, log, isStopped: () => stopped, dispatch });
    await bot.telegram.setWebhook(cfg.webhookUrl, { secret_token: cfg.webhookSecret, allowed_updates: [...ALLOWED_UPDATES] });
    log.info('telegram webhook set', { path });
  } else {
    await bot.telegram.deleteWebhook({ drop_pending_updates: false });
    polling = startPolling(bot, { log, timeoutSec: opts.pollTimeoutSec ?? 25, idleMs: opts.pollIdleMs ?? 1000, dispatch });
  }
  const mode = polling ? 'polling' : 'webhook';
  log.info('telegram adapter started', { mode, bot: bot.botInfo!.username });

  return {
    name: 'telegram',
    mode,
    channel,
    dispatch,
    async health() {
      if (stopped) return { ok: false, detail: 'stopped' };
      if (polling && polling.errors >= 3) return { ok: false, detail: `${mode}; getUpdates failing (${polling.errors} in a row)` };
      return { ok: true, detail: mode };
    },
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      // Intake ends here; the turns in hand store their replies, and the outbox (stopped after this) sends them.
      const grace = sleep(graceMs, undefined, { ref: false });
      await Promise.race([Promise.all([polling?.stop(), Promise.allSettled([...inFlight])]), grace]);
      log.info('telegram adapter stopped');
    },
  };
}

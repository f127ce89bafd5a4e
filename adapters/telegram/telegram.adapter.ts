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
import type { Activity, Locale, OutgoingMessage } from '../../src/activity.js';
import type { RunningAdapter } from '../../src/adapter.js';
import type { Channel, Channels } from '../../src/channel.js';
import type { Config } from '../../src/config.js';
import { t } from '../../src/i18n/catalog.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import type { People } from '../../src/people.js';
import type { HttpServer } from '../../src/server.js';
import type { StateStore } from '../../src/store/state-store.js';
import { optionalCaller, telegramChannel, TelegramSender } from './telegram.channel.js';
import { Outbox, apiErrorOf, type OutboxLimits, type OutboxTimers } from './telegram.outbox.js';
import { ALLOWED_UPDATES, startPolling, type Polling } from './telegram.polling.js';
import { updateHandler } from './telegram.turns.js';
import { mountWebhook } from './telegram.webhook.js';

/** What the Telegram adapter uses, and nothing more. */
export interface TelegramDeps {
  config: Pick<Config, 'telegram' | 'defaultLocale'>;
  /** Runs one turn: the turn runner, whose per-conversation lock keeps a chat's turns in order. */
  handle(activity: Activity): Promise<OutgoingMessage[]>;
  /** Whether a person turned reminders off (proactive sends skip them). */
  people: Pick<People, 'user'>;
  /** Handles each update_id once. */
  store: Pick<StateStore, 'setIfAbsent'>;
  logger: Logger;
  metrics: Metrics;
  /** Where the 'telegram' Channel is registered for reminders and nudges. */
  channels: Pick<Channels, 'add'>;
}

/** Knobs for tests and operators; the defaults suit the real Bot API. */
export interface TelegramOptions {
  /** Outbox pacing and retry numbers. */
  outbox?: Partial<OutboxLimits>;
  outboxTimers?: OutboxTimers;
  /** Long-poll timeout asked of getUpdates, in seconds. */
  pollTimeoutSec?: number;
  /** A getUpdates that comes back empty sooner than this waits out the rest (a server that ignores `timeout` would spin). */
  pollIdleMs?: number;
  /** Largest webhook body accepted. */
  webhookBodyLimit?: number;
  /** Updates being handled at once before polling waits for some to finish. */
  maxInFlight?: number;
}

/** The running adapter, with its Channel and outbox exposed for tests and health. */
export interface TelegramAdapter extends RunningAdapter {
  channel: Channel;
  outbox: Outbox;
  mode: 'polling' | 'webhook';
  /** Feeds one update as if Telegram had delivered it (de-duplicated, ordered per chat); resolves when its turn is done. */
  dispatch(update: Update): Promise<void>;
}

const MENU_COMMANDS = ['start', 'lookup', 'help', 'lang', 'stop', 'forget'] as const;

/** The command menu, per language, from the message catalog (BotFather's /setcommands does the same by hand). */
export const COMMAND_MENU: Record<Locale, Array<{ command: string; description: string }>> = {
  zh: MENU_COMMANDS.map((command) => ({ command, description: t('zh', `cmd.${command}`) })),
  en: MENU_COMMANDS.map((command) => ({ command, description: t('en', `cmd.${command}`) })),
};

/** A bot that has answered getMe (so its id is known), or a clear error naming what to check. */
async function connect(token: string, apiRoot: string | undefined): Promise<Telegraf> {
  const bot = new Telegraf(token, { telegram: { webhookReply: false, ...(apiRoot ? { apiRoot } : {}) } });
  try {
    bot.botInfo = await bot.telegram.getMe();
  } catch (error) {
    throw new Error(`Telegram getMe failed (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT): ${apiErrorOf(error).description}`);
  }
  return bot;
}

/** Starts the Telegram adapter: registers the 'telegram' Channel, then polls or mounts its webhook. */
export async function startTelegram(deps: TelegramDeps, server: HttpServer, opts: TelegramOptions = {}): Promise<TelegramAdapter> {
  const cfg = deps.config.telegram;
  if (!cfg) throw new Error('the Telegram adapter needs TELEGRAM_BOT_TOKEN');
  if (cfg.webhookUrl && !cfg.webhookSecret) throw new Error('TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL');
  const log = deps.logger.child({ adapter: 'telegram' });
  const bot = await connect(cfg.token, cfg.apiRoot);
  const outbox = new Outbox({ logger: log, metrics: deps.metrics, channel: 'telegram', limits: opts.outbox, timers: opts.outboxTimers });
  const sender = new TelegramSender(bot.telegram, outbox, log);
  const optional = optionalCaller(log);
  const handleUpdate = updateHandler(bot, bot.botInfo!.id, { handle: deps.handle, store: deps.store, log, sender, optional });
  const channel = telegramChannel(sender, { people: deps.people, metrics: deps.metrics, log });
  deps.channels.add(channel);

  await Promise.all([
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU[deps.config.defaultLocale])),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.zh, { language_code: 'zh' })),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.en, { language_code: 'en' })),
  ]);

  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const dispatch = (update: Update): Promise<void> => {
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
    polling = startPolling(bot, { log, timeoutSec: opts.pollTimeoutSec ?? 25, idleMs: opts.pollIdleMs ?? 1000, maxInFlight: opts.maxInFlight ?? 200, inFlight, dispatch });
  }
  const mode = polling ? 'polling' : 'webhook';
  log.info('telegram adapter started', { mode, bot: bot.botInfo!.username });

  return {
    name: 'telegram',
    mode,
    channel,
    outbox,
    dispatch,
    async health() {
      if (stopped) return { ok: false, detail: 'stopped' };
      const detail = `${mode}; outbox ${outbox.depth} waiting, ${outbox.parked} parked`;
      if (polling && polling.errors >= 3) return { ok: false, detail: `${detail}; getUpdates failing (${polling.errors} in a row)` };
      return { ok: true, detail };
    },
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      const until = performance.now() + graceMs;
      await polling?.stop();
      await Promise.race([Promise.allSettled([...inFlight]), sleep(graceMs, undefined, { ref: false })]);
      await outbox.drain(Math.max(0, until - performance.now()));
      outbox.stop();
      log.info('telegram adapter stopped');
    },
  };
}

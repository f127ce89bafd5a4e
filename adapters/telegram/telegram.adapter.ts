/**
 * The Telegram adapter: telegraf's Bot API client, long polling or a webhook on the shared HTTP
 * server, updates to Activities through the turn runner, replies and proactive sends through one
 * paced outbox. It translates and delivers; every decision stays in the flows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import { z } from 'zod';
import type { ConversationRef, Locale, OutgoingMessage } from '../../src/activity.js';
import type { RunningAdapter } from '../../src/adapter.js';
import type { Channel } from '../../src/channel.js';
import type { Core } from '../../src/core.js';
import { t } from '../../src/i18n/catalog.js';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../../src/server.js';
import { Outbox, PRIORITY_INTERACTIVE, PRIORITY_PROACTIVE_DEFAULT, apiErrorOf, type OutboxLimits, type OutboxOutcome, type OutboxTimers } from './telegram.outbox.js';
import { chatIdOf, isPrivateChat, renderMessages, TELEGRAM_CAPABILITIES, toActivity, type TgSendArgs } from './telegram.translate.js';

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

/** A proactive send that Telegram refused (blocked bot, unknown chat …). */
export class TelegramDeliveryError extends Error {
  constructor(readonly outcomes: OutboxOutcome[]) {
    const failed = outcomes.filter((o): o is Extract<OutboxOutcome, { status: 'failed' }> => o.status === 'failed');
    super(`telegram: ${failed.length} of ${outcomes.length} message(s) not delivered (${failed.map((f) => f.code ?? 'network').join(', ')})`);
  }
}

const UPDATE_TTL_MS = 24 * 3_600_000;
const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'] as const;
const UpdateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

const MENU_COMMANDS = ['start', 'lookup', 'help', 'lang', 'stop', 'forget'] as const;

/** The command menu, per language, from the message catalog (BotFather's /setcommands does the same by hand). */
export const COMMAND_MENU: Record<Locale, Array<{ command: string; description: string }>> = {
  zh: MENU_COMMANDS.map((command) => ({ command, description: t('zh', `cmd.${command}`) })),
  en: MENU_COMMANDS.map((command) => ({ command, description: t('en', `cmd.${command}`) })),
};

/** Compares the webhook secret header in constant time (hashing first, so lengths never leak either). */
export function isSecretMatch(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** Starts the Telegram adapter: registers the 'telegram' Channel on core.channels, polls or mounts its webhook. */
export async function startTelegram(core: Core, server: HttpServer, opts: TelegramOptions = {}): Promise<TelegramAdapter> {
  const cfg = core.config.telegram;
  if (!cfg) throw new Error('the Telegram adapter needs TELEGRAM_BOT_TOKEN');
  const log = core.logger.child({ adapter: 'telegram' });
  const bot = new Telegraf(cfg.token, { telegram: { webhookReply: false, ...(cfg.apiRoot ? { apiRoot: cfg.apiRoot } : {}) } });
  try {
    bot.botInfo = await bot.telegram.getMe();
  } catch (error) {
    throw new Error(`Telegram getMe failed (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT): ${apiErrorOf(error).description}`);
  }
  const botId = bot.botInfo.id;
  const outbox = new Outbox({ logger: log, metrics: core.metrics, channel: 'telegram', limits: opts.outbox, timers: opts.outboxTimers });
  const failedOptional = new Set<string>();

  /** Optional calls (command menu, typing, callback answers) are logged when they fail, never fatal. */
  const optional = async (method: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      // The first failure of a method is worth a warning; repeats (an emulator that lacks it) are noise.
      const level = failedOptional.has(method) ? 'debug' : 'warn';
      failedOptional.add(method);
      log[level]('telegram optional call failed', { method, error: apiErrorOf(error).description });
    }
  };

  /** Renders messages and queues every part; resolves with each part's outcome. */
  const deliver = (chatId: string, messages: OutgoingMessage[], o: { priority: number; privateChat: boolean; removeKeyboard?: boolean }): Promise<OutboxOutcome[]> => {
    const { sends, dropped } = renderMessages(messages, o);
    if (dropped > 0) log.error('telegram dropped buttons whose callback_data is over 64 bytes', { count: dropped });
    return Promise.all(sends.map((s: TgSendArgs) => outbox.enqueue({ chatId, priority: o.priority, method: 'sendMessage', call: () => bot.telegram.sendMessage(chatId, s.text, s.extra) })));
  };

  bot.catch((error, ctx) => {
    log.error('telegram handler failed', { updateId: ctx.update.update_id, error });
  });

  bot.use(async (ctx) => {
    const update = ctx.update;
    if ('callback_query' in update) void optional('answerCallbackQuery', () => ctx.telegram.answerCbQuery(update.callback_query.id));
    const activity = toActivity(update);
    if (!activity) {
      log.debug('telegram update ignored', { updateId: update.update_id, kind: Object.keys(update).filter((k) => k !== 'update_id')[0] });
      return;
    }
    const chatId = activity.conversationId;
    if (activity.input.type === 'text') void optional('sendChatAction', () => ctx.telegram.sendChatAction(chatId, 'typing'));
    const messages = await core.runner.handle(activity, TELEGRAM_CAPABILITIES);
    const privateChat = isPrivateChat(update);
    if (messages.some((m) => m.deleteIncoming) && activity.messageId) {
      const messageId = Number(activity.messageId);
      // Queued ahead of the warning in the same chat; a failed deletion never holds the warning back.
      void outbox
        .enqueue({ chatId, priority: PRIORITY_INTERACTIVE, method: 'deleteMessage', paced: false, call: () => ctx.telegram.deleteMessage(chatId, messageId) })
        .then((outcome) => {
          if (outcome.status === 'failed') log.warn('telegram could not delete a message that looked like a code', { chat: chatId, apiError: outcome.code, description: outcome.description });
        });
    }
    void deliver(chatId, messages, { priority: PRIORITY_INTERACTIVE, privateChat, removeKeyboard: activity.input.type === 'contact' });
  });

  // One chain per chat keeps a conversation's updates in order; other chats never wait on it.
  const chains = new Map<string, Promise<void>>();
  const dispatch = (update: Update): Promise<void> => {
    const key = chatIdOf(update) ?? `update:${update.update_id}`;
    const next = (chains.get(key) ?? Promise.resolve())
      .then(async () => {
        // Delivery is at least once (a webhook retry, a poll after a crash): handle each update_id once.
        if (!(await core.store.setIfAbsent(`tg:update:${botId}:${update.update_id}`, 1, UPDATE_TTL_MS))) {
          log.info('telegram duplicate update ignored', { updateId: update.update_id });
          return;
        }
        await bot.handleUpdate(update);
      })
      .catch((error: unknown) => log.error('telegram update failed', { updateId: update.update_id, error }));
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
    return next;
  };

  const channel: Channel = {
    id: 'telegram',
    async send(ref: ConversationRef, messages: OutgoingMessage[], sendOpts?: { priority?: number }): Promise<void> {
      if (ref.channel !== 'telegram') throw new Error(`the telegram channel cannot send to ${ref.channel}`);
      const user = await core.people.user('telegram', ref.userId);
      if (user?.stopped) {
        core.metrics.sends.inc({ channel: 'telegram', outcome: 'skipped' });
        log.info('telegram proactive send skipped: reminders are off', { chat: ref.conversationId });
        return;
      }
      // Positive chat ids are private chats with a user; groups and channels are negative.
      const outcomes = await deliver(ref.conversationId, messages, { priority: sendOpts?.priority ?? PRIORITY_PROACTIVE_DEFAULT, privateChat: Number(ref.conversationId) > 0 });
      if (outcomes.some((o) => o.status === 'failed')) throw new TelegramDeliveryError(outcomes);
    },
  };
  core.channels.add(channel);

  await Promise.all([
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU[core.config.defaultLocale])),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.zh, { language_code: 'zh' })),
    optional('setMyCommands', () => bot.telegram.setMyCommands(COMMAND_MENU.en, { language_code: 'en' })),
  ]);

  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  if (cfg.webhookUrl) {
    const secret = cfg.webhookSecret;
    if (!secret) throw new Error('TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL');
    const path = new URL(cfg.webhookUrl).pathname || '/';
    const limit = opts.webhookBodyLimit ?? 1_000_000;
    server.route('POST', path, async (req: IncomingMessage, res: ServerResponse) => {
      // The secret is checked before anything is read, so a forged request never reaches a handler.
      if (!isSecretMatch(req.headers['x-telegram-bot-api-secret-token'], secret)) {
        log.warn('telegram webhook refused: secret token mismatch');
        req.resume();
        sendJson(res, 401, { ok: false, error: 'unauthorized' });
        return;
      }
      if (stopped) {
        // Telegram retries a failed delivery, so an instance shutting down loses nothing by refusing.
        req.resume();
        sendJson(res, 503, { ok: false, error: 'stopping' });
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          sendJson(res, 413, { ok: false, error: `body over ${limit} bytes` });
          return;
        }
        throw error;
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        sendJson(res, 400, { ok: false, error: 'body is not JSON' });
        return;
      }
      const parsed = UpdateSchema.safeParse(json);
      if (!parsed.success) {
        sendJson(res, 400, { ok: false, error: 'update_id: must be a non-negative integer' });
        return;
      }
      const done = dispatch(parsed.data as unknown as Update);
      track(done);
      await done;
      sendJson(res, 200, { ok: true });
    });
    await bot.telegram.setWebhook(cfg.webhookUrl, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
    log.info('telegram webhook set', { path });
  } else {
    await bot.telegram.deleteWebhook({ drop_pending_updates: false });
  }

  let pollErrors = 0;
  const abort = new AbortController();
  const pollTimeoutSec = opts.pollTimeoutSec ?? 25;
  const pollIdleMs = opts.pollIdleMs ?? 1000;
  const maxInFlight = opts.maxInFlight ?? 200;
  const poll = async (): Promise<void> => {
    let offset = 0;
    while (!stopped) {
      const started = performance.now();
      try {
        // telegraf types its signal as the abort-controller polyfill; node-fetch accepts Node's own.
        const signal = abort.signal as unknown as NonNullable<Parameters<typeof bot.telegram.callApi>[2]>['signal'];
        const updates = (await bot.telegram.callApi('getUpdates', { offset, timeout: pollTimeoutSec, limit: 100, allowed_updates: [...ALLOWED_UPDATES] }, { signal })) as Update[];
        pollErrors = 0;
        for (const update of updates) {
          offset = Math.max(offset, update.update_id + 1);
          track(dispatch(update));
        }
        while (inFlight.size >= maxInFlight && !stopped) await Promise.race(inFlight);
        const elapsed = performance.now() - started;
        // A real long poll waits server-side; one that comes back empty at once must not become a busy loop.
        if (updates.length === 0 && elapsed < pollIdleMs && !stopped) await sleep(pollIdleMs - elapsed, undefined, { signal: abort.signal }).catch(() => undefined);
      } catch (error) {
        if (stopped) break;
        pollErrors += 1;
        const api = apiErrorOf(error);
        log[pollErrors >= 3 ? 'error' : 'warn']('telegram getUpdates failed', { apiError: api.code, description: api.description, attempt: pollErrors });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(pollErrors, 6)), undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  };
  const polling = cfg.webhookUrl ? undefined : poll();
  const mode = cfg.webhookUrl ? 'webhook' : 'polling';
  log.info('telegram adapter started', { mode, bot: bot.botInfo.username });

  return {
    name: 'telegram',
    mode,
    channel,
    outbox,
    dispatch: (update) => {
      const p = dispatch(update);
      track(p);
      return p;
    },
    async health() {
      if (stopped) return { ok: false, detail: 'stopped' };
      const detail = `${mode}; outbox ${outbox.depth} waiting, ${outbox.parked} parked`;
      if (mode === 'polling' && pollErrors >= 3) return { ok: false, detail: `${detail}; getUpdates failing (${pollErrors} in a row)` };
      return { ok: true, detail };
    },
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      abort.abort();
      const until = performance.now() + graceMs;
      await polling;
      await Promise.race([Promise.allSettled([...inFlight]), sleep(graceMs, undefined, { ref: false })]);
      await outbox.drain(Math.max(0, until - performance.now()));
      outbox.stop();
      log.info('telegram adapter stopped');
    },
  };
}

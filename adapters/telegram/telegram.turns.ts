/**
 * One Telegram update in, one turn out: each update_id handled once, translated to an Activity,
 * run by the turn runner, and its replies queued. Order within a chat is kept by the runner's
 * per-conversation lock alone (see `updateHandler`).
 */
import type { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Activity, OutgoingMessage } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { OptionalCall, TelegramSender } from './telegram.channel.js';
import { PRIORITY_INTERACTIVE } from './telegram.outbox.js';
import { toActivity } from './telegram.translate.js';

const UPDATE_TTL_MS = 24 * 3_600_000;

/** What handling an update needs. */
export interface TurnDeps {
  /** Runs one turn; calls for one conversation run one at a time, in the order they were made. */
  handle(activity: Activity): Promise<OutgoingMessage[]>;
  store: Pick<StateStore, 'setIfAbsent'>;
  log: Logger;
  sender: TelegramSender;
  optional: OptionalCall;
}

/** Translates an update, runs its turn and queues the replies (the deletion of a code-like message first). */
async function runTurn(update: Update, telegram: Telegraf['telegram'], deps: TurnDeps): Promise<void> {
  const { log, sender, optional } = deps;
  if ('callback_query' in update) void optional('answerCallbackQuery', () => telegram.answerCbQuery(update.callback_query.id));
  const activity = toActivity(update);
  if (!activity) {
    log.debug('telegram update ignored', { updateId: update.update_id, kind: Object.keys(update).filter((k) => k !== 'update_id')[0] });
    return;
  }
  const chatId = activity.conversationId;
  if (activity.input.type === 'text') void optional('sendChatAction', () => telegram.sendChatAction(chatId, 'typing'));
  const messages = await deps.handle(activity);
  // Queued ahead of the warning in the same chat; a failed deletion never holds the warning back.
  if (messages.some((m) => m.deleteIncoming) && activity.messageId) sender.deleteIncoming(chatId, Number(activity.messageId));
  void sender.deliver(chatId, messages, { priority: PRIORITY_INTERACTIVE, privateChat: !activity.shared, removeKeyboard: activity.input.type === 'contact' });
}

/**
 * Installs the turn on the bot and returns the dispatcher. There is no per-chat queue here: every
 * update takes the same steps up to `handle`, whose per-conversation lock is first-come first-served,
 * so a chat's turns start in dispatch order and each turn's replies are queued before the next turn
 * (which reads the store first) can finish.
 */
export function updateHandler(bot: Telegraf, botId: number, deps: TurnDeps): (update: Update) => Promise<void> {
  bot.catch((error, ctx) => {
    deps.log.error('telegram handler failed', { updateId: ctx.update.update_id, error });
  });
  bot.use((ctx) => runTurn(ctx.update, ctx.telegram, deps));
  return async (update) => {
    try {
      // Delivery is at least once (a webhook retry, a poll after a crash): handle each update_id once.
      if (!(await deps.store.setIfAbsent(`tg:update:${botId}:${update.update_id}`, 1, UPDATE_TTL_MS))) {
        deps.log.info('telegram duplicate update ignored', { updateId: update.update_id });
        return;
      }
      await bot.handleUpdate(update);
    } catch (error) {
      deps.log.error('telegram update failed', { updateId: update.update_id, error });
    }
  };
}

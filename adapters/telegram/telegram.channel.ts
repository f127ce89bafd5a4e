/** Telegram's sending side: replies and proactive messages rendered and queued in the outbox, deletions, and optional Bot API calls. */
import type { Telegram } from 'telegraf';
import type { ConversationRef, OutgoingMessage } from '../../src/activity.js';
import type { Channel } from '../../src/channel.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import type { People } from '../../src/people.js';
import { apiErrorOf, PRIORITY_INTERACTIVE, PRIORITY_PROACTIVE_DEFAULT, type Outbox, type OutboxOutcome } from './telegram.outbox.js';
import { isPrivateChatId, renderMessages, type TgSendArgs } from './telegram.translate.js';

/** A proactive send that Telegram refused (blocked bot, unknown chat …). */
export class TelegramDeliveryError extends Error {
  constructor(readonly outcomes: OutboxOutcome[]) {
    const failed = outcomes.filter((o): o is Extract<OutboxOutcome, { status: 'failed' }> => o.status === 'failed');
    super(`telegram: ${failed.length} of ${outcomes.length} message(s) not delivered (${failed.map((f) => f.code ?? 'network').join(', ')})`);
  }
}

/** Runs a Bot API call that may fail without harm (command menu, typing, callback answers): logged, never fatal. */
export type OptionalCall = (method: string, call: () => Promise<unknown>) => Promise<void>;

/** An OptionalCall that warns on a method's first failure and keeps repeats (an emulator that lacks it) at debug. */
export function optionalCaller(log: Logger): OptionalCall {
  const failed = new Set<string>();
  return async (method, call) => {
    try {
      await call();
    } catch (error) {
      const level = failed.has(method) ? 'debug' : 'warn';
      failed.add(method);
      log[level]('telegram optional call failed', { method, error: apiErrorOf(error).description });
    }
  };
}

/** How one batch of messages is sent. */
export interface DeliverOptions {
  priority: number;
  /** Decided in translation: only private chats get the request_contact keyboard. */
  privateChat: boolean;
  removeKeyboard?: boolean;
}

/** Everything that goes to Telegram goes through here, and through the one outbox. */
export class TelegramSender {
  constructor(
    private readonly telegram: Telegram,
    readonly outbox: Outbox,
    private readonly log: Logger,
  ) {}

  /** Renders messages and queues every part; resolves with each part's outcome. */
  deliver(chatId: string, messages: OutgoingMessage[], o: DeliverOptions): Promise<OutboxOutcome[]> {
    const { sends, dropped } = renderMessages(messages, o);
    if (dropped > 0) this.log.error('telegram dropped buttons whose callback_data is over 64 bytes', { count: dropped });
    return Promise.all(sends.map((s: TgSendArgs) => this.outbox.enqueue({ chatId, priority: o.priority, method: 'sendMessage', call: () => this.telegram.sendMessage(chatId, s.text, s.extra) })));
  }

  /** Queues the deletion of a message that looked like a code, ahead of the warning; a failure is logged and holds nothing back. */
  deleteIncoming(chatId: string, messageId: number): void {
    void this.outbox.enqueue({ chatId, priority: PRIORITY_INTERACTIVE, method: 'deleteMessage', paced: false, call: () => this.telegram.deleteMessage(chatId, messageId) }).then((outcome) => {
      if (outcome.status === 'failed') this.log.warn('telegram could not delete a message that looked like a code', { chat: chatId, apiError: outcome.code, description: outcome.description });
    });
  }
}

/** The 'telegram' Channel: proactive sends, skipped for a person who turned reminders off, rejected when Telegram refuses. */
export function telegramChannel(sender: TelegramSender, deps: { people: Pick<People, 'user'>; metrics: Metrics; log: Logger }): Channel {
  return {
    id: 'telegram',
    async send(ref: ConversationRef, messages: OutgoingMessage[], sendOpts?: { priority?: number }): Promise<void> {
      if (ref.channel !== 'telegram') throw new Error(`the telegram channel cannot send to ${ref.channel}`);
      const user = await deps.people.user('telegram', ref.userId);
      if (user?.stopped) {
        deps.metrics.sends.inc({ channel: 'telegram', outcome: 'skipped' });
        deps.log.info('telegram proactive send skipped: reminders are off', { chat: ref.conversationId });
        return;
      }
      const privateChat = isPrivateChatId(ref.conversationId);
      const outcomes = await sender.deliver(ref.conversationId, messages, { priority: sendOpts?.priority ?? PRIORITY_PROACTIVE_DEFAULT, privateChat });
      if (outcomes.some((o) => o.status === 'failed')) throw new TelegramDeliveryError(outcomes);
    },
  };
}

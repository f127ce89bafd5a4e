/** The 'telegram' Channel (proactive sends stored in the durable outbox) and optional Bot API calls. */
import { randomUUID } from 'node:crypto';
import type { ConversationRef, OutgoingMessage } from '../../src/activity.js';
import type { Channel, SendOptions } from '../../src/channel.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import type { People } from '../../src/people.js';
import { apiErrorOf, toOutboxMessages } from './telegram.sender.js';
import { isPrivateChatId } from './telegram.translate.js';

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

/** What the channel needs: the outbox, the people (for /stop), metrics, a log and the time. */
export interface TelegramChannelDeps {
  outbox: Pick<Outbox, 'enqueue'>;
  people: Pick<People, 'user'>;
  metrics: Metrics;
  log: Logger;
  now(): number;
}

/** The 'telegram' Channel: proactive sends, skipped for a person who turned reminders off, stored before they are sent. */
export function telegramChannel(deps: TelegramChannelDeps): Channel {
  return {
    id: 'telegram',
    async send(ref: ConversationRef, messages: OutgoingMessage[], opts: SendOptions = {}): Promise<void> {
      if (ref.channel !== 'telegram') throw new Error(`the telegram channel cannot send to ${ref.channel}`);
      const user = await deps.people.user('telegram', ref.userId);
      if (user?.stopped) {
        deps.metrics.sends.inc({ channel: 'telegram', outcome: 'skipped' });
        deps.log.info('telegram proactive send skipped: reminders are off', { chat: ref.conversationId });
        return;
      }
      const now = deps.now();
      const { records, dropped } = toOutboxMessages(messages, {
        idPrefix: opts.id ? `tg:p:${opts.id}:${ref.conversationId}` : `tg:p:${randomUUID()}`,
        chatId: ref.conversationId,
        priority: 'proactive',
        deadline: opts.priority ?? now + 7 * 86_400_000,
        ...(opts.expiresInMs !== undefined ? { expiresAt: now + opts.expiresInMs } : {}),
        ...(opts.about ? { meta: opts.about } : {}),
        privateChat: isPrivateChatId(ref.conversationId),
      });
      if (dropped > 0) deps.log.error('telegram dropped buttons whose callback_data is over 64 bytes', { count: dropped });
      await deps.outbox.enqueue(records);
    },
  };
}

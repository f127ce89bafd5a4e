/**
 * Feishu events in, outbox records out, the same in both ways in (the long connection and HTTP):
 * a message to the bot or a pressed card button becomes an applicant's turn or a team operation,
 * its replies are stored, and only then is the event_id marked handled.
 */
import type { Activity, Locale } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import { OutboxInputError, OutboxPrivacyError, type NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import type { People } from '../../src/people.js';
import type { TurnOutcome } from '../../src/runner.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { FeishuConfig } from '../../src/config.js';
import type { FeishuApi } from './feishu.api.js';
import { card, md, outgoingCard, parseButtonValue } from './feishu.cards.js';
import { toRecords, type FeishuPayload } from './feishu.sender.js';
import { mayUseTeam, type FeishuTeamViews } from './feishu.team.js';
import { ft } from './feishu.views.js';

/** How long an event_id is remembered: Feishu retries a delivery for hours at most. */
const EVENT_TTL_MS = 24 * 3_600_000;
/** How long one instance's claim on an event holds: longer than any turn. */
const HANDLING_TTL_MS = 30_000;
const TEAM_COMMAND = /^\/beian(?:\s+([\s\S]*))?$/i;

/** The part of a message event this adapter reads (`im.message.receive_v1`, as the SDK's dispatcher hands it over). */
export interface MessageEvent {
  event_id?: string;
  tenant_key?: string;
  sender?: { sender_id?: { open_id?: string }; sender_type?: string; tenant_key?: string };
  message?: { message_id?: string; chat_id?: string; chat_type?: string; message_type?: string; content?: string };
}

/** The part of a card action this adapter reads (`card.action.trigger`). */
export interface CardActionEvent {
  event_id?: string;
  tenant_key?: string;
  operator?: { open_id?: string; tenant_key?: string };
  action?: { value?: unknown };
  context?: { open_message_id?: string; open_chat_id?: string };
}

/** A refusal to mark an event handled: its replies were not stored, so it must come again. */
export class DeliverAgain extends Error {
  override name = 'DeliverAgain';
}

/** What handling events needs. */
export interface EventDeps {
  config: { feishu: FeishuConfig; defaultLocale: Locale };
  turn(activity: Activity): Promise<TurnOutcome>;
  api: Pick<FeishuApi, 'mobileOf'>;
  people: Pick<People, 'user'>;
  store: Pick<StateStore, 'get' | 'set' | 'setIfAbsent' | 'delete'>;
  outbox: Pick<Outbox, 'enqueue'>;
  /** The team's views per locale. */
  team: Record<Locale, FeishuTeamViews>;
  log: Logger;
  now(): number;
}

/** The text of a text message, with the @mentions of the bot taken out; `undefined` for anything else. */
export function textOf(message: MessageEvent['message']): string | undefined {
  if (message?.message_type !== 'text' || typeof message.content !== 'string') return undefined;
  try {
    const text = (JSON.parse(message.content) as { text?: unknown }).text;
    return typeof text === 'string' ? text.replace(/@_user_\d+/g, '').trim() : undefined;
  } catch {
    return undefined;
  }
}

/** What one event comes to: the records to store, and whether the event counts as handled once they are. */
interface Prepared {
  records: NewOutboxMessage[];
  handled: boolean;
}

/** The handlers of the SDK's EventDispatcher: each event once, by event_id. */
export function eventHandlers(deps: EventDeps) {
  const { log } = deps;
  const cfg = deps.config.feishu;

  const stored = (idPrefix: string, chatId: string, payloads: FeishuPayload[]): NewOutboxMessage[] => toRecords(payloads, { idPrefix, chatId, priority: 'interactive', deadline: deps.now(), meta: { kind: 'reply' } });

  /** Runs an applicant's turn and stores its replies as cards in their chat. */
  const applicantTurn = async (eventId: string, activity: Activity): Promise<Prepared> => {
    const turn = await deps.turn(activity);
    const payloads = turn.messages.map((m): FeishuPayload => ({ op: 'send', card: outgoingCard(m) }));
    // The try-again note has its own ids, so it goes out once however often the store fails.
    const records = stored(`fs:e:${eventId}${turn.status === 'retry' ? ':retry' : ''}`, activity.conversationId, payloads);
    return { records, handled: turn.status !== 'retry' };
  };

  const localeOf = async (openId: string): Promise<Locale> => (await deps.people.user('feishu', openId).catch(() => undefined))?.locale ?? deps.config.defaultLocale;

  const onMessage = async (e: MessageEvent, eventId: string): Promise<Prepared> => {
    const openId = e.sender?.sender_id?.open_id;
    const chatId = e.message?.chat_id;
    const text = textOf(e.message);
    if (e.sender?.sender_type !== 'user' || !openId || !chatId || text === undefined) return { records: [], handled: true };
    const command = TEAM_COMMAND.exec(text);
    if (command) {
      const locale = deps.config.defaultLocale;
      const allowed = mayUseTeam(cfg, { openId, tenantKey: e.sender.tenant_key }, e.tenant_key);
      if (!allowed) log.warn('feishu: not authorized', { feishuUser: openId });
      const answer = allowed ? await deps.team[locale].command(command[1] ?? '') : deps.team[locale].say('denied');
      const reply: FeishuPayload = e.message?.message_id ? { op: 'reply', messageId: e.message.message_id, card: answer } : { op: 'send', card: answer };
      return { records: stored(`fs:e:${eventId}`, chatId, [reply]), handled: true };
    }
    return applicantTurn(eventId, {
      channel: 'feishu',
      userId: openId,
      conversationId: chatId,
      ...(e.message?.message_id ? { messageId: e.message.message_id } : {}),
      ...(e.message?.chat_type === 'p2p' ? {} : { shared: true }),
      input: { type: 'text', text },
    });
  };

  const onCardAction = async (e: CardActionEvent, eventId: string): Promise<Prepared> => {
    const openId = e.operator?.open_id;
    const chatId = e.context?.open_chat_id;
    const messageId = e.context?.open_message_id;
    const value = parseButtonValue(e.action?.value);
    if (!openId || !chatId || !value) return { records: [], handled: true };
    const base = { channel: 'feishu', userId: openId, conversationId: chatId } as const;
    if ('d' in value) return applicantTurn(eventId, { ...base, input: { type: 'action', data: value.d } });
    if ('k' in value) {
      // The number comes from the person's own profile, never from what anyone typed: the same guarantee as Telegram's own contact.
      const mobile = await deps.api.mobileOf(openId).catch((error: unknown) => {
        log.warn('feishu: could not read the profile’s mobile number', { feishuUser: openId, error });
        return undefined;
      });
      if (mobile) return applicantTurn(eventId, { ...base, input: { type: 'contact', phone: mobile, isOwn: true } });
      const none = card([md(ft(await localeOf(openId), 'noMobile'))]);
      return { records: stored(`fs:e:${eventId}`, chatId, [{ op: 'send', card: none }]), handled: true };
    }
    const locale = deps.config.defaultLocale;
    if (!mayUseTeam(cfg, { openId, tenantKey: e.operator?.tenant_key }, e.tenant_key)) {
      log.warn('feishu: not authorized', { feishuUser: openId });
      return { records: stored(`fs:e:${eventId}`, chatId, [{ op: 'send', card: deps.team[locale].say('denied') }]), handled: true };
    }
    let payload: FeishuPayload;
    try {
      const answer = await deps.team[locale].action(value.t, value.v, openId);
      payload = answer.replace && messageId ? { op: 'update', messageId, card: answer.card } : messageId ? { op: 'reply', messageId, card: answer.card } : { op: 'send', card: answer.card };
    } catch (error) {
      log.error('feishu: team action failed', { action: value.t, error });
      payload = { op: 'send', card: deps.team[locale].say('error') };
    }
    return { records: stored(`fs:e:${eventId}`, chatId, [payload]), handled: true };
  };

  /**
   * Handles an event once. Feishu delivers at least once (a retry, a reconnect), so each event_id is
   * claimed with one atomic `setIfAbsent` while it is handled, and marked handled only after its
   * replies are stored; a replay before that stores the same outbox ids again, which is a no-op.
   */
  const once =
    <E extends { event_id?: string }>(kind: string, run: (e: E, eventId: string) => Promise<Prepared>) =>
    async (e: E): Promise<Record<string, never>> => {
      const eventId = e.event_id;
      if (!eventId) {
        log.warn('feishu: event without an event_id ignored', { kind });
        return {};
      }
      const marker = `feishu:event:${eventId}`;
      const claim = `feishu:handling:${eventId}`;
      const claimed = await deps.store.setIfAbsent(claim, 1, HANDLING_TTL_MS);
      try {
        if ((await deps.store.get(marker)) !== undefined) {
          log.info('feishu: duplicate event dropped', { kind, eventId });
          return {};
        }
        if (!claimed) throw new DeliverAgain('another instance is handling it');
        let prepared: Prepared;
        try {
          prepared = await run(e, eventId);
        } catch (error) {
          // A bug: handling it again would fail the same way, so it counts as handled.
          log.error('feishu: handler failed', { kind, eventId, error });
          prepared = { records: [], handled: true };
        }
        try {
          await deps.outbox.enqueue(prepared.records);
        } catch (error) {
          if (!(error instanceof OutboxPrivacyError || error instanceof OutboxInputError)) throw error;
          log.error('feishu: the outbox refused a reply', { kind, eventId, error });
        }
        if (!prepared.handled) throw new DeliverAgain('the turn could not be saved');
        await deps.store.set(marker, 1, EVENT_TTL_MS);
        return {};
      } finally {
        if (claimed) await deps.store.delete(claim).catch(() => undefined);
      }
    };

  return {
    'im.message.receive_v1': once<MessageEvent>('message', onMessage),
    'card.action.trigger': once<CardActionEvent>('card action', onCardAction),
  };
}

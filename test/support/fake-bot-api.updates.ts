/** Builders for the updates a person causes in a private chat with the bot, shaped as the Bot API delivers them. */
import type { Update } from 'telegraf/types';

/** An update before the fake gives it its update_id. */
export type UpdateBody = Omit<Update.MessageUpdate, 'update_id'> | Omit<Update.CallbackQueryUpdate, 'update_id'> | Omit<Update.EditedMessageUpdate, 'update_id'>;

/** Who is writing: a private chat's id equals the user's id. */
export interface Person {
  id: number;
  firstName?: string;
  languageCode?: string;
}

let nextMessageId = 1;
let nextCallbackId = 1;
const unixNow = () => Math.floor(Date.now() / 1000);

function userOf(p: Person) {
  return { id: p.id, is_bot: false, first_name: p.firstName ?? `User ${p.id}`, ...(p.languageCode ? { language_code: p.languageCode } : {}) };
}

function chatOf(p: Person) {
  return { id: p.id, type: 'private' as const, first_name: p.firstName ?? `User ${p.id}` };
}

/** A text message in a private chat; a leading /command gets its bot_command entity, as Telegram adds one. */
export function textUpdate(person: Person | number, text: string): UpdateBody {
  const p = typeof person === 'number' ? { id: person } : person;
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return {
    message: {
      message_id: nextMessageId++,
      date: unixNow(),
      chat: chatOf(p),
      from: userOf(p),
      text,
      ...(command ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command[0].length }] } : {}),
    },
  };
}

/** A shared contact in a private chat: the person's own (user_id set to theirs) unless `ownerId` says otherwise. */
export function contactUpdate(person: Person | number, phoneNumber: string, opts: { ownerId?: number } = {}): UpdateBody {
  const p = typeof person === 'number' ? { id: person } : person;
  return {
    message: {
      message_id: nextMessageId++,
      date: unixNow(),
      chat: chatOf(p),
      from: userOf(p),
      contact: { phone_number: phoneNumber, first_name: p.firstName ?? `User ${p.id}`, user_id: opts.ownerId ?? p.id },
    },
  };
}

/** A tap on an inline button under the bot's message `messageId` in the person's private chat. */
export function callbackUpdate(person: Person | number, data: string, opts: { messageId?: number; botId?: number } = {}): UpdateBody {
  const p = typeof person === 'number' ? { id: person } : person;
  return {
    callback_query: {
      id: String(nextCallbackId++),
      from: userOf(p),
      chat_instance: `ci-${p.id}`,
      data,
      message: {
        message_id: opts.messageId ?? 1,
        date: unixNow(),
        chat: chatOf(p),
        from: { id: opts.botId ?? 123456, is_bot: true, first_name: 'Fake Bot', username: 'fake_bot' },
        text: '…',
      },
    },
  };
}

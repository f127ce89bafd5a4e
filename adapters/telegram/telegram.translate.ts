/** Telegram ⇄ core translation, both ways, and nothing else: updates to Activities, OutgoingMessages to sendMessage arguments. */
import type { Update } from 'telegraf/types';
import { isLinkButton, type Activity, type Capabilities, type Locale, type OutgoingMessage } from '../../src/activity.js';

/** Telegram's limit on one message's text, in UTF-16 code units after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_LIMIT = 64;

/** An inline keyboard button as the Bot API takes it: one that calls back, or one that opens a URL. */
export type TgInlineButton = { text: string; callback_data: string } | { text: string; url: string };

/** The reply_markup variants this adapter sends. */
export type TgReplyMarkup =
  | { inline_keyboard: TgInlineButton[][] }
  | { keyboard: Array<Array<{ text: string; request_contact: true }>>; one_time_keyboard: true; resize_keyboard: true; is_persistent: false }
  | { remove_keyboard: true };

/** One sendMessage call: HTML text and its extra fields. */
export interface TgSendArgs {
  text: string;
  extra: { parse_mode: 'HTML'; link_preview_options: { is_disabled: true }; reply_markup?: TgReplyMarkup };
}

/** How a conversation renders: only private chats may get the request_contact keyboard. */
export interface RenderOptions {
  privateChat: boolean;
}

/** Maps Telegram's language_code to a reply locale: zh… → zh, en… → en, anything else → the default. */
export function toLocale(languageCode: string | undefined): Locale | undefined {
  const code = languageCode?.toLowerCase();
  if (code?.startsWith('zh')) return 'zh';
  if (code?.startsWith('en')) return 'en';
  return undefined;
}

/** The chat an update belongs to (its conversation id), when it has one. */
export function chatIdOf(update: Update): string | undefined {
  if ('callback_query' in update) {
    const q = update.callback_query;
    // A callback from an inline-mode message carries no message: it can only be answered privately.
    return String(q.message?.chat.id ?? q.from.id);
  }
  const msg = 'message' in update ? update.message : 'edited_message' in update ? update.edited_message : undefined;
  return msg ? String(msg.chat.id) : undefined;
}

/**
 * Whether a chat is private (where request_contact works and reminders may go): Telegram gives a
 * private chat its user's positive id, and groups, supergroups and channels negative ones. The one
 * place this is decided: updates carry the answer on as `Activity.shared`, proactive sends ask here.
 */
export function isPrivateChatId(chatId: string | number): boolean {
  return Number(chatId) > 0;
}

/** What Telegram can do: a request_contact keyboard and deleting a person's message; never linking by a typed number. */
export const TELEGRAM_CAPABILITIES: Capabilities = { canRequestContact: true, canDeleteMessages: true, canLinkByCommand: false };

/**
 * Translates an update into an Activity: text (or a caption), a shared contact, or a button press.
 * A contact is marked own only when `contact.user_id === from.id` (the flow refuses anything else).
 * Edited messages count as text, so an edit that adds an SMS code still meets the code guard.
 * Anything else (stickers, channel posts, bots) gives `undefined`.
 */
export function toActivity(update: Update): Activity | undefined {
  if ('callback_query' in update) {
    const q = update.callback_query;
    if (!('data' in q) || typeof q.data !== 'string') return undefined;
    return {
      channel: 'telegram',
      userId: String(q.from.id),
      conversationId: chatIdOf(update)!,
      ...localeOf(q.from.language_code),
      ...(isPrivateChatId(chatIdOf(update)!) ? {} : { shared: true }),
      input: { type: 'action', data: q.data },
    };
  }
  const msg = 'message' in update ? update.message : 'edited_message' in update ? update.edited_message : undefined;
  if (!msg || !('from' in msg) || !msg.from || msg.from.is_bot) return undefined;
  const base = {
    channel: 'telegram' as const,
    userId: String(msg.from.id),
    conversationId: String(msg.chat.id),
    messageId: String(msg.message_id),
    ...localeOf(msg.from.language_code),
    ...(isPrivateChatId(msg.chat.id) ? {} : { shared: true }),
  };
  if ('contact' in msg && msg.contact) {
    const isOwn = msg.contact.user_id !== undefined && msg.contact.user_id === msg.from.id;
    return { ...base, input: { type: 'contact', phone: msg.contact.phone_number, isOwn } };
  }
  if ('text' in msg && typeof msg.text === 'string') return { ...base, input: { type: 'text', text: msg.text } };
  if ('caption' in msg && typeof msg.caption === 'string' && msg.caption !== '') return { ...base, input: { type: 'text', text: msg.caption } };
  return undefined;
}

function localeOf(code: string | undefined): { locale?: Locale } {
  const locale = toLocale(code);
  return locale ? { locale } : {};
}

/** Escapes plain text for parse_mode HTML (Telegram needs only &, < and >). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Makes text safe for the Bot API: drops C0 control characters other than tab and newline (NUL
 * among them, which the API refuses) and replaces lone surrogates, which are not valid UTF-8.
 */
export function sanitizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Splits text into parts of at most `limit` UTF-16 units, cutting at the last paragraph break,
 * else line break, else space in the second half of the window, else hard (never inside a
 * surrogate pair). The break itself is dropped, and so are newlines that would open the next part.
 */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (limit < 2) throw new Error('limit must be at least 2');
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = -1;
    let skip = 0;
    for (const sep of ['\n\n', '\n', ' ']) {
      // A separator starting at `limit` still leaves a part of exactly `limit` units.
      const at = rest.lastIndexOf(sep, limit);
      if (at >= Math.floor(limit / 2)) {
        cut = at;
        skip = sep.length;
        break;
      }
    }
    if (cut === -1) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    parts.push(rest.slice(0, cut));
    // Telegram trims a message's leading newlines anyway; dropping them keeps the parts tidy.
    rest = rest.slice(cut + skip).replace(/^\n+/, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

/** Whether button data fits Telegram's 64-byte callback_data limit. */
export function hasValidCallbackData(data: string): boolean {
  const bytes = Buffer.byteLength(data, 'utf8');
  return bytes >= 1 && bytes <= CALLBACK_DATA_LIMIT;
}

/** The inline keyboard of a message, links as URL buttons; buttons whose data would not fit 64 bytes are left out (and reported). */
export function toInlineKeyboard(buttons: OutgoingMessage['buttons']): { keyboard: TgInlineButton[][]; dropped: number } {
  let dropped = 0;
  const keyboard = buttons
    .map((row) =>
      row.flatMap((b): TgInlineButton[] => {
        const text = sanitizeText(b.label).trim() || '·';
        if (isLinkButton(b)) return [{ text, url: b.url }];
        if (!hasValidCallbackData(b.data)) {
          dropped += 1;
          return [];
        }
        return [{ text, callback_data: b.data }];
      }),
    )
    .filter((row) => row.length > 0);
  return { keyboard, dropped };
}

/**
 * Renders one OutgoingMessage as sendMessage calls: the text sanitized, split at 4096 and
 * HTML-escaped part by part (so no entity is ever cut), with the keyboard on the last part.
 * A contact request becomes a one-time request_contact reply keyboard in private chats; a message
 * carries one reply_markup, so there it takes the place of the inline buttons (the text already
 * tells the person to tap the button below, and /help stays in the command menu).
 */
export function renderTelegram(msg: OutgoingMessage, opts: RenderOptions): { sends: TgSendArgs[]; dropped: number } {
  const text = sanitizeText(msg.text);
  const parts = splitText(text.trim() === '' ? '…' : text);
  let markup: TgReplyMarkup | undefined;
  let dropped = 0;
  if (msg.requestContact && opts.privateChat) {
    const label = sanitizeText(msg.requestContact).trim() || '📱';
    markup = { keyboard: [[{ text: label, request_contact: true }]], one_time_keyboard: true, resize_keyboard: true, is_persistent: false };
  } else {
    const inline = toInlineKeyboard(msg.buttons);
    dropped = inline.dropped;
    if (inline.keyboard.length > 0) markup = { inline_keyboard: inline.keyboard };
  }
  const sends = parts.map((part, i): TgSendArgs => {
    const extra: TgSendArgs['extra'] = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
    if (markup && i === parts.length - 1) extra.reply_markup = markup;
    return { text: escapeHtml(part), extra };
  });
  return { sends, dropped };
}

/**
 * Renders a turn's messages in order. After a contact was shared, the first part that carries no
 * keyboard also removes the contact keyboard, so the "share" button does not linger once linked.
 */
export function renderMessages(messages: OutgoingMessage[], opts: RenderOptions & { removeKeyboard?: boolean }): { sends: TgSendArgs[]; dropped: number } {
  const sends: TgSendArgs[] = [];
  let dropped = 0;
  for (const msg of messages) {
    const rendered = renderTelegram(msg, opts);
    sends.push(...rendered.sends);
    dropped += rendered.dropped;
  }
  if (opts.removeKeyboard && opts.privateChat) {
    const bare = sends.find((s) => !s.extra.reply_markup);
    if (bare) bare.extra.reply_markup = { remove_keyboard: true };
  }
  return { sends, dropped };
}

import { describe, expect, it } from 'vitest';
import type { Update } from 'telegraf/types';
import { escapeHtml, isPrivateChatId, renderMessages, renderTelegram, sanitizeText, splitText, toActivity, toLocale, TELEGRAM_TEXT_LIMIT } from '../../adapters/telegram/telegram.translate.js';
import { encodeButton } from '../../src/buttons.codec.js';

const from = (id: number, language_code?: string) => ({ id, is_bot: false, first_name: 'A', ...(language_code ? { language_code } : {}) });
const privateChat = (id: number) => ({ id, type: 'private' as const, first_name: 'A' });
const update = (u: Record<string, unknown>) => u as unknown as Update;

describe('toActivity: updates in', () => {
  it('a text message becomes text, with chat id as conversation, from.id as user and the message id', () => {
    const a = toActivity(update({ update_id: 1, message: { message_id: 7, date: 0, from: from(42, 'en-GB'), chat: privateChat(42), text: '/start VE-2026-000101' } }));
    expect(a).toEqual({ channel: 'telegram', userId: '42', conversationId: '42', messageId: '7', locale: 'en', input: { type: 'text', text: '/start VE-2026-000101' } });
  });

  it('maps language codes: zh… → zh, en… → en, anything else → none (the default applies)', () => {
    expect(toLocale('zh-hans')).toBe('zh');
    expect(toLocale('zh-TW')).toBe('zh');
    expect(toLocale('en')).toBe('en');
    expect(toLocale('ru')).toBeUndefined();
    expect(toLocale(undefined)).toBeUndefined();
    const a = toActivity(update({ update_id: 1, message: { message_id: 1, date: 0, from: from(5, 'ru'), chat: privateChat(5), text: 'hi' } }));
    expect(a && 'locale' in a).toBe(false);
  });

  it('a group message keeps the group as the conversation and the sender as the user, and is marked shared (R8)', () => {
    const a = toActivity(update({ update_id: 1, message: { message_id: 3, date: 0, from: from(42), chat: { id: -100123, type: 'supergroup', title: 'g' }, text: '/help' } }));
    expect(a).toMatchObject({ userId: '42', conversationId: '-100123', shared: true });
    const b = toActivity(
      update({ update_id: 2, callback_query: { id: 'q', from: from(42), chat_instance: 'c', data: 'my', message: { message_id: 9, date: 0, chat: { id: -100123, type: 'group', title: 'g' }, text: 'x' } } }),
    );
    expect(b).toMatchObject({ shared: true, input: { type: 'action', data: 'my' } });
    expect(isPrivateChatId(-100123)).toBe(false);
    expect(isPrivateChatId('42')).toBe(true);
  });

  it('R8 linking: a contact is own only when contact.user_id === from.id', () => {
    const contact = (user_id?: number) =>
      toActivity(update({ update_id: 1, message: { message_id: 1, date: 0, from: from(42), chat: privateChat(42), contact: { phone_number: '8613800138000', first_name: 'A', ...(user_id ? { user_id } : {}) } } }));
    expect(contact(42)?.input).toEqual({ type: 'contact', phone: '8613800138000', isOwn: true });
    expect(contact(43)?.input).toEqual({ type: 'contact', phone: '8613800138000', isOwn: false });
    // A contact typed in by hand (no Telegram account) carries no user_id: never trusted.
    expect(contact(undefined)?.input).toEqual({ type: 'contact', phone: '8613800138000', isOwn: false });
  });

  it('a button press passes callback_data through untouched as an action', () => {
    const a = toActivity(update({ update_id: 2, callback_query: { id: 'q1', from: from(42, 'zh'), chat_instance: 'c', data: 'zz:<tampered>', message: { message_id: 9, date: 0, chat: privateChat(42), text: 'x' } } }));
    expect(a).toEqual({ channel: 'telegram', userId: '42', conversationId: '42', locale: 'zh', input: { type: 'action', data: 'zz:<tampered>' } });
  });

  it('an edited message is text too, so an edit that adds a code still meets the code guard', () => {
    const a = toActivity(update({ update_id: 3, edited_message: { message_id: 4, date: 0, edit_date: 1, from: from(42), chat: privateChat(42), text: '123456' } }));
    expect(a?.input).toEqual({ type: 'text', text: '123456' });
    expect(a?.messageId).toBe('4');
  });

  it('a caption counts as text; stickers, channel posts, bots and game callbacks are ignored', () => {
    expect(toActivity(update({ update_id: 1, message: { message_id: 1, date: 0, from: from(1), chat: privateChat(1), photo: [], caption: '123456' } }))?.input).toEqual({ type: 'text', text: '123456' });
    expect(toActivity(update({ update_id: 1, message: { message_id: 1, date: 0, from: from(1), chat: privateChat(1), sticker: {} } }))).toBeUndefined();
    expect(toActivity(update({ update_id: 1, channel_post: { message_id: 1, date: 0, chat: { id: -1, type: 'channel', title: 'c' }, text: 'x' } }))).toBeUndefined();
    expect(toActivity(update({ update_id: 1, message: { message_id: 1, date: 0, from: { ...from(2), is_bot: true }, chat: privateChat(2), text: 'x' } }))).toBeUndefined();
    expect(toActivity(update({ update_id: 1, callback_query: { id: 'q', from: from(1), chat_instance: 'c', game_short_name: 'g' } }))).toBeUndefined();
  });
});

describe('renderTelegram: replies out', () => {
  it('HTML-escapes every piece of text and sends parse_mode HTML', () => {
    const { sends } = renderTelegram({ text: '<b>张三 & "co"</b>', buttons: [] }, { privateChat: true });
    expect(sends).toHaveLength(1);
    expect(sends[0]!.text).toBe('&lt;b&gt;张三 &amp; "co"&lt;/b&gt;');
    expect(sends[0]!.extra.parse_mode).toBe('HTML');
    expect(escapeHtml('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('buttons become an inline keyboard with rows kept and data passed through', () => {
    const { sends } = renderTelegram(
      {
        text: 'x',
        buttons: [
          [
            { label: 'Open', data: encodeButton('lk', 'VE-2026-000101') },
            { label: 'Help', data: 'hp' },
          ],
          [{ label: '中文', data: 'lg:zh' }],
        ],
      },
      { privateChat: true },
    );
    expect(sends[0]!.extra.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Open', callback_data: 'lk:VE-2026-000101' },
          { text: 'Help', callback_data: 'hp' },
        ],
        [{ text: '中文', callback_data: 'lg:zh' }],
      ],
    });
  });

  it('a link becomes a URL button beside callback buttons: no callback_data, never dropped for the 64-byte rule', () => {
    const { sends, dropped } = renderTelegram(
      {
        text: 'x',
        buttons: [[{ label: 'Open the MIIT filing system', url: 'https://beian.miit.gov.cn' }], [{ label: 'Next', data: 'vn:VE-2026-000101' }]],
      },
      { privateChat: true },
    );
    expect(dropped).toBe(0);
    expect(sends[0]!.extra.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Open the MIIT filing system', url: 'https://beian.miit.gov.cn' }], [{ text: 'Next', callback_data: 'vn:VE-2026-000101' }]],
    });
  });

  it('re-checks callback_data against 64 bytes: a button over it is dropped and counted, never sent', () => {
    const long = `lk:${'备'.repeat(21)}`; // 3 + 63 bytes
    const { sends, dropped } = renderTelegram(
      {
        text: 'x',
        buttons: [
          [
            { label: 'bad', data: long },
            { label: 'ok', data: 'hp' },
          ],
        ],
      },
      { privateChat: true },
    );
    expect(dropped).toBe(1);
    expect(sends[0]!.extra.reply_markup).toEqual({ inline_keyboard: [[{ text: 'ok', callback_data: 'hp' }]] });
    const exactly64 = `lk:${'a'.repeat(61)}`;
    expect(renderTelegram({ text: 'x', buttons: [[{ label: 'ok', data: exactly64 }]] }, { privateChat: true }).dropped).toBe(0);
  });

  it('a contact request is a one-time request_contact reply keyboard in a private chat', () => {
    const { sends } = renderTelegram({ text: 'Share', buttons: [[{ label: 'Help', data: 'hp' }]], requestContact: 'Share my phone number' }, { privateChat: true });
    expect(sends[0]!.extra.reply_markup).toEqual({ keyboard: [[{ text: 'Share my phone number', request_contact: true }]], one_time_keyboard: true, resize_keyboard: true, is_persistent: false });
  });

  it('in a group (where request_contact does not work) the contact request falls back to the inline buttons', () => {
    const { sends } = renderTelegram({ text: 'Share', buttons: [[{ label: 'Help', data: 'hp' }]], requestContact: 'Share my phone number' }, { privateChat: false });
    expect(sends[0]!.extra.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Help', callback_data: 'hp' }]] });
  });

  it('after a shared contact the first bare message removes the contact keyboard', () => {
    const { sends } = renderMessages(
      [
        { text: 'Linked', buttons: [] },
        { text: 'List', buttons: [[{ label: 'Help', data: 'hp' }]] },
      ],
      { privateChat: true, removeKeyboard: true },
    );
    expect(sends[0]!.extra.reply_markup).toEqual({ remove_keyboard: true });
    expect(sends[1]!.extra.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Help', callback_data: 'hp' }]] });
  });

  it('a 5,000-character message goes out in two parts at a paragraph break, the keyboard on the last', () => {
    const text = `${'a'.repeat(3000)}\n\n${'b'.repeat(1998)}`;
    expect(text.length).toBe(5000);
    const { sends } = renderTelegram({ text, buttons: [[{ label: 'Help', data: 'hp' }]] }, { privateChat: true });
    expect(sends.map((s) => s.text)).toEqual(['a'.repeat(3000), 'b'.repeat(1998)]);
    expect(sends[0]!.extra.reply_markup).toBeUndefined();
    expect(sends[1]!.extra.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Help', callback_data: 'hp' }]] });
  });

  it('splits before escaping, so a part never cuts an entity and counts Telegram’s characters, not the escapes', () => {
    const text = '<'.repeat(5000);
    const { sends } = renderTelegram({ text, buttons: [] }, { privateChat: true });
    expect(sends).toHaveLength(2);
    expect(sends[0]!.text).toBe('&lt;'.repeat(TELEGRAM_TEXT_LIMIT));
    expect(sends[1]!.text).toBe('&lt;'.repeat(5000 - TELEGRAM_TEXT_LIMIT));
  });

  it('NUL and other control characters are dropped, RTL marks kept and escaped text still sent', () => {
    const { sends } = renderTelegram({ text: 'id <x>\u0000\u202Eevil\u200F\u0007 end', buttons: [] }, { privateChat: true });
    expect(sends[0]!.text).toBe('id &lt;x&gt;\u202Eevil\u200F end');
    expect(sanitizeText('a\uD800b\uDC00c😀')).toBe('a\uFFFDb\uFFFDc😀');
  });

  it('an empty text still renders a sendable message', () => {
    expect(renderTelegram({ text: '  ', buttons: [] }, { privateChat: true }).sends[0]!.text).toBe('…');
  });
});

describe('splitText', () => {
  it('leaves a text within the limit alone (and exactly at it)', () => {
    expect(splitText('hello')).toEqual(['hello']);
    expect(splitText('x'.repeat(4096))).toEqual(['x'.repeat(4096)]);
    expect(splitText('')).toEqual(['']);
  });

  it('prefers a paragraph break, then a line break, then a space, in the second half of the window', () => {
    expect(splitText('aaaa bbb\ncc\n\ndd eeee', 12)).toEqual(['aaaa bbb\ncc', 'dd eeee']);
    expect(splitText('aaaaaa\nbbbbbb cc', 12)).toEqual(['aaaaaa', 'bbbbbb cc']);
    expect(splitText('aaaaaaa bbbbbbbb', 12)).toEqual(['aaaaaaa', 'bbbbbbbb']);
    // A break in the first half would leave a tiny part: cut at a later space instead.
    expect(splitText('a\n\nbbbbbbb ccccccc', 12)).toEqual(['a\n\nbbbbbbb', 'ccccccc']);
  });

  it('cuts hard when there is no boundary, never inside a surrogate pair', () => {
    expect(splitText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    const parts = splitText(`a${'😀'.repeat(10)}`, 10);
    expect(parts.join('')).toBe(`a${'😀'.repeat(10)}`);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(10);
      expect(sanitizeText(p)).toBe(p);
    }
  });

  it('every part is within the limit and nothing but the breaks is lost, on a long mixed text', () => {
    const para = Array.from({ length: 40 }, (_, i) => `第${i}行 line ${i} `.repeat(8)).join('\n');
    const text = [para, para, para].join('\n\n');
    const parts = splitText(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });
});

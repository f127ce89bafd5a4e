/** Feishu message cards (JSON 1.0): the shape this adapter sends, button values, escaping, and an OutgoingMessage as a card. */
import { isLinkButton, type OutgoingMessage } from '../../src/activity.js';
import { echoable } from '../../src/rules/echo.rules.js';

/** Text in a card: plain (a person's reply, never interpreted) or lark_md (the team view's own templates). */
export type CardText = { tag: 'plain_text'; content: string } | { tag: 'lark_md'; content: string };

/** What a button sends back when pressed: an applicant's button data, a team action, or the request to link the profile's phone. */
export type ButtonValue = { d: string } | { t: string; v: string } | { k: 'link' };

/** A card button: one that sends its value back, or one that opens a web page. */
export type CardButton = { tag: 'button'; text: CardText; type: 'default' | 'primary'; value?: ButtonValue; url?: string };

/** The card elements this adapter uses. */
export type CardElement = { tag: 'div'; text: CardText } | { tag: 'action'; actions: CardButton[] } | { tag: 'hr' } | { tag: 'note'; elements: CardText[] };

/** A message card as im/v1/messages takes it (`msg_type: interactive`). */
export interface FeishuCard {
  config: { wide_screen_mode: true; update_multi: true };
  header?: { title: { tag: 'plain_text'; content: string }; template?: 'blue' | 'orange' | 'red' | 'grey' };
  elements: CardElement[];
}

// Feishu refuses a card over 30 KB; a div is kept well under it, so even a long recovery tree fits.
const DIV_LIMIT = 6000;

/** Escapes text from a filing for lark_md: the characters that would start markup become HTML entities. */
export function escapeMd(text: string): string {
  return echoable(text).replace(/[&<>*_~`[\]#]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A lark_md block; a line over the limit is cut. */
export function md(content: string): CardElement {
  return { tag: 'div', text: { tag: 'lark_md', content: content.length > DIV_LIMIT ? `${content.slice(0, DIV_LIMIT - 1)}…` : content } };
}

/** A button that sends `value` back; the label is plain text (Feishu shows about 20 characters of it). */
export function button(label: string, value: ButtonValue, primary = false): CardButton {
  return { tag: 'button', text: { tag: 'plain_text', content: label.slice(0, 60) || '·' }, type: primary ? 'primary' : 'default', value };
}

/** A card of elements, updatable in place for everyone who sees it. */
export function card(elements: CardElement[], title?: string): FeishuCard {
  return { config: { wide_screen_mode: true, update_multi: true }, ...(title ? { header: { title: { tag: 'plain_text', content: title.slice(0, 100) }, template: 'blue' } } : {}), elements };
}

/**
 * A reply to a person as a card: the text as plain text (so nothing in it is read as markup), each
 * row of buttons as an action block, and the request for a phone as a button that links the
 * number on the person's own Feishu profile.
 */
export function outgoingCard(message: OutgoingMessage): FeishuCard {
  const text = message.text.trim() === '' ? '…' : message.text;
  const elements: CardElement[] = [{ tag: 'div', text: { tag: 'plain_text', content: text.length > DIV_LIMIT ? `${text.slice(0, DIV_LIMIT - 1)}…` : text } }];
  if (message.requestContact) elements.push({ tag: 'action', actions: [button(message.requestContact, { k: 'link' }, true)] });
  for (const row of message.buttons) {
    const actions = row.map((b): CardButton => (isLinkButton(b) ? { tag: 'button', text: { tag: 'plain_text', content: b.label }, type: 'default', url: b.url } : button(b.label, { d: b.data })));
    if (actions.length > 0) elements.push({ tag: 'action', actions });
  }
  return card(elements);
}

/** Reads a pressed button's value back; anything else (an old or forged card) gives `undefined`. */
export function parseButtonValue(value: unknown): ButtonValue | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.d === 'string' && v.d.length > 0) return { d: v.d };
  if (typeof v.t === 'string' && typeof v.v === 'string') return { t: v.t, v: v.v };
  if (v.k === 'link') return { k: 'link' };
  return undefined;
}

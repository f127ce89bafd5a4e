/** The message catalog: one key, two languages, `{param}` placeholders. */
import type { Locale, Msg } from '../activity.js';
import { en, type MessageKey } from './en.js';
import { zh } from './zh.js';

export type { MessageKey };

/** Every message, by locale. */
export const catalog: Record<Locale, Record<MessageKey, string>> = { en, zh };

/** Whether a string is a known message key. */
export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

/** Renders a key in a locale, replacing `{name}` with its parameter; an unknown key renders as itself so it shows up in tests. */
export function t(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  const template = isMessageKey(key) ? catalog[locale][key] : key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Renders a Msg (a key with params, or raw text). */
export function renderMsg(locale: Locale, msg: Msg): string {
  return 'raw' in msg ? msg.raw : t(locale, msg.key, msg.params);
}

/** The message catalog: one key, two languages, `{param}` placeholders. */
import type { Locale, Msg, MsgParam } from '../activity.js';
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

const LIST_SEPARATOR: Record<Locale, string> = { zh: '、', en: ', ' };

function renderParam(locale: Locale, param: MsgParam): string | number {
  if (typeof param === 'string' || typeof param === 'number') return param;
  if (Array.isArray(param)) return param.map((m) => renderMsg(locale, m)).join(LIST_SEPARATOR[locale]);
  return renderMsg(locale, param);
}

/** Renders a Msg (a key with params, which may be messages themselves, or raw text). */
export function renderMsg(locale: Locale, msg: Msg): string {
  if ('raw' in msg) return msg.raw;
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(msg.params ?? {})) params[name] = renderParam(locale, value);
  return t(locale, msg.key, params);
}

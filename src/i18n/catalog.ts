/** The message catalog: one key, two languages, `{param}` placeholders and `{param|one:…|other:…}` plurals. */
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

const pluralRules = new Map<Locale, Intl.PluralRules>();

/** The plural category (`one`, `other`, …) of a number in a locale; a parameter that is not a number counts as `other`. */
export function pluralCategory(locale: Locale, value: string | number): Intl.LDMLPluralRule {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return 'other';
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(n);
}

// `{name}` is a parameter; `{name|one:verifier|other:verifiers}` picks a word by the parameter's plural category.
const PLACEHOLDER = /\{(\w+)((?:\|[a-z]+:[^{}|]*)+)?\}/g;

/**
 * Renders a key in a locale, replacing `{name}` with its parameter and `{name|one:…|other:…}` with the form
 * Intl.PluralRules picks for it; an unknown key renders as itself so it shows up in tests.
 */
export function t(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  const template = isMessageKey(key) ? catalog[locale][key] : key;
  // One pass, so a parameter value that looks like a placeholder is never replaced again.
  return template.replace(PLACEHOLDER, (whole, name: string, forms: string | undefined) => {
    if (!(name in params)) return whole;
    const value = params[name]!;
    if (!forms) return String(value);
    const byCategory = new Map(
      forms
        .slice(1)
        .split('|')
        .map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)] as const),
    );
    return byCategory.get(pluralCategory(locale, value)) ?? byCategory.get('other') ?? whole;
  });
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

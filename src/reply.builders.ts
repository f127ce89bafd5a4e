/** Builders for replies as data: a message by key, a button, a link, a reply of lines and buttons. */
import type { ActionButton, Button, LinkButton, Msg, MsgParam, Reply } from './activity.js';

/** A message by key. */
export function m(key: string, params?: Record<string, MsgParam>): Msg {
  return params ? { key, params } : { key };
}

/** A button by label key and data. */
export function btn(labelKey: string, data: string, params?: Record<string, string>): ActionButton {
  return { label: m(labelKey, params), data };
}

/** A button by label key that opens a web address. */
export function linkBtn(labelKey: string, url: string): LinkButton {
  return { label: m(labelKey), url };
}

/** A reply of lines and buttons. */
export function reply(lines: Msg[], buttons?: Button[][]): Reply {
  return buttons && buttons.length > 0 ? { lines, buttons } : { lines };
}

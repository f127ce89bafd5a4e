/** The Slack team view's wording: keys `slack.*` of the one message catalog (src/i18n), in both locales. */
import type { Locale } from '../../src/activity.js';
import { t, type MessageKey } from '../../src/i18n/catalog.js';

/** A key of the Slack wording (kept in the one catalog, src/i18n, under `slack.`). */
export type SlackKey = MessageKey extends infer K ? (K extends `slack.${infer R}` ? R : never) : never;

/**
 * Renders a Slack wording in a locale. Parameters are inserted as given: callers pass text that is
 * already mrkdwn-escaped (see `escapeMrkdwn`), because the templates themselves carry mrkdwn.
 */
export function st(locale: Locale, key: SlackKey, params: Record<string, string | number> = {}): string {
  return t(locale, `slack.${key}`, params);
}

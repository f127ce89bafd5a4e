/** The core's half of rendering: a flow's Reply, in one locale, as the OutgoingMessage every adapter then renders for its platform. */
import type { Locale, OutgoingMessage, Reply } from './activity.js';
import { renderMsg, t } from './i18n/catalog.js';
import { echoable } from './rules/echo.rules.js';

/**
 * Renders a flow's reply in a locale (the platform rendering comes after, in each adapter). Text and
 * labels pass `echoable` once here, so no bidi override or zero-width character reaches anyone,
 * whether a person typed it or it came from the filing system (a name, a domain).
 */
export function renderOutgoing(reply: Reply, locale: Locale): OutgoingMessage {
  return {
    text: echoable(reply.lines.map((line) => renderMsg(locale, line)).join('\n')),
    buttons: (reply.buttons ?? []).map((row) => row.map((b) => ({ label: echoable(renderMsg(locale, b.label)), data: b.data }))),
    ...(reply.requestContact ? { requestContact: t(locale, 'menu.shareContact') } : {}),
    ...(reply.deleteIncoming ? { deleteIncoming: true } : {}),
  };
}

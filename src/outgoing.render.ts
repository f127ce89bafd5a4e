/** The core's half of rendering: a flow's Reply, in one locale, as the OutgoingMessage every adapter then renders for its platform. */
import type { Locale, OutgoingMessage, Reply } from './activity.js';
import { renderMsg, t } from './i18n/catalog.js';

/** Renders a flow's reply in a locale (the platform rendering comes after, in each adapter). */
export function renderOutgoing(reply: Reply, locale: Locale): OutgoingMessage {
  return {
    text: reply.lines.map((line) => renderMsg(locale, line)).join('\n'),
    buttons: (reply.buttons ?? []).map((row) => row.map((b) => ({ label: renderMsg(locale, b.label), data: b.data }))),
    ...(reply.requestContact ? { requestContact: t(locale, 'menu.shareContact') } : {}),
    ...(reply.deleteIncoming ? { deleteIncoming: true } : {}),
  };
}

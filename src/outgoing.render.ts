/** The core's half of rendering: a flow's Reply, in one locale, as the OutgoingMessage every adapter then renders for its platform. */
import { isLinkButton, type Button, type Locale, type OutgoingMessage, type Reply } from './activity.js';
import { renderMsg, t } from './i18n/catalog.js';
import { echoable } from './rules/echo.rules.js';

function renderButton(button: Button, locale: Locale): Button<string> {
  const label = echoable(renderMsg(locale, button.label));
  return isLinkButton(button) ? { label, url: button.url } : { label, data: button.data };
}

/**
 * Renders a flow's reply in a locale (the platform rendering comes after, in each adapter). Text and
 * labels pass `echoable` once here, so no bidi override or zero-width character reaches anyone,
 * whether a person typed it or it came from the filing system (a name, a domain).
 */
export function renderOutgoing(reply: Reply, locale: Locale): OutgoingMessage {
  return {
    text: echoable(reply.lines.map((line) => renderMsg(locale, line)).join('\n')),
    buttons: (reply.buttons ?? []).map((row) => row.map((b) => renderButton(b, locale))),
    ...(reply.requestContact ? { requestContact: t(locale, 'menu.shareContact') } : {}),
    ...(reply.deleteIncoming ? { deleteIncoming: true } : {}),
  };
}

/** The replies a person can always fall back on: the menu, the request to link a phone, and the link to the MIIT system. */
import type { Button, Msg, Reply } from '../src/activity.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, linkBtn, m } from '../src/reply.builders.js';
import type { FlowDeps } from '../src/turn.types.js';

/** The MIIT ICP filing management system, where principals verify and request a resend. */
export const MIIT_SYSTEM_URL = 'https://beian.miit.gov.cn';

/** A row with the one button that opens the MIIT system, for the guides that send a person there. */
export function miitLinkRow(): Button[] {
  return [linkBtn('btn.miit', MIIT_SYSTEM_URL)];
}

/** The menu a person can always fall back on: their filings and help, or linking when not linked. */
export function menuButtons(deps: FlowDeps): Button[][] {
  if (!deps.me.phoneKey) return [[btn('menu.help', encodeButton('hp')), btn('menu.lang', encodeButton('lg', deps.me.locale === 'zh' ? 'en' : 'zh'))]];
  return [[btn('menu.myFilings', encodeButton('my')), btn('menu.help', encodeButton('hp'))]];
}

/** The reply that asks a person to link their phone. */
export function askToLink(deps: FlowDeps, extra: Msg[] = []): Reply {
  const lines = [...extra, m(deps.me.can.canRequestContact ? 'start.askContact' : 'start.askContactConsole')];
  return { lines, requestContact: deps.me.can.canRequestContact, buttons: [[btn('menu.help', encodeButton('hp'))]] };
}

/** Small builders the flows share: messages, menus and the filing card. */
import type { Button, Msg, MsgParam, Reply } from '../src/activity.js';
import type { Filing } from '../src/filing.js';
import { phonesOf } from '../src/rules/verifiers.rules.js';
import { encodeButton } from './buttons.js';
import type { FlowDeps, StepResult } from './flow.types.js';
import { summarizeFiling, type FilingSummary } from './summary.js';

/** A message by key. */
export function m(key: string, params?: Record<string, MsgParam>): Msg {
  return params ? { key, params } : { key };
}

/** A button by label key and data. */
export function btn(labelKey: string, data: string, params?: Record<string, string>): Button {
  return { label: m(labelKey, params), data };
}

/** A reply of lines and buttons. */
export function reply(lines: Msg[], buttons?: Button[][]): Reply {
  return buttons && buttons.length > 0 ? { lines, buttons } : { lines };
}

/** The menu a person can always fall back on: their filings and help, or linking when not linked. */
export function menuButtons(deps: FlowDeps): Button[][] {
  if (!deps.me.phoneKey) return [[btn('menu.help', encodeButton('hp')), btn('menu.lang', encodeButton('lg', deps.me.locale === 'zh' ? 'en' : 'zh'))]];
  return [[btn('menu.myFilings', encodeButton('my')), btn('menu.help', encodeButton('hp'))]];
}

/** The reply that asks a person to link their phone. */
export function askToLink(deps: FlowDeps, extra: Msg[] = []): Reply {
  const lines = [...extra, m(deps.me.channel === 'console' ? 'start.askContactConsole' : 'start.askContact')];
  return { lines, requestContact: deps.me.channel !== 'console', buttons: [[btn('menu.help', encodeButton('hp'))]] };
}

/** A filing by id, only if this person may see it (R8): their phone is a principal's or the emergency contact's. */
export function visibleFiling(deps: FlowDeps, id: string): Filing | undefined {
  const filing = deps.filing(id);
  if (!filing || !deps.me.phoneKey) return undefined;
  return phonesOf(filing).some((p) => deps.keyOf(p) === deps.me.phoneKey) ? filing : undefined;
}

/** Filings naming this person's linked phone. */
export function myFilingList(deps: FlowDeps): Filing[] {
  return deps.me.phoneKey ? deps.filingsByKey(deps.me.phoneKey) : [];
}

/** A finished turn with one reply. */
export function done(...replies: Reply[]): StepResult {
  return { status: 'done', replies };
}

/** A turn that leaves the stored state as it was. */
export function keep(...replies: Reply[]): StepResult {
  return { status: 'keep', replies };
}

/** "This button has expired", with a fresh menu (tampered, stale or foreign button data). */
export function expired(deps: FlowDeps): StepResult {
  return done(reply([m('error.expired')], menuButtons(deps)));
}

/** The same answer for an unknown filing and one this person may not see (R8). */
export function notFound(deps: FlowDeps, id: string): StepResult {
  return done(reply([m('lookup.notFound', { id })], menuButtons(deps)));
}

/** The summary of a visible filing with this person's confirmations. */
export async function summaryFor(filing: Filing, deps: FlowDeps): Promise<FilingSummary> {
  return summarizeFiling(filing, deps.clock.now(), await deps.confirmations(filing), deps.keyOf);
}

/** The verifier in this summary that is the person asking, if any. */
export function meIn(summary: FilingSummary, deps: FlowDeps) {
  return deps.me.phoneKey ? summary.verifiers.find((v) => v.key === deps.me.phoneKey) : undefined;
}

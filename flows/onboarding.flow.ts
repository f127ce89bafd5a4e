/** Onboarding: /start (with a deep-linked filing), linking by one's own contact, and "my filings". */
import type { Reply } from '../src/activity.js';
import { normalizePhone } from '../src/rules/phone.rules.js';
import { cycleState } from '../src/rules/cycle.rules.js';
import { encodeButton } from '../src/buttons.codec.js';
import { askToLink, menuButtons } from './menu.replies.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done } from './step.results.js';
import { isMine, myFilingList, partClause, visibleFiling } from './my.filings.js';
import { myPart } from '../src/rules/my-part.rules.js';
import { FilingIdSchema } from '../src/filings/filing.js';
import type { Effect, FlowDeps, SessionState, StepResult } from '../src/turn.types.js';
import { SESSION_VERSION } from '../src/turn.types.js';
import { filingCard } from './lookup.flow.js';
import { maskPhone } from '../src/rules/phone.rules.js';

/** The list of filings naming my phone, each line saying what I must do for it, with a button to open it. */
export async function myFilingsReply(deps: FlowDeps, phoneMasked = deps.me.phoneMasked ?? ''): Promise<Reply> {
  const filings = await myFilingList(deps);
  if (filings.length === 0) return reply([m('mine.none', { phone: phoneMasked })], menuButtons(deps));
  const now = deps.clock.now();
  const lines = [m('mine.title')];
  const buttons = [];
  for (const f of filings) {
    const part = myPart(f, cycleState(f, now, await deps.confirmations(f)), isMine(deps));
    const params = { id: f.id, type: m(`type.${f.type}`), status: m(`status.${f.status}`) };
    const clause = partClause(part);
    lines.push(clause ? m('mine.itemPart', { ...params, part: clause }) : m('mine.item', params));
    buttons.push([btn('btn.lookup', encodeButton('lk', f.id), { id: f.id })]);
  }
  return reply(lines, [...buttons.slice(0, 20), [btn('menu.help', encodeButton('hp'))]]);
}

/** `/start [filingId]`: welcome, then link or list; a deep-linked filing opens after linking. */
export async function start(payload: string | undefined, deps: FlowDeps): Promise<StepResult> {
  const filingId = payload && FilingIdSchema.safeParse(payload).success ? payload : undefined;
  const effects: Effect[] = deps.me.stopped ? [{ type: 'setStopped', stopped: false }] : [];
  const resumed = deps.me.stopped ? [m('stop.resumed')] : [];
  if (!deps.me.phoneKey) {
    const state: SessionState = { v: SESSION_VERSION, flow: 'onboarding', step: 'await-contact', data: filingId ? { filingId } : {} };
    const extra = filingId ? [m('start.welcome'), m('start.deepLink', { id: filingId })] : [m('start.welcome')];
    return { status: 'waiting', state, replies: [askToLink(deps, extra)], effects };
  }
  const replies: Reply[] = [reply([m('start.welcome'), ...resumed, m('start.welcomeBack', { phone: deps.me.phoneMasked ?? '' })])];
  const filing = filingId ? await visibleFiling(deps, filingId) : undefined;
  replies.push(filing ? await filingCard(filing, deps) : await myFilingsReply(deps));
  if (filingId && !filing) replies.push(reply([m('lookup.notFound', { id: filingId })]));
  return { status: 'done', replies, effects };
}

/**
 * Links a phone: from a shared contact (trusted only when it is the sender's own) or, on the
 * console only, from `/link <phone>`. A refused contact stores nothing.
 */
export async function link(input: { phone: string; isOwn: boolean }, session: SessionState | undefined, deps: FlowDeps): Promise<StepResult> {
  if (!input.isOwn) return done(askToLink(deps, [m('link.foreign')]));
  const phone = normalizePhone(input.phone);
  if (!phone.ok) return done(reply([m('link.badPhone', { reason: m(`phone.reason.${phone.reason}`) })], menuButtons(deps)));
  const masked = maskPhone(phone.phone);
  // The flow sees the linked view right away, so the list below already uses the new link.
  const linkedDeps: FlowDeps = { ...deps, me: { ...deps.me, phoneKey: deps.keyOf(phone.phone), phoneMasked: masked } };
  const replies: Reply[] = [reply([m('link.done', { phone: masked })])];
  const deepLinked = session?.flow === 'onboarding' && session.data.filingId ? await visibleFiling(linkedDeps, session.data.filingId) : undefined;
  replies.push(deepLinked ? await filingCard(deepLinked, linkedDeps) : await myFilingsReply(linkedDeps, masked));
  return { status: 'done', replies, effects: [{ type: 'link', phone: phone.phone }] };
}

/** The "my filings" button or command. */
export async function myFilings(deps: FlowDeps): Promise<StepResult> {
  if (!deps.me.phoneKey) return done(askToLink(deps, [m('link.needed')]));
  return done(await myFilingsReply(deps));
}

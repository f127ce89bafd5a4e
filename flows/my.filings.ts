/** What the person asking may see of the filings (R8), their own place in a filing's summary, and their part in words. */
import type { Filing } from '../src/filings/filing.js';
import { phonesOf } from '../src/rules/verifiers.rules.js';
import { summarizeFiling, timeLeftMsg, type FilingSummary } from '../src/summary/filing.summary.js';
import type { MyPart } from '../src/rules/my-part.rules.js';
import type { VerificationSource } from '../src/rules/cycle.rules.js';
import type { Msg } from '../src/activity.js';
import { m } from '../src/reply.builders.js';
import { toChinaTime } from '../src/time.js';
import type { FlowDeps } from '../src/turn.types.js';

/** A filing by id, only if this person may see it (R8): their phone is a principal's or the emergency contact's. */
export async function visibleFiling(deps: FlowDeps, id: string): Promise<Filing | undefined> {
  const filing = await deps.filing(id);
  if (!filing || !deps.me.phoneKey) return undefined;
  return phonesOf(filing).some(isMine(deps)) ? filing : undefined;
}

/** A test of whether a normalized phone is this person's linked one, by key, since only the key is stored. */
export function isMine(deps: FlowDeps): (phone: string) => boolean {
  return (phone) => deps.me.phoneKey !== undefined && deps.keyOf(phone) === deps.me.phoneKey;
}

/** Filings naming this person's linked phone. */
export async function myFilingList(deps: FlowDeps): Promise<Filing[]> {
  return deps.me.phoneKey ? deps.filingsByKey(deps.me.phoneKey) : [];
}

/** The summary of a visible filing with this person's confirmations. */
export async function summaryFor(filing: Filing, deps: FlowDeps): Promise<FilingSummary> {
  return summarizeFiling(filing, deps.clock.now(), await deps.confirmations(filing), deps.keyOf);
}

/** The verifier in this summary that is the person asking, if any. */
export function meIn(summary: FilingSummary, deps: FlowDeps) {
  return deps.me.phoneKey ? summary.verifiers.find((v) => v.key === deps.me.phoneKey) : undefined;
}

/** A list line's clause for this person's part, or nothing when there is nothing for them to do now. */
export function partClause(part: MyPart): Msg | undefined {
  switch (part.kind) {
    case 'verify':
      return m('part.verify', { deadline: toChinaTime(part.deadline), left: timeLeftMsg(part.msLeft) });
    case 'wait-others':
      return m('part.waitOthers', { state: doneState(part.source) });
    case 'verified':
      return m('part.verified', { state: doneState(part.source) });
    case 'will-verify':
      return m('part.willVerify');
    case 'window-closed':
      return m('part.closed');
    case 'no-sms':
      return m('part.noSms', { reason: m(`noSms.${part.reason}`) });
    case 'nothing-now':
      return undefined;
  }
}

/** The card's sentence for this person's part, or nothing when there is nothing for them to do now. */
export function partLine(part: MyPart, phone: string): Msg | undefined {
  switch (part.kind) {
    case 'verify':
      return m('lookup.youMust', { phone });
    case 'wait-others':
      return m('lookup.youWait', { state: doneState(part.source) });
    case 'verified':
      return m('lookup.youDone', { state: doneState(part.source) });
    case 'will-verify':
      return m('lookup.youWill', { phone });
    case 'window-closed':
      return m('lookup.youClosed');
    case 'no-sms':
      return m('lookup.youNot', { reason: m(`noSms.${part.reason}`) });
    case 'nothing-now':
      return undefined;
  }
}

function doneState(source: VerificationSource): Msg {
  return m(`done.${source}`);
}

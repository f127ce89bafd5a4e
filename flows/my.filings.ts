/** What the person asking may see of the filings (R8), and their own place in a filing's summary. */
import type { Filing } from '../src/filings/filing.js';
import { phonesOf } from '../src/rules/verifiers.rules.js';
import { summarizeFiling, type FilingSummary } from '../src/summary/filing.summary.js';
import type { FlowDeps } from '../src/turn.types.js';

/** A filing by id, only if this person may see it (R8): their phone is a principal's or the emergency contact's. */
export async function visibleFiling(deps: FlowDeps, id: string): Promise<Filing | undefined> {
  const filing = await deps.filing(id);
  if (!filing || !deps.me.phoneKey) return undefined;
  return phonesOf(filing).some((p) => deps.keyOf(p) === deps.me.phoneKey) ? filing : undefined;
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

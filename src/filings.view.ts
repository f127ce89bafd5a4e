/**
 * The filings a turn's flow may read. Flows are pure and read filings synchronously; with filings
 * in memory that is the FilingSource itself. With shared filings (Redis) the turn first reads the
 * person's own filings, and a flow that asks for one it does not have (a phone linked in this very
 * turn) is run again once that one is read: a flow only returns its effects, so running it again
 * changes nothing.
 */
import type { Filing } from './filing.js';
import type { FilingSource } from './filings.js';

/** The synchronous reads a flow gets. */
export interface FilingView {
  filing(id: string): Filing | undefined;
  filingsByKey(phoneKey: string): Filing[];
}

/** How many times a turn's flow may run on shared filings (each run reads what the last one missed). */
const MAX_RUNS = 3;

/** Runs `step` over a view of the filings; on shared filings, again while it asked for filings not yet read. */
export async function withFilingView<R>(filings: FilingSource, phoneKey: string | undefined, step: (view: FilingView) => Promise<R>): Promise<R> {
  if (!filings.shared) return step({ filing: (id) => filings.get(id), filingsByKey: (key) => filings.byPhoneKey(key) });
  const byId = new Map<string, Filing | undefined>();
  const byKey = new Map<string, Filing[]>();
  const missing = { ids: new Set<string>(), keys: new Set<string>() };
  if (phoneKey) missing.keys.add(phoneKey);
  for (let run = 1; ; run++) {
    for (const key of missing.keys) byKey.set(key, await filings.loadByPhoneKey(key));
    for (const id of missing.ids) byId.set(id, await filings.load(id));
    for (const list of byKey.values()) for (const f of list) if (!byId.has(f.id)) byId.set(f.id, f);
    missing.ids.clear();
    missing.keys.clear();
    const view: FilingView = {
      filing: (id) => {
        if (!byId.has(id)) missing.ids.add(id);
        return byId.get(id);
      },
      filingsByKey: (key) => {
        if (!byKey.has(key)) missing.keys.add(key);
        return byKey.get(key) ?? [];
      },
    };
    const result = await step(view);
    if ((missing.ids.size === 0 && missing.keys.size === 0) || run === MAX_RUNS) return result;
  }
}

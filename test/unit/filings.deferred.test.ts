/**
 * A FilingSource that seals and indexes the file's filings after the port opened (issue 12): every
 * reader, whenever it comes, sees exactly what an eager source shows, in the same order; events and
 * turns wait for it; nothing in clear is kept once it settled.
 */
import { describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/events.js';
import { FilingSource, parseFilings } from '../../src/filings.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { demoJson } from '../fixtures/filings.fixture.js';

const keyOf = (phone: string) => `k${phone.split('').reverse().join('')}`;

/** The demo file's filings, freshly parsed (owned, as core hands them over). */
function fresh() {
  return parseFilings(structuredClone(demoJson()), 'demo', { owned: true });
}

/** Everything a reader can see of a source: its filings in order, and the phone index for every phone. */
function view(source: FilingSource) {
  const all = [...source.all()];
  const phones = all.flatMap((f) => [f.subject.principal.phone, ...f.websites.map((w) => w.principal.phone)]);
  return { all, byPhone: phones.map((p) => source.byPhoneKey(keyOf(p)).map((f) => f.id)), open: [...source.openWindows()].map((f) => f.id) };
}

describe('FilingSource, deferred (issue 12)', () => {
  it('settled in slices, it shows what an eager source shows, and keeps no clear phone', async () => {
    const eager = await FilingSource.open(fresh(), KeyvStateStore.memory(), keyOf, { seal: true, owned: true });
    const deferred = await FilingSource.open(fresh(), KeyvStateStore.memory(), keyOf, { seal: true, owned: true, deferred: true });
    expect(deferred.settled).toBe(false);
    await deferred.settle();
    expect(deferred.settled).toBe(true);
    expect(view(deferred)).toEqual(view(eager));
    expect(JSON.stringify([...deferred.all()])).not.toMatch(/1[3-9]\d{9}/);
  });

  it('a reader that comes before settle() finished gets everything settled at once', async () => {
    const eager = await FilingSource.open(fresh(), KeyvStateStore.memory(), keyOf, { seal: true, owned: true });
    const deferred = await FilingSource.open(fresh(), KeyvStateStore.memory(), keyOf, { seal: true, owned: true, deferred: true });
    const first = eager.all().next().value!;
    expect(deferred.get(first.id)).toEqual(first);
    expect(deferred.settled).toBe(true);
    expect(view(deferred)).toEqual(view(eager));
  });

  it('what events stored before the last stop replaces the file’s record in its place, as an eager source does', async () => {
    const store = KeyvStateStore.memory();
    const first = await FilingSource.open(fresh(), store, keyOf, { seal: true, owned: true });
    const ids = [...first.all()].map((f) => f.id);
    const reported = await first.apply(FilingEventSchema.parse({ eventId: 'e1', type: 'filing.reported', filingId: ids[1], at: '2026-11-29T13:00:00+08:00' }));
    expect(reported.ok).toBe(true);
    const eager = await FilingSource.open(fresh(), store, keyOf, { seal: true, owned: true });
    const deferred = await FilingSource.open(fresh(), store, keyOf, { seal: true, owned: true, deferred: true });
    await deferred.settle();
    expect(view(deferred)).toEqual(view(eager));
    expect(deferred.get(ids[1]!)?.status).toBe('verifying');
  });

  it('an event applied before settle() finished waits for it, then applies to the settled filing', async () => {
    const deferred = await FilingSource.open(fresh(), KeyvStateStore.memory(), keyOf, { seal: true, owned: true, deferred: true });
    const id = demoJson().filings[0]!.id as string;
    const result = await deferred.apply(FilingEventSchema.parse({ eventId: 'e2', type: 'filing.status', filingId: id, status: 'approved', at: '2026-11-29T13:00:00+08:00' }));
    expect(result).toMatchObject({ ok: true, filing: { id, status: 'approved' } });
    expect(deferred.settled).toBe(true);
  });
});

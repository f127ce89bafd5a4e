import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FilingEventSchema } from '../../src/filings/events.js';
import type { Filing } from '../../src/filings/filing.js';
import type { FilingsImport } from '../../src/filings/filings.import.js';
import { RedisFilingSource } from '../../src/filings/filings.redis.js';
import { RedisStateStore } from '../../src/backends/redis/redis.state.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
const stores: RedisStateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const keyOf = (phone: string) => `k${phone.slice(-4)}`;

/** One instance's shared filings on a key root, importing `source`, settled. */
async function instance(root: string, source: FilingsImport, cacheSize?: number): Promise<RedisFilingSource> {
  const store = RedisStateStore.open(redis.url, { keyPrefix: root });
  stores.push(store);
  const filings = await RedisFilingSource.open(source, { connection: store.connection, store, root, keyOf, cacheSize });
  // As the core does: the instance holding the import lease writes the file; the others wait for it.
  await filings.settle();
  return filings;
}

/** A file's worth of filings that counts how often it was parsed. */
function file(hash: string, filings: Filing[]) {
  const parsed = { times: 0 };
  const records = () => {
    parsed.times += 1;
    return filings;
  };
  return { parsed, source: { hash, records } };
}

const ids = async (it: AsyncIterable<Filing>) => {
  const out: string[] = [];
  for await (const f of it) out.push(f.id);
  return out.sort();
};

function reported(filingId: string, at: string) {
  return FilingEventSchema.parse({ eventId: `r-${randomUUID()}`, type: 'filing.reported', at, filingId });
}

describe('Shared filings on Redis (issue 10 item 2)', () => {
  it('FILINGS_FILE is imported once per content hash, by one of the instances starting at once; a new content is imported again', async () => {
    const root = `t-${randomUUID()}`;
    const filings = [makeFiling(), makeFiling({ id: 'VE-TEST-0002', status: 'approved', cycle: undefined })];
    const { parsed, source } = file('hash-1', filings);
    const [a, b, c] = await Promise.all([instance(root, source), instance(root, source), instance(root, source)]);
    expect(parsed.times).toBe(1);
    for (const x of [a, b, c]) expect(await ids(x.all())).toEqual(['VE-TEST-0001', 'VE-TEST-0002']);
    expect(await ids(b.openWindows())).toEqual(['VE-TEST-0001']);
    // R8: Redis holds no full phone number and no principal's name in clear.
    const raw = stores[0]!.connection.client;
    const dump = await Promise.all((await raw.keys(`${root}.filings:*`)).map(async (k) => ((await raw.type(k)) === 'hash' ? JSON.stringify(await raw.hgetall(k)) : k)));
    expect(dump.join('\n')).not.toMatch(/1[3-9]\d{9}|张三|李四/);
    // Exactly one of them indexes the imported open filings for the reminders.
    const indexing = await Promise.all([a, b, c].map(async (x) => (await ids(x.toIndexAtStart())).length));
    expect(indexing.sort()).toEqual([0, 0, 1]);
    await instance(root, source);
    expect(parsed.times).toBe(1);
    const next = file('hash-2', [makeFiling({ status: 'approved', cycle: undefined })]);
    const d = await instance(root, next.source);
    expect(next.parsed.times).toBe(1);
    expect((await d.get('VE-TEST-0001'))?.status).toBe('approved');
  });

  it('an event applied on one instance is seen by a lookup on another within 1 s, by id and by phone; a later import keeps the event’s version', async () => {
    const root = `t-${randomUUID()}`;
    const { source } = file('h', [makeFiling()]);
    const a = await instance(root, source);
    const b = await instance(root, source);
    expect((await b.get('VE-TEST-0001'))?.cycle?.number).toBe(1);
    const changed = await a.apply(reported('VE-TEST-0001', '2026-11-30T09:00:00+08:00'));
    expect(changed.ok).toBe(true);
    const appliedAt = Date.now();
    let seen = await b.get('VE-TEST-0001');
    while (seen?.cycle?.number !== 2 && Date.now() - appliedAt < 5_000) {
      await sleep(50);
      seen = await b.get('VE-TEST-0001');
    }
    expect(seen?.cycle?.number).toBe(2);
    // The cache holds an entry at most 1 s: whatever this machine's speed, the change shows by then.
    expect(Date.now() - appliedAt).toBeLessThan(5_000);
    const moved = makeFiling({ subject: { name: '测试科技有限公司', principal: { name: '王五', phone: '13700137000' } }, cycle: { number: 2, reportedAt: '2026-11-30T09:00:00+08:00', verified: {} } });
    await a.apply(FilingEventSchema.parse({ eventId: 'u-1', type: 'filing.upserted', at: '2026-11-30T10:00:00+08:00', filing: moved }));
    expect((await b.byPhoneKey(keyOf('13700137000'))).map((f) => f.id)).toEqual(['VE-TEST-0001']);
    expect(await b.byPhoneKey(keyOf('13800138000'))).toEqual([]);
    const again = file('h-2', [makeFiling({ status: 'approved', cycle: undefined })]);
    const c = await instance(root, again.source);
    // Sealed as in one process (issue 11): the name is kept masked, the phone as masked form plus key.
    expect((await c.get('VE-TEST-0001'))?.subject.principal).toEqual({ name: '王*', phone: '137****7000#k7000' });
  });

  it('two instances applying events to one filing at once lose none of them', async () => {
    const root = `t-${randomUUID()}`;
    const filing = makeFiling({ websites: [{ name: 'a', domains: ['a.example.cn'], principal: { name: '李四', phone: '13900139000' } }], emergencyPhone: '13700137000' });
    const { source } = file('h', [filing]);
    const [a, b] = await Promise.all([instance(root, source), instance(root, source)]);
    const confirm = (phone: string) => FilingEventSchema.parse({ eventId: `c-${phone}`, type: 'verification.confirmed', at: '2026-11-29T10:00:00+08:00', filingId: 'VE-TEST-0001', phone });
    const results = await Promise.all([a.apply(confirm('13800138000')), b.apply(confirm('13900139000'))]);
    expect(results.every((r) => r.ok)).toBe(true);
    // Read by a third instance (each writer's own cache may hold its own version for up to 1 s).
    const reader = await instance(root, source);
    expect(Object.keys((await reader.get('VE-TEST-0001'))!.cycle!.verified).sort()).toEqual(['138****8000#k8000', '139****9000#k9000']);
  });

  it('an instance’s memory does not grow with the filings: its cache stays within its bound however many it reads', async () => {
    const root = `t-${randomUUID()}`;
    const many = Array.from({ length: 1200 }, (_, i) => makeFiling({ id: `VE-BULK-${String(i).padStart(4, '0')}` }));
    const a = await instance(root, file('bulk', many).source, 100);
    expect(await a.count()).toBe(1200);
    expect((await ids(a.all())).length).toBe(1200);
    expect(a.cached).toBeLessThanOrEqual(100);
    expect((await a.byPhoneKey(keyOf('13800138000'))).length).toBe(1200);
    expect(a.cached).toBeLessThanOrEqual(100);
    expect(await a.countOpen()).toBe(1200);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_FILINGS_FILE } from '../../src/config.js';
import { FILING_STATUSES, FILING_TYPES, type Filing } from '../../src/filings/filing.js';
import { DEMO_ANCHOR, FilingsFileError, parseFilings, readFilingsFile, shiftDemo } from '../../src/filings/filings.file.js';
import { LocalFilingSource } from '../../src/filings/filings.local.js';
import { FilingEventSchema, type FilingEvent } from '../../src/filings/events.js';
import { requiredVerifiers } from '../../src/rules/verifiers.rules.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { instant } from '../../src/time.js';
import { demoJson, makeFiling, rawFiling } from '../fixtures/filings.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-filings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = readFilingsFile(DEMO_FILINGS_FILE);
const byId = (id: string): Filing => demo.find((f) => f.id === id)!;

/** The FilingsFileError parseFilings throws for this JSON. */
function fileError(json: unknown): FilingsFileError {
  try {
    parseFilings(json, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(FilingsFileError);
    return error as FilingsFileError;
  }
  throw new Error('parseFilings accepted the file');
}

/** A source holding `filings` (phones kept plain, as in these tests' expectations), imported and ready. */
async function open(filings: Filing[], opts: { store?: KeyvStateStore; keyOf?: (phone: string) => string; hash?: string } = {}): Promise<LocalFilingSource> {
  const store = opts.store ?? KeyvStateStore.memory();
  const source = await LocalFilingSource.open({ hash: opts.hash ?? 'h', records: () => filings }, { store: store.namespace('filings'), db: store.database, keyOf: opts.keyOf, seal: false });
  await source.settle();
  return source;
}

/** Every filing an async iterable gives. */
async function collect(filings: AsyncIterable<Filing>): Promise<Filing[]> {
  const out: Filing[] = [];
  for await (const f of filings) out.push(f);
  return out;
}

const idsOf = async (filings: Filing[] | AsyncIterable<Filing>) => (Array.isArray(filings) ? filings : await collect(filings)).map((f) => f.id);

/** A validated event, as the webhook would hand it over. */
function event(body: Record<string, unknown>): FilingEvent {
  return FilingEventSchema.parse({ eventId: `e-${Math.random()}`, at: '2026-11-29T13:00:00+08:00', ...body });
}

describe('CONTRACT §1 the shipped demo file', () => {
  it('§1 loads every record', () => {
    expect(demo).toHaveLength(demoJson().filings.length);
    expect(new Set(demo.map((f) => f.id)).size).toBe(demo.length);
  });

  it('§1 contains every filing type', () => {
    expect(new Set(demo.map((f) => f.type))).toEqual(new Set(FILING_TYPES));
  });

  it('§1 contains every status', () => {
    expect(new Set(demo.map((f) => f.status))).toEqual(new Set(FILING_STATUSES));
  });

  it('R1 contains a first filing whose subject and website principal share one phone written differently', () => {
    const f = byId('VE-2026-000101');
    expect(demoJson().filings[0]!.websites[0].principal.phone).toBe('+86 138-0013-8000');
    const shared = requiredVerifiers(f).verifiers.find((v) => v.roles.length > 1);
    expect(shared).toMatchObject({ phone: '13800138000', roles: [{ kind: 'subject' }, { kind: 'website', website: '示例官网' }] });
  });

  it('R1 contains a change filing with both subject and website changed', () => {
    expect(demo.some((f) => f.type === 'change' && f.changes?.includes('subject') && f.changes.includes('website'))).toBe(true);
  });

  it('R1 contains a deregister filing targeting a website, and one targeting the subject', () => {
    expect(demo.some((f) => f.type === 'deregister' && f.target === 'website')).toBe(true);
    expect(demo.some((f) => f.type === 'deregister' && f.target === 'subject')).toBe(true);
  });

  it('R6 contains an access filing for a shell website', () => {
    expect(demo.some((f) => f.type === 'access' && f.shellWebsite === true)).toBe(true);
  });

  it('R6 contains returned filings with a reason', () => {
    const returned = demo.filter((f) => f.status === 'returned');
    expect(returned.length).toBeGreaterThan(0);
    for (const f of returned) expect(f.returnReason).toBeDefined();
  });

  it('R3 contains verifying filings, each with a cycle', () => {
    const verifying = demo.filter((f) => f.status === 'verifying');
    expect(verifying.length).toBeGreaterThan(0);
    for (const f of verifying) expect(f.cycle).toBeDefined();
  });

  it('R7 contains a verifier on a virtual-operator number', () => {
    expect(demo.some((f) => requiredVerifiers(f).verifiers.some((v) => /^(162|165|167|170|171)/.test(v.phone)))).toBe(true);
  });

  it('R1 every phone in the demo is normalized to 11 digits', () => {
    for (const f of demo) {
      for (const p of [f.subject.principal.phone, ...f.websites.map((w) => w.principal.phone), ...(f.emergencyPhone ? [f.emergencyPhone] : [])]) expect(p).toMatch(/^1[3-9]\d{9}$/);
      for (const p of Object.keys(f.cycle?.verified ?? {})) expect(p).toMatch(/^1[3-9]\d{9}$/);
    }
  });
});

describe('CONTRACT §1 a bad filings file is rejected whole, naming record, id and field', () => {
  it('§1 a bad phone in record 3 names "record 3", the id and subject.principal.phone', () => {
    const json = demoJson();
    json.filings[3]!.subject.principal.phone = '010-12345678';
    const error = fileError(json);
    expect(error.message).toContain('record 3');
    expect(error.message).toContain('VE-2026-000104');
    expect(error.message).toContain('subject.principal.phone');
    expect(error.message).toContain('test.json');
    expect(error.problems).toEqual([expect.objectContaining({ index: 3, id: 'VE-2026-000104', field: 'subject.principal.phone' })]);
  });

  it('§1 a bad website principal phone names the array index in the field path', () => {
    const json = demoJson();
    json.filings[0]!.websites[1].principal.phone = '+1 415 555 0100';
    expect(fileError(json).problems).toEqual([expect.objectContaining({ index: 0, field: 'websites.1.principal.phone' })]);
  });

  it('§1 several problems in several records are each listed', () => {
    const json = demoJson();
    json.filings[1]!.type = 'transfer';
    json.filings[5]!.emergencyPhone = 'abc';
    json.filings[7]!.id = 'x';
    const error = fileError(json);
    expect(error.problems.map((p) => [p.index, p.field])).toEqual([
      [1, 'type'],
      [5, 'emergencyPhone'],
      [7, 'id'],
    ]);
    // One line per problem, each naming the file and its record.
    const where = error.message.split('\n').map((line) => line.replace(/ \(id [^)]*\)/, '').replace(/: .*/, ''));
    expect(where).toEqual(['test.json, record 1, field type', 'test.json, record 5, field emergencyPhone', 'test.json, record 7, field id']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a change filing without changes', { type: 'change' }, 'changes'],
    ['a deregister filing without target', { type: 'deregister' }, 'target'],
    ['a verifying filing without cycle', { cycle: undefined }, 'cycle'],
    ['a returnReason on a filing that is not returned', { returnReason: 'sms_timeout' }, 'returnReason'],
    ['a new_website filing with no website', { type: 'new_website', websites: [] }, 'websites'],
    ['an id with a space', { id: 'VE 1' }, 'id'],
    ['an unknown status', { status: 'pending' }, 'status'],
    ['a reportedAt without offset', { cycle: { number: 1, reportedAt: '2026-11-29 09:00', verified: {} } }, 'cycle.reportedAt'],
    ['a cycle number 0', { cycle: { number: 0, reportedAt: '2026-11-29T09:00:00+08:00', verified: {} } }, 'cycle.number'],
    ['a verified key that is not a phone', { cycle: { number: 1, reportedAt: '2026-11-29T09:00:00+08:00', verified: { abc: '2026-11-29T09:10:00+08:00' } } }, 'cycle.verified'],
  ])('§1 rejects %s, naming field %s', (_name, overrides, field) => {
    const error = fileError({ filings: [rawFiling(), rawFiling({ id: 'VE-TEST-0002', ...overrides })] });
    expect(error.problems.map((p) => [p.index, p.field])).toEqual([[1, field]]);
  });

  it('§1 duplicate ids are rejected, naming both records', () => {
    const json = demoJson();
    json.filings[4]!.id = json.filings[2]!.id;
    const error = fileError(json);
    expect(error.problems).toEqual([expect.objectContaining({ index: 4, id: 'VE-2026-000103', field: 'id', message: 'duplicates record 2' })]);
  });

  it.each([
    ['an array', []],
    ['no filings key', { records: [] }],
    ['filings not an array', { filings: {} }],
    ['null', null],
  ])('§1 rejects a file that is %s', (_name, json) => {
    expect(fileError(json).problems).toEqual([expect.objectContaining({ index: -1, field: 'filings' })]);
  });

  it('§1 an empty list loads as no filings', () => {
    expect(parseFilings({ filings: [] })).toEqual([]);
  });

  it('§1 readFilingsFile rejects a file that is not JSON, naming the file', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "filings": [');
    expect(() => readFilingsFile(file)).toThrow(FilingsFileError);
    expect(() => readFilingsFile(file)).toThrow(file);
  });

  it('§1 readFilingsFile rejects a missing file', () => {
    expect(() => readFilingsFile(join(dir, 'missing.json'))).toThrow(FilingsFileError);
  });

  it('§1 readFilingsFile throws for a file with a bad record: nothing is returned', () => {
    const json = demoJson();
    json.filings[3]!.subject.principal.phone = '12345678901';
    const file = join(dir, 'bad-record.json');
    writeFileSync(file, JSON.stringify(json));
    expect(() => readFilingsFile(file)).toThrow(/record 3 \(id VE-2026-000104\), field subject\.principal\.phone/);
  });
});

describe('R3 shiftDemo keeps the demo’s relative ages', () => {
  const now = instant('2031-05-01T00:00:00Z');
  const shifted = shiftDemo(demo, now);

  it('R3 a reportedAt 3 h before DEMO_ANCHOR is 3 h before now', () => {
    const original = byId('VE-2026-000101');
    expect(instant(DEMO_ANCHOR).valueOf() - instant(original.cycle!.reportedAt).valueOf()).toBe(3 * 3_600_000);
    const moved = shifted.find((f) => f.id === 'VE-2026-000101')!;
    expect(now.valueOf() - instant(moved.cycle!.reportedAt).valueOf()).toBe(3 * 3_600_000);
  });

  it('R3 verified times move with their cycle', () => {
    const moved = shifted.find((f) => f.id === 'VE-2026-000104')!;
    const original = byId('VE-2026-000104');
    const delta = now.valueOf() - instant(DEMO_ANCHOR).valueOf();
    expect(instant(moved.cycle!.verified['15800158000']!).valueOf()).toBe(instant(original.cycle!.verified['15800158000']!).valueOf() + delta);
  });

  it('R3 every cycle moves by the same amount; filings without a cycle are unchanged; the input is not changed', () => {
    const delta = now.valueOf() - instant(DEMO_ANCHOR).valueOf();
    shifted.forEach((f, i) => {
      const original = demo[i]!;
      expect(f.id).toBe(original.id);
      if (!original.cycle) expect(f).toBe(original);
      else expect(instant(f.cycle!.reportedAt).valueOf() - instant(original.cycle.reportedAt).valueOf()).toBe(delta);
    });
    expect(byId('VE-2026-000101').cycle!.reportedAt).toBe('2026-11-29T09:00:00+08:00');
  });

  it('R3 shifting to DEMO_ANCHOR itself changes no instant', () => {
    const same = shiftDemo(demo, instant(DEMO_ANCHOR));
    same.forEach((f, i) => {
      if (f.cycle) expect(instant(f.cycle.reportedAt).valueOf()).toBe(instant(demo[i]!.cycle!.reportedAt).valueOf());
    });
  });
});

describe('FilingSource lookups', () => {
  let source: LocalFilingSource;
  beforeEach(async () => {
    source = await open(demo);
  });

  it('R8 get finds a filing by id, and nothing for an unknown id', async () => {
    expect((await source.get('VE-2026-000101'))?.type).toBe('first_filing');
    expect(await source.get('VE-NOPE')).toBeUndefined();
    expect(await source.count()).toBe(demo.length);
  });

  it.each<[string, string, string[]]>([
    ['a principal on several filings, and the emergency contact of another', '13800138000', ['VE-2026-000101', 'VE-2026-000102', 'VE-2026-000104', 'VE-2026-000108', 'VE-2026-000112']],
    ['an emergency contact only', '13700137000', ['VE-2026-000101']],
    ['a website principal', '13900139000', ['VE-2026-000101', 'VE-2026-000112']],
    ['a number in no filing', '19900199000', []],
  ])('R8 byPhoneKey: %s', async (_name, phone, ids) => {
    expect((await idsOf(await source.byPhoneKey(phone))).sort()).toEqual(ids);
  });

  it('R5 openWindows lists exactly the verifying filings', async () => {
    expect((await idsOf(source.openWindows())).sort()).toEqual(
      demo
        .filter((f) => f.status === 'verifying')
        .map((f) => f.id)
        .sort(),
    );
    expect(await source.countOpen()).toBe(demo.filter((f) => f.status === 'verifying').length);
  });

  it('all() gives every filing in the file’s order, across more than one page', async () => {
    const many = Array.from({ length: 1203 }, (_, i) => makeFiling({ id: `VE-PAGE-${String(1203 - i).padStart(4, '0')}`, status: i % 2 ? 'verifying' : 'draft', ...(i % 2 ? {} : { cycle: undefined }) }));
    const big = await open(many);
    expect(await idsOf(big.all())).toEqual(many.map((f) => f.id));
    expect((await idsOf(big.openWindows())).length).toBe(601);
  });
});

describe('R8 FilingSource indexes phones by key', () => {
  const keyOf = (phone: string) => `k:${[...phone].reverse().join('')}`;

  it('R8 with a keyer, byPhoneKey takes the key; the full phone is not a key', async () => {
    const source = await open(demo, { keyOf });
    expect(await idsOf(await source.byPhoneKey(keyOf('13700137000')))).toEqual(['VE-2026-000101']);
    expect(await source.byPhoneKey('13700137000')).toEqual([]);
  });

  it('R8 with a keyer, an upsert that changes a phone re-indexes under the new key', async () => {
    const source = await open(demo, { keyOf });
    await source.apply(event({ type: 'filing.upserted', filing: { ...demoJson().filings[0]!, emergencyPhone: '13600000000' } }));
    expect(await source.byPhoneKey(keyOf('13700137000'))).toEqual([]);
    expect(await idsOf(await source.byPhoneKey(keyOf('13600000000')))).toEqual(['VE-2026-000101']);
  });

  it('R8 without a keyer the key is the normalized phone', async () => {
    expect(await idsOf(await (await open(demo)).byPhoneKey('13700137000'))).toEqual(['VE-2026-000101']);
  });

  it('R8 sealed (as the app keeps them): no phone in clear, names masked, found by the phone’s key', async () => {
    const store = KeyvStateStore.memory();
    const source = await LocalFilingSource.open({ hash: 'h', records: () => demo }, { store, db: store.database, keyOf });
    const all = await collect(source.all());
    expect(JSON.stringify(all)).not.toMatch(/1[3-9]\d{9}/);
    expect((await source.get('VE-2026-000101'))?.subject.principal).toEqual({ name: '张*', phone: `138****8000#${keyOf('13800138000')}` });
    expect(await idsOf(await source.byPhoneKey(keyOf('13700137000')))).toEqual(['VE-2026-000101']);
  });
});

describe('CONTRACT §2 FilingSource.apply', () => {
  let source: LocalFilingSource;
  beforeEach(async () => {
    source = await open(demo);
  });

  it('§2 filing.reported starts a new cycle: number + 1, reportedAt = at, nobody verified, status verifying, no return reason', async () => {
    const result = await source.apply(event({ type: 'filing.reported', filingId: 'VE-2026-000112', at: '2026-11-30T10:00:00+08:00' }));
    expect(result.ok).toBe(true);
    const f = (await source.get('VE-2026-000112'))!;
    expect(f.status).toBe('verifying');
    expect(f.cycle).toEqual({ number: 2, reportedAt: '2026-11-30T10:00:00+08:00', verified: {} });
    expect(f).not.toHaveProperty('returnReason');
    expect(result.ok && result.previous?.status).toBe('returned');
  });

  it('§2 filing.reported for a filing with no cycle starts cycle 1', async () => {
    await source.apply(event({ type: 'filing.reported', filingId: 'VE-2026-000109' }));
    expect((await source.get('VE-2026-000109'))!.cycle).toEqual({ number: 1, reportedAt: '2026-11-29T13:00:00+08:00', verified: {} });
    expect(await idsOf(source.openWindows())).toContain('VE-2026-000109');
  });

  it('§2 verification.confirmed marks that verifier verified at the event time, phone normalized', async () => {
    const result = await source.apply(event({ type: 'verification.confirmed', filingId: 'VE-2026-000101', phone: '+86 139 0013 9000' }));
    expect(result.ok).toBe(true);
    expect((await source.get('VE-2026-000101'))!.cycle!.verified).toEqual({ '13900139000': '2026-11-29T13:00:00+08:00' });
  });

  it.each<[string, Record<string, unknown>, object]>([
    ['verification.confirmed for the emergency phone → not_a_verifier', { type: 'verification.confirmed', filingId: 'VE-2026-000101', phone: '13700137000' }, { ok: false, error: 'not_a_verifier', field: 'phone' }],
    [
      'verification.confirmed for the subject principal of a new_website filing → not_a_verifier',
      { type: 'verification.confirmed', filingId: 'VE-2026-000102', phone: '13800138000' },
      { ok: false, error: 'not_a_verifier', field: 'phone' },
    ],
    ['verification.confirmed for a filing with no cycle (a draft) → no_cycle', { type: 'verification.confirmed', filingId: 'VE-2026-000108', phone: '13800138000' }, { ok: false, error: 'no_cycle', field: 'filingId' }],
    ['verification.confirmed for an unknown filing → unknown_filing', { type: 'verification.confirmed', filingId: 'VE-NOPE', phone: '13800138000' }, { ok: false, error: 'unknown_filing', field: 'filingId' }],
    ['filing.reported for an unknown filing → unknown_filing', { type: 'filing.reported', filingId: 'VE-NOPE' }, { ok: false, error: 'unknown_filing', field: 'filingId' }],
    ['filing.returned for an unknown filing → unknown_filing', { type: 'filing.returned', filingId: 'VE-NOPE', reason: 'sms_timeout' }, { ok: false, error: 'unknown_filing', field: 'filingId' }],
    ['filing.status for an unknown filing → unknown_filing', { type: 'filing.status', filingId: 'VE-NOPE', status: 'approved' }, { ok: false, error: 'unknown_filing', field: 'filingId' }],
  ])('§2 %s, and nothing changes', async (_name, body, expected) => {
    const before = await collect(source.all());
    expect(await source.apply(event(body))).toEqual(expected);
    expect(await collect(source.all())).toEqual(before);
  });

  it('§2 filing.returned sets status returned and the reason', async () => {
    await source.apply(event({ type: 'filing.returned', filingId: 'VE-2026-000101', reason: 'sms_timeout' }));
    expect(await source.get('VE-2026-000101')).toMatchObject({ status: 'returned', returnReason: 'sms_timeout' });
    expect(await idsOf(source.openWindows())).not.toContain('VE-2026-000101');
  });

  it('§2 filing.status changes the status and drops a stale return reason', async () => {
    await source.apply(event({ type: 'filing.status', filingId: 'VE-2026-000112', status: 'approved' }));
    const f = (await source.get('VE-2026-000112'))!;
    expect(f.status).toBe('approved');
    expect(f).not.toHaveProperty('returnReason');
  });

  it('§2 filing.status returned keeps the return reason', async () => {
    await source.apply(event({ type: 'filing.status', filingId: 'VE-2026-000112', status: 'returned' }));
    expect(await source.get('VE-2026-000112')).toMatchObject({ status: 'returned', returnReason: 'sms_timeout' });
  });

  it('§2 filing.upserted creates a filing and indexes its phones', async () => {
    const result = await source.apply(event({ type: 'filing.upserted', filing: rawFiling({ id: 'VE-NEW-0001', emergencyPhone: '+86 188 0000 0000' }) }));
    expect(result.ok && result.previous).toBeUndefined();
    expect((await source.get('VE-NEW-0001'))?.subject.principal.phone).toBe('13800138000');
    expect(await idsOf(await source.byPhoneKey('18800000000'))).toEqual(['VE-NEW-0001']);
    expect(await source.count()).toBe(demo.length + 1);
  });

  it('§2 filing.upserted replaces a filing and re-indexes: the old phone no longer finds it', async () => {
    const replacement = { ...demoJson().filings[0]!, emergencyPhone: '13600000000' };
    const result = await source.apply(event({ type: 'filing.upserted', filing: replacement }));
    expect(result.ok && result.previous?.emergencyPhone).toBe('13700137000');
    expect(await source.byPhoneKey('13700137000')).toEqual([]);
    expect(await idsOf(await source.byPhoneKey('13600000000'))).toEqual(['VE-2026-000101']);
  });

  it('§2 listeners hear every applied change with the previous filing and the event', async () => {
    const heard: Array<[string, string | undefined, string]> = [];
    source.onChange((f, prev, e) => heard.push([f.status, prev?.status, e.type]));
    await source.apply(event({ type: 'filing.returned', filingId: 'VE-2026-000101', reason: 'sms_failed' }));
    await source.apply(event({ type: 'filing.reported', filingId: 'VE-NOPE' }));
    expect(heard).toEqual([['returned', 'verifying', 'filing.returned']]);
  });

  it('§2 a filing that closes gets its closing time, and loses it when it opens again', async () => {
    await source.apply(event({ type: 'filing.status', filingId: 'VE-2026-000101', status: 'approved', at: '2026-11-29T14:00:00+08:00' }));
    expect(await source.closedAt('VE-2026-000101')).toBe('2026-11-29T14:00:00+08:00');
    await source.apply(event({ type: 'filing.reported', filingId: 'VE-2026-000101' }));
    expect(await source.closedAt('VE-2026-000101')).toBeUndefined();
  });
});

describe('CONTRACT §2 applied changes survive a restart', () => {
  it('§2 events applied before close are there after a restart on the same sqlite file, which reads no record of the file', async () => {
    const file = join(dir, 'restart.sqlite');
    const first = KeyvStateStore.sqlite(file);
    const before = await open(demo, { store: first });
    await before.apply(event({ type: 'filing.reported', filingId: 'VE-2026-000112', at: '2026-11-30T10:00:00+08:00' }));
    await before.apply(event({ type: 'verification.confirmed', filingId: 'VE-2026-000112', phone: '13900139000', at: '2026-11-30T10:05:00+08:00' }));
    await before.apply(event({ type: 'filing.upserted', filing: rawFiling({ id: 'VE-NEW-0002', emergencyPhone: '18800000000' }) }));
    await before.close();
    await first.close();

    const second = KeyvStateStore.sqlite(file);
    let read = 0;
    const after = await LocalFilingSource.open(
      {
        hash: 'h',
        records: () => {
          read += 1;
          return demo;
        },
      },
      { store: second.namespace('filings'), db: second.database, seal: false },
    );
    expect(read).toBe(0);
    expect(await after.get('VE-2026-000112')).toMatchObject({
      status: 'verifying',
      cycle: { number: 2, reportedAt: '2026-11-30T10:00:00+08:00', verified: { '13900139000': '2026-11-30T10:05:00+08:00' } },
    });
    expect(await after.get('VE-2026-000112')).not.toHaveProperty('returnReason');
    expect(await after.get('VE-NEW-0002')).toBeDefined();
    expect(await idsOf(await after.byPhoneKey('18800000000'))).toEqual(['VE-NEW-0002']);
    expect(await after.get('VE-2026-000101')).toEqual(byId('VE-2026-000101'));
    expect(await after.count()).toBe(demo.length + 1);
    await after.close();
    await second.close();
  });
});

describe('CONTRACT §2 a repeated report', () => {
  it('§2 filing.reported with the current cycle’s reportedAt again does not start another cycle', async () => {
    const source = await open(readFilingsFile(DEMO_FILINGS_FILE));
    const at = '2026-11-29T13:00:00+08:00';
    const first = await source.apply({ type: 'filing.reported', eventId: 'r1', at, filingId: 'VE-2026-000101' });
    const again = await source.apply({ type: 'filing.reported', eventId: 'r2', at: '2026-11-29T05:00:00Z', filingId: 'VE-2026-000101' });
    expect(first.ok && first.filing.cycle?.number).toBe(2);
    expect(again.ok && again.filing.cycle?.number).toBe(2);
  });
});

describe('CONTRACT §2 concurrent events', () => {
  it.each([false, true])('§2 two events for one filing applied at once both take effect (on a sqlite file: %s)', async (onFile) => {
    const store = onFile ? KeyvStateStore.sqlite(join(dir, `concurrent-${Math.random()}.sqlite`)) : KeyvStateStore.memory();
    const source = await open(readFilingsFile(DEMO_FILINGS_FILE), { store });
    const at = '2026-11-29T10:00:00+08:00';
    const results = await Promise.all([
      source.apply({ type: 'verification.confirmed', eventId: 'a', at, filingId: 'VE-2026-000101', phone: '13800138000' }),
      source.apply({ type: 'verification.confirmed', eventId: 'b', at, filingId: 'VE-2026-000101', phone: '13900139000' }),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(Object.keys((await source.get('VE-2026-000101'))!.cycle!.verified).sort()).toEqual(['13800138000', '13900139000']);
    await source.close();
    await store.close();
  });
});

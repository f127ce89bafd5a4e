/**
 * The fast path of parseFilings against FilingSchema, property style: over thousands of generated
 * records, valid and broken in every field, the fast path either declines or gives exactly zod's
 * output, and parseFilings reports exactly the problems the zod-only loop reported.
 */
import { describe, expect, it } from 'vitest';
import { FilingSchema, FILING_STATUSES, FILING_TYPES } from '../../src/filing.js';
import { fastFiling } from '../../src/filing.fastparse.js';
import { FilingsFileError, parseFilings, type FilingProblem } from '../../src/filings.js';
import { seededRandom } from '../support/random.js';

type Raw = Record<string, unknown>;

function generator(seed: number) {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
  const phone = () => `1${pick(['3', '5', '7', '8', '9'])}${digits(9)}`;
  const writing = (p: string) =>
    pick([
      p,
      p,
      `+86 ${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`,
      `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`,
      `0086${p}`,
      `86${p}`,
      ` ${p} `,
      `(${p.slice(0, 3)}) ${p.slice(3)}`,
      `${p.slice(0, 3)}.${p.slice(3, 7)}.${p.slice(7)}`,
    ]);
  const name = () => pick(['张三', '李四', ' 王五 ', '欧阳晓明', 'Zhang San', '赵\t', 'x'.repeat(100), ` ${'y'.repeat(100)} `]);
  const iso = () => pick(['2026-11-29T09:00:00+08:00', '2026-11-29T01:00:00Z', '2026-11-29T09:00+08:00', '2026-11-29T09:00:00.123+0800', '2026-02-28T23:59:59-05:00']);
  const person = () => ({ name: name(), phone: writing(phone()) });

  /** A record FilingSchema accepts, in the shapes files use. */
  const valid = (i: number): Raw => {
    const type = pick(FILING_TYPES);
    const status = pick(FILING_STATUSES);
    const subject = person();
    const siteCount = type === 'new_website' || type === 'access' || type === 'change' || type === 'deregister' ? 1 + Math.floor(rnd() * 3) : Math.floor(rnd() * 4);
    const websites = Array.from({ length: siteCount }, (_, w) => {
      const site: Raw = { name: chance(0.1) ? ` 站点${w} ` : `站点${w}`, principal: chance(0.3) ? { ...subject } : person() };
      if (!chance(0.2)) site.domains = chance(0.2) ? [] : [`s${i}w${w}.example.cn`, ...(chance(0.3) ? ['d'.repeat(253)] : [])];
      return site;
    });
    const record: Raw = { id: `VE-${i}-${digits(4)}`, type, subject: { name: chance(0.1) ? 'c'.repeat(200) : `公司${i}`, principal: subject }, status };
    if (websites.length > 0 || chance(0.5)) record.websites = websites;
    if (chance(0.4)) record.emergencyPhone = writing(phone());
    if (type === 'change') record.changes = pick([['subject'], ['website'], ['subject', 'website'], ['website', 'website']]);
    if (type === 'deregister') record.target = 'website';
    if (type === 'access') {
      if (chance(0.5)) record.currentAccessProvider = pick(['某云', '', 'p'.repeat(200)]);
      if (chance(0.5)) record.shellWebsite = chance(0.5);
    }
    if (status === 'verifying' || chance(0.5)) {
      const cycle: Raw = { number: 1 + Math.floor(rnd() * 5), reportedAt: iso() };
      if (chance(0.8)) {
        const verified: Raw = {};
        const p = subject.phone.replace(/\D/g, '').slice(-11);
        if (chance(0.5)) verified[writing(p)] = iso();
        // Two writings of one phone: zod's transform keeps the last.
        if (chance(0.2)) verified[writing(p)] = iso();
        if (chance(0.3)) verified[phone()] = iso();
        cycle.verified = verified;
      }
      record.cycle = cycle;
    }
    if (status === 'returned' && chance(0.7)) record.returnReason = pick(['sms_timeout', 'sms_failed', 'other']);
    return record;
  };

  const BAD_VALUES: unknown[] = [
    undefined,
    null,
    0,
    1.5,
    -1,
    2 ** 60,
    Number.NaN,
    '',
    '   ',
    'x'.repeat(101),
    ` ${'x'.repeat(101)} `,
    'x'.repeat(201),
    'x'.repeat(254),
    true,
    [],
    {},
    [undefined],
    'abc',
    '+1 555 0100',
    '12345678901',
    '2026-13-45T99:99:99+08:00',
    '2026-11-29',
    'subject',
    'verifying',
    new Date(0),
    Object.create(null),
  ];

  /** Every path (as keys) of plain objects and arrays inside a record. */
  const paths = (value: unknown, at: Array<string | number> = []): Array<Array<string | number>> => {
    if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
    if (value && typeof value === 'object') return [at, ...Object.keys(value).flatMap((k) => paths((value as Raw)[k], [...at, k]))];
    return [at];
  };

  /** A valid record broken in one random place: a bad value, an extra key, a removed key, a hole. */
  const broken = (i: number): Raw => {
    const record = valid(i);
    const all = paths(record).filter((p) => p.length > 0);
    const path = pick(all);
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], record);
    const key = path[path.length - 1]!;
    const how = rnd();
    if (how < 0.6) parent[key] = pick(BAD_VALUES);
    else if (how < 0.75) delete parent[key];
    else if (how < 0.85 && !Array.isArray(parent)) parent[pick(['extra', 'Name', 'phones', 'status2'])] = 'x';
    else if (Array.isArray(parent))
      parent.length += 1; // a hole at the end
    else record[pick(['changes', 'target', 'returnReason', 'cycle', 'websites'])] = pick([undefined, ['subject'], 'subject', 'sms_timeout', [], { number: 1, reportedAt: '2026-11-29T09:00:00+08:00' }]);
    return record;
  };
  return { valid, broken };
}

/** parseFilings as it was before the fast path: zod for every record. */
function zodOnlyProblems(records: unknown[]): FilingProblem[] {
  const problems: FilingProblem[] = [];
  const seen = new Map<string, number>();
  records.forEach((raw, index) => {
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    const parsed = FilingSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ index, id, field: issue.path.join('.') || '(record)', message: issue.message });
      return;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) problems.push({ index, id, field: 'id', message: `duplicates record ${earlier}` });
    seen.set(parsed.data.id, index);
  });
  return problems;
}

describe('CONTRACT §1 the fast path of parseFilings gives exactly what FilingSchema gives', () => {
  it('every generated valid record takes the fast path, copied or in place, with zod’s output', () => {
    const gen = generator(1);
    for (let i = 0; i < 3000; i++) {
      const record = gen.valid(i);
      const before = structuredClone(record);
      const expected = FilingSchema.safeParse(record);
      expect(expected.success, JSON.stringify(record)).toBe(true);
      const copied = fastFiling(record);
      expect(copied, JSON.stringify(record)).toStrictEqual(expected.data);
      expect(record).toStrictEqual(before); // the copying path leaves its input alone
      expect(fastFiling(structuredClone(record), true)).toStrictEqual(expected.data);
    }
  });

  it('a record broken anywhere: the fast path declines whatever zod rejects, and agrees with zod on the rest', () => {
    const gen = generator(2);
    let rejected = 0;
    for (let i = 0; i < 6000; i++) {
      const record = gen.broken(i);
      const expected = FilingSchema.safeParse(record);
      const fast = fastFiling(record);
      if (!expected.success) {
        rejected += 1;
        expect(fast, JSON.stringify(record)).toBeUndefined();
      } else if (fast !== undefined) expect(fast).toStrictEqual(expected.data);
    }
    // The generator must really break records, or this test proves nothing.
    expect(rejected).toBeGreaterThan(3000);
  });

  it('parseFilings reports exactly the problems the zod-only loop reported, in the same order', () => {
    const gen = generator(3);
    for (let batch = 0; batch < 40; batch++) {
      const records: unknown[] = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? gen.broken(batch * 50 + i) : gen.valid(batch * 50 + i)));
      // A duplicate id among them, one valid and one maybe not.
      records.push({ ...(records[1] as Raw) });
      const expected = zodOnlyProblems(records);
      let problems: FilingProblem[] = [];
      try {
        parseFilings({ filings: records }, 'gen.json');
      } catch (error) {
        expect(error).toBeInstanceOf(FilingsFileError);
        problems = (error as FilingsFileError).problems;
      }
      expect(problems).toStrictEqual(expected);
      expect(problems.length).toBeGreaterThan(0);
    }
  });

  it('parseFilings in place (a file it owns) returns what the copying parse returns', () => {
    const gen = generator(4);
    const records = Array.from({ length: 500 }, (_, i) => gen.valid(i));
    const copied = parseFilings({ filings: records });
    expect(parseFilings({ filings: structuredClone(records) }, 'f', { owned: true })).toStrictEqual(copied);
    expect(copied).toStrictEqual(records.map((r) => FilingSchema.parse(r)));
  });
});

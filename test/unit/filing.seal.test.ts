/**
 * The in-place sealer against sealFiling (R8, issue 11 and 12), property style: over generated
 * filings (names inside the subject's and websites' names, invisible characters, one person in
 * several roles, verified phones, filings sealed already), both give deep-equal filings.
 */
import { describe, expect, it } from 'vitest';
import { FilingSchema, type Filing } from '../../src/filing.js';
import { sealFilingInPlace } from '../../src/filing.seal.js';
import { sealFiling } from '../../src/rules/privacy.rules.js';
import { seededRandom } from '../support/random.js';

function filings(seed: number, count: number): Filing[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const phone = () => `1${pick(['3', '5', '8'])}${String(Math.floor(rnd() * 1e9)).padStart(9, '0')}`;
  const names = ['张三', '张三丰', '李四', '欧阳晓明', '王', '𠀋𠀋', '𠀋', 'Zhang San', '赵\u200b六', '陈\u202e七'];
  const person = () => ({ name: pick(names), phone: phone() });
  const out: Filing[] = [];
  for (let i = 0; i < count; i++) {
    const subject = person();
    const websites = Array.from({ length: Math.floor(rnd() * 4) }, (_, w) => {
      const principal = rnd() < 0.4 ? { ...subject } : person();
      return { name: rnd() < 0.5 ? `${principal.name}的站点${w}` : `站点\u2066${w}`, domains: [`s${i}w${w}.example.cn`, ...(rnd() < 0.3 ? ['we\u200bird.cn'] : [])], principal };
    });
    const record: Record<string, unknown> = { id: `VE-${i}-seal`, type: 'first_filing', subject: { name: rnd() < 0.5 ? `${subject.name}个人` : `公司${i}${pick(names)}`, principal: subject }, websites, status: 'draft' };
    if (rnd() < 0.5) record.emergencyPhone = rnd() < 0.3 ? subject.phone : phone();
    if (rnd() < 0.6) {
      const verified: Record<string, string> = {};
      if (rnd() < 0.7) verified[subject.phone] = '2026-11-29T09:00:00+08:00';
      if (rnd() < 0.3) verified[phone()] = '2026-11-29T10:00:00+08:00';
      record.status = 'verifying';
      record.cycle = { number: 1, reportedAt: '2026-11-29T08:00:00+08:00', verified };
    }
    out.push(FilingSchema.parse(record));
  }
  return out;
}

const keyOf = (phone: string) => `k${[...phone].reverse().join('')}`;

describe('sealFilingInPlace', () => {
  it('gives exactly what sealFiling gives, over 2,000 generated filings', () => {
    for (const filing of filings(7, 2000)) {
      const expected = sealFiling(filing, keyOf);
      const copy = structuredClone(filing);
      expect(sealFilingInPlace(copy, keyOf)).toStrictEqual(expected);
    }
  });

  it('changes nothing in a filing sealed already (idempotent, like sealFiling)', () => {
    for (const filing of filings(8, 500)) {
      const once = sealFiling(filing, keyOf);
      expect(sealFilingInPlace(structuredClone(once), keyOf)).toStrictEqual(once);
    }
  });

  it('derives each distinct phone once per filing', () => {
    const phone = '13800138000';
    const filing = FilingSchema.parse({
      id: 'VE-once',
      type: 'first_filing',
      subject: { name: '公司', principal: { name: '张三', phone } },
      websites: [{ name: '站', domains: ['a.cn'], principal: { name: '张三', phone } }],
      emergencyPhone: phone,
      status: 'verifying',
      cycle: { number: 1, reportedAt: '2026-11-29T08:00:00+08:00', verified: { [phone]: '2026-11-29T09:00:00+08:00' } },
    });
    const calls: string[] = [];
    const sealed = sealFilingInPlace(filing, (p) => {
      calls.push(p);
      return 'KEY';
    });
    expect(calls).toEqual([phone]);
    expect(sealed.emergencyPhone).toBe('138****8000#KEY');
    expect(JSON.stringify(sealed)).not.toContain(phone);
  });
});

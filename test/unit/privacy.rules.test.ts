/** RULES R8 as tables: the code guard and masking people in a filing's free text. */
import { describe, expect, it } from 'vitest';
import { looksSensitive, sealFiling, withoutPeople } from '../../src/rules/privacy.rules.js';
import { maskPhone, sealedKey, sealPhone } from '../../src/rules/phone.rules.js';
import { isVirtualOperator } from '../../src/rules/warnings.rules.js';
import { phonesOf } from '../../src/rules/verifiers.rules.js';
import { hasRecovery } from '../../src/rules/recovery.rules.js';
import { FILING_TYPES } from '../../src/filings/filing.js';
import { makeFiling } from '../fixtures/filings.fixture.js';

describe('R8 code guard: looksSensitive', () => {
  it.each<[string, boolean]>([
    ['123456', true],
    ['  654321  ', true],
    ['my code is 123456', true],
    ['验证码 123456', true],
    ['11010519491231002X', true],
    ['110105194912310021', true],
    ['110105491231002', true],
    ['31002X', true],
    ['31002x', true],
    ['/lookup VE-2026-000101', false],
    ['VE-2026-000101', false],
    ['13800138000', false],
    ['/link 13800138000', false],
    ['12345', false],
    ['1234567', false],
    ['hello', false],
    // Deliberately changed (issue 11): a code inside a long message is caught too.
    ['the code 123456 arrived, but this sentence is longer than forty characters', true],
    ['１２３４５６', true],
    ['12 34 56', true],
  ])('%j → %s', (text, sensitive) => {
    expect(looksSensitive(text)).toBe(sensitive);
  });
});

describe('R8 withoutPeople: a principal named in free text is masked', () => {
  const filing = makeFiling({
    subject: { name: '张三的个人网站', principal: { name: '张三', phone: '13800138000' } },
    websites: [{ name: '李四博客', domains: [], principal: { name: '李四', phone: '13900139000' } }],
  });
  it.each<[string, string]>([
    ['张三的个人网站', '张*的个人网站'],
    ['李四博客', '李*博客'],
    ['张三和李四', '张*和李*'],
    ['测试科技有限公司', '测试科技有限公司'],
    ['', ''],
  ])('%j → %j', (text, shown) => {
    expect(withoutPeople(text, filing)).toBe(shown);
  });

  it('leaves a one-character name alone (it would mask unrelated text)', () => {
    const single = makeFiling({ subject: { name: '王的店', principal: { name: '王', phone: '13800138000' } } });
    expect(withoutPeople('王的店', single)).toBe('王的店');
  });
});

describe('R6 hasRecovery', () => {
  it.each(FILING_TYPES.map((type) => [type, type !== 'cancel_access'] as const))('%s → %s', (type, expected) => {
    expect(hasRecovery(type)).toBe(expected);
  });
});

describe('R8 sealFiling: a filing as kept at rest', () => {
  const keyOf = (phone: string) => `K${[...phone].reverse().join('')}`.replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!);
  const filing = makeFiling({
    subject: { name: '张三的个人网站', principal: { name: '张三', phone: '13800138000' } },
    websites: [{ name: '李四博客\u202E', domains: ['a\u200Bb.cn'], principal: { name: '李四', phone: '17012345678' } }],
    emergencyPhone: '13700137000',
    cycle: { number: 1, reportedAt: '2026-11-29T09:00:00+08:00', verified: { '13800138000': '2026-11-29T10:00:00+08:00' } },
  });
  const sealed = sealFiling(filing, keyOf);

  it('holds no full phone and no full name; names inside free text are masked; nothing invisible', () => {
    const text = JSON.stringify(sealed);
    expect(text).not.toMatch(/\d{11}/);
    expect(text).not.toMatch(/张三|李四|\u202E|\u200B/);
    expect(sealed.subject.name).toBe('张*的个人网站');
    expect(sealed.websites[0]!.name).toBe('李*博客');
    expect(sealed.websites[0]!.domains).toEqual(['ab.cn']);
  });

  it('keeps what the app needs: masked form, key, R1 equality, R7 prefix, verified by sealed phone', () => {
    const phone = sealed.subject.principal.phone;
    expect(phone).toBe(sealPhone('13800138000', keyOf));
    expect(maskPhone(phone)).toBe('138****8000');
    expect(sealedKey(phone)).toBe(keyOf('13800138000'));
    expect(isVirtualOperator(sealed.websites[0]!.principal.phone)).toBe(true);
    expect(isVirtualOperator(phone)).toBe(false);
    expect(sealed.cycle!.verified).toEqual({ [phone]: '2026-11-29T10:00:00+08:00' });
    expect(phonesOf(sealed)).toHaveLength(3);
  });

  it('is idempotent', () => {
    expect(sealFiling(sealed, keyOf)).toEqual(sealed);
  });
});

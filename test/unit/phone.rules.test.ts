import { describe, expect, it } from 'vitest';
import { maskName, maskPhone, normalizePhone, type PhoneRejection } from '../../src/rules/phone.rules.js';
import { seededRandom } from '../support/random.js';

describe('R1 normalizePhone: one person is one phone number', () => {
  it.each([
    ['13800138000'],
    ['+86 138 0013 8000'],
    ['0086-138-0013-8000'],
    ['86 13800138000'],
    ['+8613800138000'],
    ['8613800138000'],
    ['008613800138000'],
    ['+86 138-0013-8000'],
    ['138.0013.8000'],
    ['(138) 0013 8000'],
    ['  13800138000  '],
  ])('R1 %j normalizes to 13800138000', (input) => {
    expect(normalizePhone(input)).toEqual({ ok: true, phone: '13800138000' });
  });

  it.each([
    ['19912345678', '19912345678'],
    ['+86 170 1234 5678', '17012345678'],
    ['0086 165-1234-5678', '16512345678'],
  ])('R1 %j normalizes to %s (every mobile range 13–19)', (input, phone) => {
    expect(normalizePhone(input)).toEqual({ ok: true, phone });
  });

  it.each<[string, string, PhoneRejection]>([
    ['empty', '', 'empty'],
    ['blank', '   ', 'empty'],
    ['landline 010-12345678', '010-12345678', 'not_mobile'],
    ['12 digits', '138001380001', 'bad_length'],
    ['10 digits', '1380013800', 'bad_length'],
    ['a +1 number', '+1 415 555 0100', 'not_mobile'],
    ['a +1 number with 11 digits', '+1 3800138000', 'not_mobile'],
    ['letters', '138abc38000', 'bad_characters'],
    ['words', 'my phone', 'bad_characters'],
    ['a + in the middle', '138+00138000', 'bad_characters'],
    ['12345678901 starting with 12', '12345678901', 'not_mobile'],
    ['11 digits starting with 10', '10012345678', 'not_mobile'],
    ['11 digits starting with 2', '23800138000', 'not_mobile'],
    ['+86 with too few digits', '+86 138 0013 800', 'bad_length'],
  ])('R1 rejects %s with reason %s', (_what, input, reason) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message).toMatch(/\w/);
  });
});

describe('R8 masking', () => {
  it('R8 maskPhone of 13800138000 is 138****8000', () => {
    expect(maskPhone('13800138000')).toBe('138****8000');
  });

  it('R8 maskPhone of a normalized number never shows the middle four digits', () => {
    const result = normalizePhone('+86 138-0013-8000');
    expect(result.ok && maskPhone(result.phone)).toBe('138****8000');
  });

  it('R8 maskPhone of something too short to mask shows nothing of it', () => {
    expect(maskPhone('12345')).toBe('****');
    expect(maskPhone('')).toBe('****');
  });

  it.each([
    ['张三丰', '张**'],
    ['张三', '张*'],
    ['张', '张'],
    ['  欧阳娜娜 ', '欧***'],
    ['Li Si', 'L****'],
    ['', ''],
  ])('R8 maskName(%j) → %j', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('R8 maskName counts characters, not UTF-16 code units', () => {
    expect(maskName('𠮷野家')).toBe('𠮷**');
  });
});

describe('R1 normalizePhone: the one-pass path gives the rules answer', () => {
  // The rules as written before the one-pass path (issue 12), kept here as the reference.
  function reference(input: string): string | undefined {
    const trimmed = input.trim();
    if (trimmed === '' || !/^\+?[0-9 ()\-.]+$/.test(trimmed)) return undefined;
    let digits = trimmed.replace(/[^0-9]/g, '');
    if (trimmed.startsWith('+')) {
      if (!digits.startsWith('86')) return undefined;
      digits = digits.slice(2);
    } else if (digits.length === 15 && digits.startsWith('0086')) digits = digits.slice(4);
    else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
    return digits.length === 11 && /^1[3-9]\d{9}$/.test(digits) ? digits : undefined;
  }

  it('R1 20,000 generated writings (separators, prefixes, stray characters and whitespace) get the same answer', () => {
    const random = seededRandom(1212);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const prefixes = ['', '', '+86', '+86 ', '86', '86-', '0086', '0086 ', '+', '+85', '0', ' ', '\t', '(', '-'];
    const separators = ['', '', '', ' ', '-', '.', '(', ')', '  ', '+', 'x', '\u00a0', '１'];
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const mobile = random() < 0.7;
      const length = mobile ? 11 : 9 + Math.floor(random() * 6);
      const digits = Array.from({ length }, (_, i) => (i === 0 && mobile ? '1' : i === 1 && mobile ? pick(['3', '5', '8', '9', '2']) : String(Math.floor(random() * 10)))).join('');
      let written = pick(prefixes);
      for (const d of digits) written += random() < 0.1 ? `${pick(separators)}${d}` : d;
      written += pick(['', '', '', ' ', '-', ')', '.', '\n']);
      const expected = reference(written);
      if (expected) accepted++;
      expect(normalizePhone(written), JSON.stringify(written)).toEqual(expected ? { ok: true, phone: expected } : expect.objectContaining({ ok: false }));
    }
    // The generator reaches both sides of the rules.
    expect(accepted).toBeGreaterThan(2_000);
    expect(accepted).toBeLessThan(18_000);
  });
});

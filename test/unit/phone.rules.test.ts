import { describe, expect, it } from 'vitest';
import { maskName, maskPhone, normalizePhone, type PhoneRejection } from '../../src/rules/phone.rules.js';

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

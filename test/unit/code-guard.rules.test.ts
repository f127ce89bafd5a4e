import { describe, expect, it } from 'vitest';
import { guardVerdict, looksLikeIdNumber, looksLikeSmsCode, normalizeForGuard } from '../../src/rules/code-guard.rules.js';

const LONG_PREFIX = '您好，我刚才在工信部备案管理系统的短信核验页面看到需要填写手机号码和证件号码后六位，';

describe('R8 code guard: a 6-digit code anywhere in a message is caught', () => {
  it.each([
    // The guard's existing positives (test/flows/settings-guard-runner.test.ts).
    ['123456'],
    ['验证码 654321'],
    ['my code is 123456'],
    // The pastes issue 11 reports as missed.
    ['Hi, I got the code 123456 from 12381 just now, what do I do with it on the website?'],
    ['验证码是１２３４５６'],
    ['１２３４５６'],
    ['12 34 56'],
    ['123 456'],
    ['我的验证码 123-456 怎么用'],
    ['12-34-56'],
    ['１２３ ４５６'],
    ['验证码：１２３－４５６'],
    ['1 2 3 4 5 6'],
    ['123–456'],
    ['验证码123456'],
    ['【工业和信息化部】您的ICP备案短信核验验证码为：482913，请在24小时内登录工信部备案管理系统完成核验。'],
    [`${LONG_PREFIX}验证码是 482913，接下来要怎么做？`],
    ['code:\n123456\nthanks'],
    ['(123456)'],
    ['“654321”是验证码吗'],
    ['Is 654321 the right code? It came from 12381, phone 138****8000'],
    ['12381 123456'],
    ['The code is 123456.'],
    ['123\u200B456'],
    ['验证码\u3000１２\u3000３４\u3000５６'],
    ['https://beian.miit.gov.cn/?code=123456'],
    ['I typed 123456 three times and it failed, should I resend? My ID ends in 12345X.'],
  ])('R8 fires on %j', (text) => {
    expect(looksLikeSmsCode(text)).toBe(true);
    expect(guardVerdict(text)).toBe('sms-code');
  });
});

describe('R8 code guard: ids, dates, times, phones, ID fragments and amounts are not codes', () => {
  it.each([
    // Filing ids (CONTRACT §1: 4–40 of A–Z a–z 0–9 - _).
    ['/lookup VE-2026-000101'],
    ['VE-2026-000101'],
    ['ve_123456'],
    ['VE123456'],
    ['123456-ab'],
    // Dates and times.
    ['2026-12-01'],
    ['2026年12月1日'],
    ['20261201'],
    ['26-12-01 提交的'],
    ['12:30'],
    ['12:30:00 前要完成吗'],
    ['2026-12-01 12:30'],
    // Phone numbers, whole, spaced, international and masked.
    ['13800138000'],
    ['/link 13800138000'],
    ['138****8000'],
    ['+86 138 0013 8000'],
    ['138-0013-8000'],
    ['0571-88886666'],
    ['The SMS came from 12381, not from 106912381'],
    // ID-number fragments the person asks about (ending in X), in both languages.
    ['身份证后六位是 12345X 吗'],
    ['the last 6 characters of my ID are 12345X, is that what I enter?'],
    // Amounts, decimals, postcodes, emails, ICP licence numbers.
    ['¥123456'],
    ['123456元'],
    ['费用 123456 元'],
    ['It costs $123456'],
    ['0.123456'],
    ['123,456'],
    ['邮编 310000'],
    ['my postcode is 310000'],
    ['123456@qq.com'],
    ['京ICP备050001号'],
    ['第123456号'],
    // Too short or too long.
    ['12345'],
    ['1234567'],
    ['123 4567'],
    ['12 345 6'],
    ['2026 12'],
    ['hello there'],
    ['验证码收不到怎么办'],
  ])('R8 does not fire on %j', (text) => {
    expect(looksLikeSmsCode(text)).toBe(false);
  });
});

describe('R8 code guard: ID numbers', () => {
  it.each(['11010519491231002X', '110105194912310', '31002X', '我的身份证 11010519491231002x', '１１０１０５１９４９１２３１００２Ｘ'])('R8 %j is an ID number, not a code', (text) => {
    expect(looksLikeIdNumber(text)).toBe(true);
    expect(looksLikeSmsCode(text)).toBe(false);
    expect(guardVerdict(text)).toBe('id-number');
  });

  it.each(['身份证后六位是 12345X 吗', 'VE-2026-000101', '13800138000', '1234567890123456'])('R8 %j is not an ID number', (text) => {
    expect(looksLikeIdNumber(text)).toBe(false);
    expect(guardVerdict(text)).toBe('none');
  });
});

describe('R8 code guard: normalization', () => {
  it('R8 full-width digits, dashes and spaces fold to ASCII; invisible characters go', () => {
    expect(normalizeForGuard('１２３－４５６\u3000\u202Eabc\u200D')).toBe('123-456 abc');
    expect(normalizeForGuard('123\u2013456\u2212789')).toBe('123-456-789');
  });

  it('R8 a code in a message of any length is still caught', () => {
    const long = `${'这是一段很长的说明文字。'.repeat(400)}验证码 735194 ${'More text follows here. '.repeat(200)}`;
    expect(long.length).toBeGreaterThan(8000);
    expect(looksLikeSmsCode(long)).toBe(true);
    expect(looksLikeSmsCode(long.replace('735194', '73519'))).toBe(false);
  });
});

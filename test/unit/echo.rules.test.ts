import { describe, expect, it } from 'vitest';
import { ECHO_MAX, echoable, echoId } from '../../src/rules/echo.rules.js';

describe('echo only what is valid: invisible characters', () => {
  it.each<[string, string, string]>([
    ['right-to-left override U+202E', 'abc\u202Edef', 'abcdef'],
    ['embeddings and pop U+202A–U+202C', '\u202Aa\u202Bb\u202Cc', 'abc'],
    ['left-to-right override U+202D', '\u202Dx', 'x'],
    ['isolates U+2066–U+2069', '\u2066a\u2067b\u2068c\u2069', 'abc'],
    ['LRM, RLM and the Arabic letter mark', 'a\u200Eb\u200Fc\u061C', 'abc'],
    ['zero-width space, non-joiner, joiner', 'a\u200Bb\u200Cc\u200Dd', 'abcd'],
    ['word joiner and BOM', '\uFEFFa\u2060b', 'ab'],
    ['tag characters (invisible text)', 'ok\u{E0041}\u{E0042}', 'ok'],
    ['C0 controls but tab and newline', 'a\u0000b\u0007c\td\ne', 'abc\td\ne'],
    ['plain Chinese and emoji stay', '备案 VE-1 😀', '备案 VE-1 😀'],
  ])('%s', (_name, input, expected) => {
    expect(echoable(input)).toBe(expected);
  });
});

describe('echo only what is valid: a typed filing id', () => {
  it.each<[string, string, string]>([
    ['a valid id comes back as it is', 'VE-2026-000101', 'VE-2026-000101'],
    ['a valid id with an invisible character inside comes back clean', 'VE-2026\u200B-000101', 'VE-2026-000101'],
    ['a valid id of 40 characters comes back whole', 'A'.repeat(40), 'A'.repeat(40)],
    ['a short invalid input comes back clean', 'VE 1\u202E', 'VE 1'],
    ['an id with a character outside the format is echoed, not validated', 'VE-2026-000101!', 'VE-2026-000101!'],
    ['an input of only controls comes back empty', '\u202E\u2066', ''],
  ])('%s', (_name, input, expected) => {
    expect(echoId(input)).toBe(expected);
  });

  it('a 5,000-character input comes back as 40 characters with an ellipsis', () => {
    const out = echoId('x'.repeat(5000));
    expect(Array.from(out)).toHaveLength(ECHO_MAX);
    expect(out).toBe(`${'x'.repeat(39)}…`);
  });

  it('41 characters of the id alphabet are over the limit and are cut', () => {
    expect(echoId('A'.repeat(41))).toBe(`${'A'.repeat(39)}…`);
  });

  it('emoji are cut between characters, never inside a surrogate pair', () => {
    const out = echoId('😀'.repeat(50));
    expect(out).toBe(`${'😀'.repeat(39)}…`);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('newlines in a long paste become spaces, and the override never survives', () => {
    const out = echoId(`\u202E${'备案\n'.repeat(30)}`);
    expect(out).not.toMatch(/[\n\u202E]/);
    expect(Array.from(out)).toHaveLength(ECHO_MAX);
  });
});

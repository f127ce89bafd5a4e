import { describe, expect, it } from 'vitest';
import { pluralCategory, t } from '../../src/i18n/catalog.js';
import { en } from '../../src/i18n/en.js';
import { zh } from '../../src/i18n/zh.js';

describe('issue 13 English plurals through Intl.PluralRules', () => {
  it('no English message writes a plural as “(s)”', () => {
    expect(Object.entries(en).filter(([, text]) => text.includes('(s)'))).toEqual([]);
  });

  it.each([
    [1, 'I reminded 1 linked verifier.'],
    [2, 'I reminded 2 linked verifiers.'],
    [0, 'I reminded 0 linked verifiers.'],
  ])('verify.reminded with %d → %s', (count, text) => {
    expect(t('en', 'verify.reminded', { count })).toBe(text);
  });

  it('resend.ok counts resends left: 1 resend, 0 resends', () => {
    expect(t('en', 'resend.ok', { phone: 'x', remaining: 1 })).toContain(' 1 resend left in this cycle.');
    expect(t('en', 'resend.ok', { phone: 'x', remaining: 0 })).toContain(' 0 resends left in this cycle.');
  });

  it('slack.nudge.done: one verifier, several verifiers', () => {
    expect(t('en', 'slack.nudge.done', { id: 'VE-1', count: 1 })).toBe('Nudged VE-1: 1 linked pending verifier got a Telegram reminder now.');
    expect(t('en', 'slack.nudge.done', { id: 'VE-1', count: 3 })).toBe('Nudged VE-1: 3 linked pending verifiers got a Telegram reminder now.');
  });

  it('Chinese has one form and its messages are unchanged', () => {
    expect(pluralCategory('zh', 1)).toBe('other');
    expect(t('zh', 'verify.reminded', { count: 1 })).toBe('已提醒 1 位已绑定的核验人。');
    expect(Object.values(zh).some((text) => /\{\w+\|/.test(text))).toBe(false);
  });

  it('a parameter that is not a number takes the “other” form; a missing one stays visible', () => {
    expect(pluralCategory('en', 'many')).toBe('other');
    expect(t('en', '{n} {n|one:file|other:files}', { n: '<n>' })).toBe('<n> files');
    expect(t('en', '{n|one:file|other:files}')).toBe('{n|one:file|other:files}');
  });

  it('a plural with no form for the category falls back to “other”', () => {
    expect(t('en', '{n|other:items}', { n: 1 })).toBe('items');
  });
});

describe('issue 13 the /stop re-enable button says what it does', () => {
  it('zh and en labels are actions, not the confirmation text', () => {
    expect(t('en', 'stop.btnResume')).toBe('Turn reminders back on');
    expect(t('zh', 'stop.btnResume')).toBe('重新开启提醒');
    expect(t('en', 'stop.btnResume')).not.toBe(t('en', 'stop.resumed'));
  });
});

import { describe, expect, it } from 'vitest';
import { catalog, isMessageKey, renderMsg, t } from '../../src/i18n/catalog.js';
import { en } from '../../src/i18n/en.js';
import { zh } from '../../src/i18n/zh.js';

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const enKeys = Object.keys(en) as Array<keyof typeof en>;

describe('STYLE §8 both locales have every message', () => {
  it('every en key exists in zh and every zh key exists in en', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it.each(enKeys)('%s is non-empty in both locales, with the same {placeholders}', (key) => {
    expect(en[key].trim()).not.toBe('');
    expect(zh[key].trim()).not.toBe('');
    expect(new Set(placeholders(zh[key]))).toEqual(new Set(placeholders(en[key])));
  });

  it('the catalog maps each locale to its messages', () => {
    expect(catalog.en).toBe(en);
    expect(catalog.zh).toBe(zh);
  });
});

describe('STYLE §8 t() renders a key with its parameters', () => {
  it('R3 time.left: “3 h 12 min left” / “还剩 3 小时 12 分”', () => {
    expect(t('en', 'time.left', { h: 3, m: 12 })).toBe('3 h 12 min left');
    expect(t('zh', 'time.left', { h: 3, m: 12 })).toBe('还剩 3 小时 12 分');
  });

  it('every placeholder of every message is replaced when its parameter is given', () => {
    for (const key of enKeys) {
      for (const locale of ['en', 'zh'] as const) {
        const params = Object.fromEntries(placeholders(en[key]).map((p) => [p, `<${p}>`]));
        const rendered = t(locale, key, params);
        expect(rendered, `${locale} ${key}`).not.toMatch(/\{\w+\}/);
        for (const p of Object.keys(params)) expect(rendered).toContain(`<${p}>`);
      }
    }
  });

  it('a missing parameter stays visible as {name}', () => {
    expect(t('en', 'time.left', { h: 1 })).toBe('1 h {m} min left');
  });

  it('a parameter value that looks like a placeholder is not replaced again', () => {
    expect(t('en', 'time.left', { h: '{m}', m: 5 })).toBe('{m} h 5 min left');
  });

  it('an unknown key renders as itself, so it shows up in tests', () => {
    expect(isMessageKey('no.such.key')).toBe(false);
    expect(isMessageKey('time.left')).toBe(true);
    expect(t('zh', 'no.such.key')).toBe('no.such.key');
  });

  it('renderMsg renders a key with params, or raw text as is', () => {
    expect(renderMsg('en', { key: 'time.left', params: { h: 0, m: 5 } })).toBe('0 h 5 min left');
    expect(renderMsg('zh', { raw: 'as {is}' })).toBe('as {is}');
  });

  it('R1 renderMsg renders a message parameter in the same locale, and a list with the locale’s separator', () => {
    const roles = { key: 'role.website', params: { website: '官网' } };
    expect(renderMsg('en', { key: 'role.website', params: { website: { raw: 'Shop' } } })).toBe('website principal of “Shop”');
    expect(renderMsg('zh', { key: 'recovery.step', params: { n: 1, text: { key: 'recovery.s.resubmit' } } })).toBe(`1. ${zh['recovery.s.resubmit']}`);
    expect(renderMsg('en', { key: 'recovery.step', params: { n: 2, text: [{ key: 'role.subject' }, roles] } })).toBe('2. subject principal, website principal of “官网”');
    expect(renderMsg('zh', { key: 'recovery.step', params: { n: 2, text: [{ key: 'role.subject' }, roles] } })).toBe('2. 主体负责人、网站“官网”的网站负责人');
  });

  it('R1 type names use the official Chinese terms', () => {
    expect([t('zh', 'type.first_filing'), t('zh', 'type.new_website'), t('zh', 'type.access'), t('zh', 'type.change'), t('zh', 'type.cancel_access'), t('zh', 'type.deregister')]).toEqual([
      '首次备案',
      expect.stringContaining('新增网站'),
      expect.stringContaining('接入备案'),
      expect.stringContaining('变更备案'),
      expect.stringContaining('取消接入'),
      expect.stringContaining('注销备案'),
    ]);
  });
});

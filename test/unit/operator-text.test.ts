/** What people and operators read names no internal document, and the time zone has one name per language. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { zh } from '../../src/i18n/zh.js';

const ROOT = new URL('../../', import.meta.url);

// Rule ids (R1–R8), the rules and contract documents, their section marks, and issue numbers.
const INTERNAL_NAMES = [/RULES/, /CONTRACT/, /规则\s*R\d/, /\bR[1-8]\b/, /§/];
const ISSUE_NUMBER = /\bissue \d+/i;
// Any other way of naming China's time zone; the catalogs say "China time" and "北京时间".
const OTHER_ZONE_NAMES = [/Asia\/Shanghai/, /Beijing time/i, /\bCST\b/, /UTC\s*\+\s*8/, /GMT\s*\+\s*8/, /中国时间/, /上海时间/, /东八区/];

const messages = [...Object.entries(en).map(([key, text]) => ({ where: `en ${key}`, text })), ...Object.entries(zh).map(([key, text]) => ({ where: `zh ${key}`, text }))];

/** Every line of a file in the repository that matches one of `patterns`, as `file:line: text`. */
function linesMatching(file: string, patterns: RegExp[]): string[] {
  return readFileSync(new URL(file, ROOT), 'utf8')
    .split('\n')
    .flatMap((line, i) => (patterns.some((p) => p.test(line)) ? [`${file}:${i + 1}: ${line}`] : []));
}

describe('no internal document names in replies, alerts or operator files', () => {
  it('no message in either catalog names a rule id, the rules or contract document, a section or an issue', () => {
    const found = messages.filter(({ text }) => [...INTERNAL_NAMES, ISSUE_NUMBER].some((p) => p.test(text))).map(({ where, text }) => `${where}: ${text}`);
    expect(found).toEqual([]);
  });

  // The files an operator reads: set-up, the guides, the privacy notice, the event guide and the dashboard.
  it.each([
    '.env.example',
    'README.md',
    'adapters/telegram/README.md',
    'adapters/slack/README.md',
    'adapters/slack/manifest.yaml',
    'adapters/feishu/README.md',
    'adapters/feishu/permissions.json',
    'docs/privacy.md',
    'docs/filing-events.md',
    'docs/several-instances.md',
    'docs/grafana-dashboard.json',
  ])('%s names no rule id, rules or contract document, section or issue', (file) => {
    expect(linesMatching(file, [...INTERNAL_NAMES, ISSUE_NUMBER])).toEqual([]);
  });
});

describe('one name for the time zone per language', () => {
  it('no message names the time zone any other way than "China time" / "北京时间"', () => {
    const found = messages.filter(({ text }) => OTHER_ZONE_NAMES.some((p) => p.test(text))).map(({ where, text }) => `${where}: ${text}`);
    expect(found).toEqual([]);
  });

  it('a message says "China time" in English exactly when it says "北京时间" in Chinese, and never the other language’s name', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(en[key].includes('China time'), key).toBe(zh[key].includes('北京时间'));
      expect(en[key], key).not.toContain('北京时间');
      expect(zh[key], key).not.toContain('China time');
    }
  });

  it('the README and the adapters’ guides use the same name', () => {
    for (const file of ['README.md', 'adapters/telegram/README.md', 'adapters/slack/README.md']) expect(linesMatching(file, OTHER_ZONE_NAMES)).toEqual([]);
  });
});

/**
 * Reading a filings file record by record (src/filings.split.ts, issue 12) gives what JSON.parse of
 * the whole file gives, and anything else makes the caller parse the whole text, so a bad file is
 * still reported with JSON.parse's own message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_FILINGS_FILE } from '../../src/config.js';
import { FilingsFileError, readFilingsFile } from '../../src/filings.file.js';
import { splitFilingsFile } from '../../src/filings.split.js';
import { seededRandom } from '../support/random.js';

function split(text: string): unknown[] | undefined {
  const records: unknown[] = [];
  return splitFilingsFile(Buffer.from(text, 'utf8'), (record) => records.push(record)) ? records : undefined;
}

const random = seededRandom(4242);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
// Strings that could fool a scanner: quotes, escapes, brackets, commas, non-ASCII, a backslash at the end.
const TRICKY = ['a', '{', '}', '[', ']', ',', ':', '"', '\\', '\\\\', '\\"', '备案', '𠮷', '\u2028', '\n', '\t', ' ', 'é', '"}]', '\\u0041'];
const word = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(TRICKY)).join('');
const space = (): string => pick(['', '', ' ', '\n', '\r\n', '\t', '  \n  ']);

function value(depth: number): unknown {
  const r = random();
  if (depth > 2 || r < 0.3) return pick([word(), Math.floor(random() * 1e6) - 5e5, random() * 100, true, false, null, -0.5e-3]);
  if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [word(), value(depth + 1)]));
}

// JSON text with random whitespace between tokens, as hand-edited files have.
function write(v: unknown): string {
  if (Array.isArray(v)) return `[${space()}${v.map((x) => `${write(x)}${space()}`).join(`,${space()}`)}]`;
  if (v && typeof v === 'object')
    return `{${space()}${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}${space()}:${space()}${write(x)}`)
      .join(`,${space()}`)}${space()}}`;
  return JSON.stringify(v);
}

describe('reading a filings file record by record', () => {
  it('gives what JSON.parse gives, over 500 generated files with tricky strings and whitespace', () => {
    for (let n = 0; n < 500; n++) {
      const records = Array.from({ length: Math.floor(random() * 6) }, () => (random() < 0.8 ? { id: word(), nested: value(0) } : value(0)));
      const text = `${space()}{${space()}"filings"${space()}:${space()}${write(records)}${space()}}${space()}`;
      expect(split(text), text).toEqual((JSON.parse(text) as { filings: unknown[] }).filings);
    }
  });

  it.each([
    ['an empty list', '{"filings": []}', []],
    ['records with braces and quotes in strings', '{"filings":[{"a":"}],{\\""},{"b":["[", "\\\\"]}]}', [{ a: '}],{"' }, { b: ['[', '\\'] }]],
    ['records that are not objects (left for the schema to report)', '{"filings": [1, "x", null, [2]]}', [1, 'x', null, [2]]],
  ])('reads %s', (_, text, expected) => {
    expect(split(text)).toEqual(expected);
  });

  it.each([
    ['a byte order mark', '\uFEFF{"filings": []}'],
    ['another key first', '{"version": 1, "filings": []}'],
    ['another key after', '{"filings": [], "version": 1}'],
    ['a trailing comma', '{"filings": [{"a": 1},]}'],
    ['an empty record', '{"filings": [{"a": 1},,{"b": 2}]}'],
    ['a record JSON.parse rejects', '{"filings": [{"a": 1}, {"b": 01}]}'],
    ['a missing bracket', '{"filings": [{"a": 1}}'],
    ['an unclosed string', '{"filings": [{"a": "1}]}'],
    ['text after the end', '{"filings": []} x'],
    ['not a list', '{"filings": {"a": 1}}'],
    ['nothing', ''],
  ])('leaves the whole text to JSON.parse on %s', (_, text) => {
    expect(split(text)).toBeUndefined();
  });

  describe('readFilingsFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-split-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const problemsOf = (path: string) => {
      try {
        readFilingsFile(path);
      } catch (error) {
        if (error instanceof FilingsFileError) return error.problems;
        throw error;
      }
      return [];
    };

    it("reports a file that is not JSON with JSON.parse's own message for the whole text", () => {
      const text = '{"filings": [{"id": "VE-2026-000101"}, {"id": 01}]}';
      let expected = '';
      try {
        JSON.parse(text);
      } catch (error) {
        expected = (error as Error).message;
      }
      expect(problemsOf(file('bad.json', text))).toEqual([{ index: -1, field: '(file)', message: `is not JSON (${expected}): fix the file; its format is in docs/filing-events.md` }]);
    });

    it('reports every bad record of a file read record by record, with its index and id', () => {
      const problems = problemsOf(file('records.json', '{"filings": [{"id": "VE-2026-000101", "type": "nope"}, 5, {"id": "VE-2026-000101", "type": "nope"}]}'));
      expect(problems.some((p) => p.index === 0 && p.id === 'VE-2026-000101' && p.field === 'type')).toBe(true);
      expect(problems.some((p) => p.index === 1 && p.field === '(record)')).toBe(true);
      expect(problems.some((p) => p.index === 2 && p.field === 'type')).toBe(true);
    });

    it('reads a file with another top-level key through JSON.parse, as before', () => {
      const demo = readFilingsFile(DEMO_FILINGS_FILE);
      const text = JSON.stringify({ note: 'exported', filings: demo });
      expect(readFilingsFile(file('keyed.json', text))).toEqual(demo);
    });
  });
});

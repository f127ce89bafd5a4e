/** Layers point one way (issue 9): adapters/ → flows/ → src/, checked on every import line of the code. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf, readSources, wrongImports } from './support/layers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('layers point one way', () => {
  it('no import in src/, flows/, adapters/ or bench/ points the wrong way', () => {
    const files = readSources(ROOT, ['src', 'flows', 'adapters', 'bench']);
    // Guard against a checker that silently reads nothing.
    expect(files.filter((f) => f.path.startsWith('flows/')).length).toBeGreaterThan(5);
    expect(files.reduce((n, f) => n + importsOf(f.text).length, 0)).toBeGreaterThan(200);
    expect(wrongImports(files)).toEqual([]);
  });

  it('src/main.ts, the composition root, is the one file of src/ allowed to see flows/ and adapters/', () => {
    const main = readSources(ROOT, ['src']).find((f) => f.path === 'src/main.ts')!;
    expect(wrongImports([main])).toEqual([]);
    // The same lines anywhere else in src/ point the wrong way.
    expect(wrongImports([{ path: 'src/core.ts', text: main.text }]).length).toBeGreaterThanOrEqual(4);
  });
});

describe('the checker itself', () => {
  const file = (path: string, text: string) => ({ path, text });

  it('reads static, multi-line, export-from, side-effect and dynamic imports with their lines', () => {
    const text = ["import { a } from './a.js';", 'import {', '  b,', "} from './b.js';", "export * from './c.js';", "import './d.js';", "const e = await import('./e.js');"].join('\n');
    expect(importsOf(text)).toEqual([
      { line: 1, specifier: './a.js' },
      { line: 4, specifier: './b.js' },
      { line: 5, specifier: './c.js' },
      { line: 6, specifier: './d.js' },
      { line: 7, specifier: './e.js' },
    ]);
  });

  it.each([
    ['src/runner.ts', "import { route } from '../flows/router.js';", "src/runner.ts:1: '../flows/router.js' (src imports nothing from flows/ or adapters/ (only src/main.ts does))"],
    [
      'src/reminders/x.ts',
      "\n\nexport { y } from '../../adapters/slack/slack.adapter.js';",
      "src/reminders/x.ts:3: '../../adapters/slack/slack.adapter.js' (src imports nothing from flows/ or adapters/ (only src/main.ts does))",
    ],
    [
      'src/core.ts',
      "const m = await import('../adapters/telegram/telegram.adapter.js');",
      "src/core.ts:1: '../adapters/telegram/telegram.adapter.js' (src imports nothing from flows/ or adapters/ (only src/main.ts does))",
    ],
    ['flows/lookup.flow.ts', "import { t } from '../adapters/telegram/telegram.translate.js';", "flows/lookup.flow.ts:1: '../adapters/telegram/telegram.translate.js' (flows import no adapter)"],
    ['flows/x.flow.ts', "import { Telegraf } from 'telegraf';", "flows/x.flow.ts:1: 'telegraf' (flows import no platform SDK or store)"],
    ['flows/x.flow.ts', "import type { App } from '@slack/bolt';", "flows/x.flow.ts:1: '@slack/bolt' (flows import no platform SDK or store)"],
    ['flows/x.flow.ts', "import { Client } from '@larksuiteoapi/node-sdk';", "flows/x.flow.ts:1: '@larksuiteoapi/node-sdk' (flows import no platform SDK or store)"],
    ['flows/x.flow.ts', "import Keyv from 'keyv';", "flows/x.flow.ts:1: 'keyv' (flows import no platform SDK or store)"],
    ['flows/x.flow.ts', "import Database from 'better-sqlite3';", "flows/x.flow.ts:1: 'better-sqlite3' (flows import no platform SDK or store)"],
    ['flows/x.flow.ts', "import Redis from 'ioredis';", "flows/x.flow.ts:1: 'ioredis' (flows import no platform SDK or store)"],
    ['adapters/slack/slack.team.ts', "import { toActivity } from '../telegram/telegram.translate.js';", "adapters/slack/slack.team.ts:1: '../telegram/telegram.translate.js' (an adapter imports no other adapter)"],
    [
      'src/core.ts',
      "import { RedisStateStore } from './backends/redis/redis.state.js';",
      "src/core.ts:1: './backends/redis/redis.state.js' (only src/backends/ opens a backend; the rest takes the parts openBackend hands out)",
    ],
    [
      'src/main.ts',
      "import { openLocalBackend } from './backends/local/local.backend.js';",
      "src/main.ts:1: './backends/local/local.backend.js' (only src/backends/ opens a backend; the rest takes the parts openBackend hands out)",
    ],
    ['src/filings.ts', "import { makeFiling } from '../test/fixtures/filings.fixture.js';", "src/filings.ts:1: '../test/fixtures/filings.fixture.js' (src imports nothing from test/)"],
  ])('fails on an upward import in %s', (path, text, message) => {
    expect(wrongImports([file(path, text)])).toEqual([message]);
  });

  it.each([
    ['src/main.ts', "import { route } from '../flows/router.js';\nimport { startSlack } from '../adapters/slack/slack.adapter.js';"],
    ['flows/router.ts', "import { m } from '../src/reply.builders.js';\nimport { z } from 'zod';"],
    ['adapters/slack/slack.team.ts', "import { summarizeFiling } from '../../src/summary/filing.summary.js';\nimport { x } from './slack.render.js';"],
    ['adapters/telegram/telegram.adapter.ts', "import { Telegraf } from 'telegraf';\nimport { route } from '../../flows/router.js';"],
    ['src/backends/local/keyv.store.ts', "import Keyv from 'keyv';"],
    ['src/core.ts', "import { openBackend } from './backends/backend.js';"],
    ['test/x.test.ts', "import { startSlack } from '../adapters/slack/slack.adapter.js';"],
  ])('lets a downward import in %s pass', (path, text) => {
    expect(wrongImports([file(path, text)])).toEqual([]);
  });
});

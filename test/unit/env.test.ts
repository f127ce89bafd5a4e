import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../../src/env.js';

const NAMES = ['BEIAN_ENV_TEST_FROM_FILE', 'BEIAN_ENV_TEST_ALREADY_SET'];
afterEach(() => {
  for (const name of NAMES) delete process.env[name];
});

function envFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'beian-env-')), '.env');
  writeFileSync(file, text);
  return file;
}

describe('issue 13 .env is loaded at start', () => {
  it('sets the variables a .env file holds; one already in the environment wins', () => {
    process.env.BEIAN_ENV_TEST_ALREADY_SET = 'from the environment';
    const file = envFile('# a comment\nBEIAN_ENV_TEST_FROM_FILE=from the file\nBEIAN_ENV_TEST_ALREADY_SET=from the file\n');
    expect(loadDotEnv(file)).toBe(true);
    expect(process.env.BEIAN_ENV_TEST_FROM_FILE).toBe('from the file');
    expect(process.env.BEIAN_ENV_TEST_ALREADY_SET).toBe('from the environment');
  });

  it('no .env file is not an error: nothing is loaded', () => {
    expect(loadDotEnv(join(tmpdir(), 'no-such-dir-beian', '.env'))).toBe(false);
    expect(process.env.BEIAN_ENV_TEST_FROM_FILE).toBeUndefined();
  });
});

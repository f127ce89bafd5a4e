/**
 * `npm start`'s launcher (scripts/start.mjs, issue 12) on a copy of the project: the first start
 * builds, the next finds the build, and a start that cannot build still runs, from source through
 * tsx, saying why on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_PARTS, copyProject } from '../support/project-copy.js';

let root: string;

// A copy of the project (in a path with a space and Chinese characters) whose node_modules holds links to the real packages, so its cache is its own.
beforeEach(() => {
  root = copyProject(mkdtempSync(join(tmpdir(), 'beian 启动 ')), { parts: ['scripts', ...APP_PARTS], packages: 'each' });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

// Node 20 before 20.19 does not guess a module's type from its syntax: the build must say its chunks are ES modules.
function start(input: string) {
  return spawnSync(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE_URL: 'memory://', PHONE_KEY_FILE: join(root, 'phone-key'), DEFAULT_LOCALE: 'en', NODE_OPTIONS: '--no-experimental-detect-module' },
    timeout: 60_000,
  });
}

const manifestOf = () => JSON.parse(readFileSync(join(root, 'node_modules', '.cache', 'beian-assistant', 'manifest.json'), 'utf8')) as { build: string; builtAt: string };

describe('npm start: the launcher', () => {
  it('builds on the first start, finds the build on the next, and runs the app from it', () => {
    const first = start('/lookup VE-2026-000101\n');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('VE-2026-000101');
    expect(first.stderr).not.toContain('start-up build unavailable');
    const built = manifestOf();

    const second = start('/help\n');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('/lookup');
    expect(manifestOf()).toEqual(built);
  });

  it('builds again after a source file changed, and runs the change', () => {
    expect(start('/help\n').status).toBe(0);
    const before = manifestOf();
    const file = join(root, 'src', 'main.ts');
    writeFileSync(file, `process.stdout.write('changed-7c1e\\n');\n${readFileSync(file, 'utf8')}`);
    const run = start('/help\n');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('changed-7c1e');
    expect(manifestOf().build).not.toBe(before.build);
  });

  it('runs from source through tsx when no build can be made, and says so on stderr', () => {
    // The cache cannot be a directory: node_modules/.cache is a file.
    writeFileSync(join(root, 'node_modules', '.cache'), 'not a directory');
    const run = start('/lookup VE-2026-000101\n');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('VE-2026-000101');
    const warning = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string; error?: string })
      .find((line) => line.msg.startsWith('start-up build unavailable'));
    expect(warning).toMatchObject({ level: 'warn', error: expect.stringMatching(/ENOTDIR|EEXIST|not a directory/) });
  });
});

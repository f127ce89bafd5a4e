/**
 * `npm test` sets itself up (scripts/test-setup.mjs, its pretest): with redis-server it says nothing;
 * without, root with apt installs it, and anyone else is stopped at once with the one command to run.
 * Each case runs the script with a PATH holding only what the case puts there.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/test-setup.mjs', import.meta.url).pathname;
const root = process.getuid?.() === 0;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory to serve as the whole PATH. */
function bin(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beian-test-setup-'));
  dirs.push(dir);
  return dir;
}

/** Writes an executable shell script named `name` into `dir`. */
function tool(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** A redis-server that answers --version, as the real one does. */
const REDIS = 'echo "Redis server v=7.0.15"';

function setup(path: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT], { env: { PATH: path }, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

describe('npm test sets itself up', () => {
  it('with redis-server installed it says nothing and lets the tests run', () => {
    const dir = bin();
    tool(dir, 'redis-server', REDIS);
    expect(setup(dir)).toEqual({ status: 0, stderr: '' });
  });

  it('without redis-server and without apt it stops at once, in one line naming what to install', () => {
    const failed = setup(bin());
    expect(failed.status).toBe(1);
    expect(failed.stderr.split('\n').filter(Boolean)).toEqual([
      `npm test needs redis-server for the Redis store tests. Install it, then run npm test again: your package manager's redis package (e.g. ${root ? '' : 'sudo '}dnf install redis)`,
    ]);
  });

  // apt-get here records each call; its install puts a redis-server beside it, as the real one would on PATH.
  it(`with apt and no redis-server: ${root ? 'as root (this run) it installs it with apt, noninteractive' : 'as a user (this run) it stops with the sudo apt-get command'}`, () => {
    const dir = bin();
    const calls = join(dir, 'apt-calls');
    tool(
      dir,
      'apt-get',
      `[ "$1" = --version ] && exit 0
echo "$DEBIAN_FRONTEND $*" >> '${calls}'
if [ "$1" = install ]; then printf '#!/bin/sh\\n${REDIS}\\n' > '${dir}/redis-server'; /bin/chmod +x '${dir}/redis-server'; fi`,
    );
    const run = setup(dir);
    if (root) {
      expect(run.status).toBe(0);
      expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean)).toEqual(['noninteractive update', 'noninteractive install -y redis-server']);
    } else {
      expect(run).toEqual({ status: 1, stderr: 'npm test needs redis-server for the Redis store tests. Install it, then run npm test again: sudo apt-get install -y redis-server\n' });
      expect(existsSync(calls)).toBe(false);
    }
  });

  it('package.json runs the set-up before the tests, and CI leaves it to npm test', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('node scripts/test-setup.mjs');
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).not.toMatch(/apt-get|redis-server/);
  });
});

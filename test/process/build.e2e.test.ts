/**
 * The build as an image uses it, on a copy of the project in a path with a space and Chinese
 * characters: `npm run build` writes dist/, then with only the production packages linked (no
 * esbuild, tsx or typescript, as after `npm ci --omit=dev`) `npm start` runs that dist/, Slack's
 * lazily loaded chunk included, and writes nothing under node_modules. Without dist/ it says what to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../slack/fake-slack.js';
import { startApp } from '../support/app-process.js';
import { APP_PARTS, copyProject, linkPackages } from '../support/project-copy.js';

let root: string;
const slack = new FakeSlack();
const env = () => ({ STORE_URL: 'memory://', PHONE_KEY_FILE: join(root, 'phone-key'), HOST: '127.0.0.1', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'build-test-secret', SLACK_API_URL: slack.apiUrl });
const npm = (...args: string[]) => spawnSync('npm', args, { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env() }, timeout: 60_000 });

beforeAll(async () => {
  await slack.start();
  root = copyProject(mkdtempSync(join(tmpdir(), 'beian 构建 ')), { parts: ['scripts', ...APP_PARTS] });
  const build = npm('run', 'build', '--silent');
  expect(build.status, build.stderr).toBe(0);
  // The image's second install: the build tools are gone.
  rmSync(join(root, 'node_modules'));
  linkPackages(root, 'production');
});

afterAll(async () => {
  await slack.close();
  rmSync(root, { recursive: true, force: true });
});

describe('npm run build, then npm start without the build tools', () => {
  it('has only the production packages', () => {
    for (const tool of ['esbuild', 'tsx', 'typescript', 'vitest']) expect(existsSync(join(root, 'node_modules', tool)), tool).toBe(false);
    expect(existsSync(join(root, 'node_modules', '@slack', 'bolt'))).toBe(true);
    expect(readdirSync(join(root, 'dist'))).toContain('main.js');
  });

  it('runs dist/ with Slack, answers /healthz, stops on SIGTERM, and writes nothing under node_modules', async () => {
    const before = readdirSync(join(root, 'node_modules')).sort();
    const app = await startApp({ cwd: root, mode: 'npm', env: env() });
    try {
      await app.waitForHealth();
      const health = await fetch(`${app.base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, adapters: { slack: { ok: true } } });
      app.signal('SIGTERM');
      expect(await app.waitForExit(15_000)).toEqual({ code: 0, signal: null });
    } finally {
      app.killTree();
    }
    expect(readdirSync(join(root, 'node_modules')).sort()).toEqual(before);
  });

  it('refuses to start without dist/, naming the commands that make it', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    const run = npm('start', '--silent');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('npm ci && npm run build');
  });
});

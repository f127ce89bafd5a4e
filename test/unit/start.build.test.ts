/**
 * The start-up build `npm start` runs (scripts/build.mjs, issue 12): built from the sources as they
 * are, rebuilt after any change, never half-written when starts race, older builds pruned. Each test
 * builds a copy of the project's sources in a directory of its own.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build, currentBuild, ensureBuild } from '../../scripts/build.mjs';
import { copyProject } from '../support/project-copy.js';

let root: string;
let cacheDir: string;

beforeEach(() => {
  root = copyProject(mkdtempSync(join(tmpdir(), 'beian-build-')));
  cacheDir = join(root, 'cache');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const builds = () => readdirSync(cacheDir).filter((name) => !name.startsWith('.') && name !== 'manifest.json');
// Every chunk of a build, as one text.
const codeOf = (entry: string) =>
  readdirSync(dirname(entry))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(join(dirname(entry), name), 'utf8'))
    .join('\n');
const edit = (file: string, text: string) => writeFileSync(join(root, file), `${readFileSync(join(root, file), 'utf8')}\n${text}\n`);

describe('the start-up build', () => {
  it('has no build before the first; builds one whose manifest names every source file it holds', async () => {
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    const entry = await build({ root, cacheDir });
    expect(existsSync(entry)).toBe(true);
    expect(currentBuild({ root, cacheDir })).toBe(entry);
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(['src/main.ts', 'src/runner.ts', 'flows/router.ts', 'adapters/telegram/telegram.adapter.ts', 'adapters/slack/slack.adapter.ts', 'tsconfig.json']));
    // Test files and benchmarks are not part of the app.
    expect(Object.keys(manifest.inputs).filter((file) => !/^(src|flows|adapters)\/|^tsconfig\.json$/.test(file))).toEqual([]);
    // The Slack adapter is a chunk of its own, loaded only when Slack is configured.
    expect(readdirSync(dirname(entry)).some((name) => name.startsWith('slack.adapter-') && name.endsWith('.js'))).toBe(true);
    expect(readFileSync(entry, 'utf8')).not.toMatch(/from "@slack\/bolt"/);
  });

  it('is stale after any source file changes, and the next build holds the change', async () => {
    const first = await build({ root, cacheDir });
    edit('flows/router.ts', '// an edit');
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    const second = await ensureBuild({ root, cacheDir });
    expect(second).not.toBe(first);
    expect(currentBuild({ root, cacheDir })).toBe(second);
    // A change to a string the app prints is in the new build, not in the old.
    edit('src/paths.ts', "export const BUILD_MARK = 'mark-7f3a';");
    edit('src/main.ts', "import { BUILD_MARK } from './paths.js';\nconsole.log(BUILD_MARK);");
    const third = await ensureBuild({ root, cacheDir });
    expect(codeOf(third)).toContain('mark-7f3a');
    expect(codeOf(first)).not.toContain('mark-7f3a');
  });

  it('is stale when a file it was built from is gone, or when the build directory is', async () => {
    const entry = await build({ root, cacheDir });
    rmSync(dirname(entry), { recursive: true });
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    await build({ root, cacheDir });
    rmSync(join(root, 'src', 'paths.ts'));
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
  });

  it('is stale when a file is added beside the sources (it may change what an import resolves to)', async () => {
    await build({ root, cacheDir });
    writeFileSync(join(root, 'src', 'rules', 'new.rules.ts'), 'export const x = 1;\n');
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
  });

  it('is built again, in place, when the build itself was damaged (a truncated file, a lost chunk)', async () => {
    const entry = await build({ root, cacheDir });
    writeFileSync(entry, readFileSync(entry, 'utf8').slice(0, 100));
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    const repaired = await ensureBuild({ root, cacheDir });
    expect(repaired).toBe(entry);
    expect(readFileSync(repaired, 'utf8').length).toBeGreaterThan(1000);
    expect(currentBuild({ root, cacheDir })).toBe(entry);
    const chunk = readdirSync(dirname(entry)).find((name) => name.startsWith('chunk-') && name.endsWith('.js'))!;
    rmSync(join(dirname(entry), chunk));
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    await ensureBuild({ root, cacheDir });
    expect(readdirSync(dirname(entry))).toContain(chunk);
  });

  it('marks its chunks as ES modules: under node_modules the nearest package.json is not the project one', async () => {
    const entry = await build({ root, cacheDir });
    expect(JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8'))).toEqual({ type: 'module' });
  });

  it('hashes the sources of a checkout that lies under a folder named node_modules', async () => {
    const nested = join(root, 'node_modules_parent', 'node_modules', 'checkout');
    mkdirSync(nested, { recursive: true });
    copyProject(nested, { from: root });
    const opts = { root: nested, cacheDir: join(nested, 'cache') };
    await build(opts);
    const manifest = JSON.parse(readFileSync(join(opts.cacheDir, 'manifest.json'), 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(manifest.inputs)).toContain('src/main.ts');
    writeFileSync(join(nested, 'src', 'main.ts'), `// an edit\n${readFileSync(join(nested, 'src', 'main.ts'), 'utf8')}`);
    expect(currentBuild(opts)).toBeUndefined();
  });

  it('is stale when the manifest is not one this version wrote', async () => {
    await build({ root, cacheDir });
    writeFileSync(join(cacheDir, 'manifest.json'), '{ not json');
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
    await build({ root, cacheDir });
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(cacheDir, 'manifest.json'), JSON.stringify({ ...manifest, esbuild: '0.0.1' }));
    expect(currentBuild({ root, cacheDir })).toBeUndefined();
  });

  it('gives starts that race one complete build, and leaves no temporary directory', async () => {
    const entries = await Promise.all(Array.from({ length: 4 }, () => build({ root, cacheDir })));
    expect(new Set(entries).size).toBe(1);
    expect(builds()).toHaveLength(1);
    expect(readdirSync(cacheDir).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(currentBuild({ root, cacheDir })).toBe(entries[0]);
  });

  it('keeps the current build and the two before it (an instance still running one may load its Slack chunk)', async () => {
    const entries: string[] = [];
    for (let n = 0; n < 5; n++) {
      edit('src/paths.ts', `// edit ${n}`);
      entries.push(await build({ root, cacheDir }));
    }
    expect(builds().sort()).toEqual(
      entries
        .slice(-3)
        .map((entry) => dirname(entry).split('/').pop())
        .sort(),
    );
  });

  it('keeps a build that is current again after a revert, though it was made before the others', async () => {
    const a = await build({ root, cacheDir });
    const original = readFileSync(join(root, 'src', 'paths.ts'), 'utf8');
    for (const n of [1, 2]) {
      edit('src/paths.ts', `// edit ${n}`);
      await build({ root, cacheDir });
    }
    writeFileSync(join(root, 'src', 'paths.ts'), original);
    expect(await ensureBuild({ root, cacheDir })).toBe(a);
    edit('src/paths.ts', '// edit 3');
    await build({ root, cacheDir });
    expect(existsSync(a)).toBe(true);
  });

  it('removes a temporary directory a build that died left, once it is old', async () => {
    mkdirSync(cacheDir, { recursive: true });
    const abandoned = join(cacheDir, '.tmp-dead');
    mkdirSync(abandoned);
    const fresh = join(cacheDir, '.tmp-fresh');
    mkdirSync(fresh);
    const { utimesSync } = await import('node:fs');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(abandoned, hourAgo, hourAgo);
    await build({ root, cacheDir });
    expect(existsSync(abandoned)).toBe(false);
    // A build still running elsewhere keeps its directory.
    expect(existsSync(fresh)).toBe(true);
  });
});

/**
 * The start-up build (issue 12). `npm start` runs the app from an esbuild bundle of src/, flows/ and
 * adapters/ (packages stay external) instead of through tsx's module hooks, which took about a
 * quarter of a start on 100,000 filings. The bundle is cached under node_modules/.cache, keyed by
 * the content of every file it was built from. A start re-hashes those files (a few ms) and builds
 * again (about 0.1 s) when any of them changed, so an edit is never run stale. A build is written
 * to a temporary directory and renamed into place, so instances starting together on one checkout
 * never load half a build. Plain JavaScript: it runs before anything can load TypeScript.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root (where package.json is). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where builds are kept unless told otherwise; `npm ci` starts it afresh. */
export const DEFAULT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'beian-assistant');

// Bumped when what a build contains, or the manifest's shape, changes.
const FORMAT = 1;
const ENTRY = 'src/main.ts';
// Builds kept besides the current one: an instance still running an older build may load its lazy chunks (Slack).
const KEEP_OLDER = 2;
// A temporary directory older than this was left by a build that died.
const ABANDONED_MS = 10 * 60_000;

const sha = (data) => createHash('sha256').update(data).digest('hex');

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The installed esbuild's version, read without loading esbuild (a start that finds its build never loads it). */
function esbuildVersion(root) {
  return readJson(join(root, 'node_modules', 'esbuild', 'package.json'))?.version;
}

/**
 * The entry of the cached build when it was built from exactly the files as they are now (and by the
 * installed esbuild); `undefined` when there is none or anything differs.
 */
export function currentBuild({ root = ROOT, cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const manifest = readJson(join(cacheDir, 'manifest.json'));
  if (manifest?.format !== FORMAT || manifest.esbuild !== esbuildVersion(root) || typeof manifest.build !== 'string') return undefined;
  const entry = join(cacheDir, manifest.build, 'main.js');
  if (!existsSync(entry)) return undefined;
  for (const [file, hash] of Object.entries(manifest.inputs ?? {})) {
    let content;
    try {
      content = readFileSync(join(root, file));
    } catch {
      return undefined;
    }
    if (sha(content) !== hash) return undefined;
  }
  return entry;
}

/** Hashes each source file exactly as esbuild reads it, so the manifest names what is in the bundle. */
function hashingPlugin(root, inputs) {
  return {
    name: 'hash-inputs',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mts|js|mjs|json)$/ }, async (args) => {
        if (args.path.split(sep).includes('node_modules')) return undefined;
        const contents = await readFile(args.path);
        inputs[relative(root, args.path).split(sep).join('/')] = sha(contents);
        const ext = extname(args.path);
        return { contents, loader: ext === '.json' ? 'json' : ext === '.ts' || ext === '.mts' ? 'ts' : 'js' };
      });
    },
  };
}

/** Removes builds beyond the current one and KEEP_OLDER others, and temporary directories a dead build left. */
function prune(cacheDir, keep) {
  const now = Date.now();
  const builds = [];
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    if (!stat.isDirectory()) continue;
    if (name.startsWith('.tmp-')) {
      if (now - stat.mtimeMs > ABANDONED_MS) rmSync(path, { recursive: true, force: true });
    } else if (name !== keep) builds.push({ path, mtime: stat.mtimeMs });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_OLDER)) rmSync(old.path, { recursive: true, force: true });
}

/** Builds the bundle into the cache and makes it current; returns its entry. */
export async function build({ root = ROOT, cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const esbuild = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, '.tmp-'));
  try {
    const inputs = {};
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: ENTRY },
      bundle: true,
      // Dynamic imports (the Slack adapter) stay separate chunks, loaded only when configured.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      tsconfig: join(root, 'tsconfig.json'),
      outdir: tmp,
      sourcemap: true,
      logLevel: 'silent',
      plugins: [hashingPlugin(root, inputs)],
    });
    inputs['tsconfig.json'] = sha(readFileSync(join(root, 'tsconfig.json')));
    const sorted = Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1)));
    const id = sha(JSON.stringify({ format: FORMAT, esbuild: esbuild.version, inputs: sorted })).slice(0, 16);
    const dir = join(cacheDir, id);
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another start built the same files first: its build is this one.
      if (!existsSync(join(dir, 'main.js'))) throw error;
    }
    const manifest = join(cacheDir, `.manifest-${process.pid}-${id}.json`);
    writeFileSync(manifest, `${JSON.stringify({ format: FORMAT, esbuild: esbuild.version, build: id, builtAt: new Date().toISOString(), inputs: sorted }, null, 1)}\n`);
    renameSync(manifest, join(cacheDir, 'manifest.json'));
    prune(cacheDir, id);
    return join(dir, 'main.js');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The cached build when it is current, else a new one. */
export async function ensureBuild(opts = {}) {
  return currentBuild(opts) ?? (await build(opts));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const entry = await build();
  process.stdout.write(`built ${relative(ROOT, entry)} in ${Math.round(performance.now() - started)} ms\n`);
}

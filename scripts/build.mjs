/**
 * The start-up build (issue 12). `npm start` runs the app from an esbuild bundle of src/, flows/ and
 * adapters/ (packages stay external) instead of through tsx's module hooks, which took about a
 * quarter of a start on 100,000 filings. The bundle is cached under node_modules/.cache, keyed by
 * the content of every file it was built from. A start re-hashes those files (a few ms) and builds
 * again (about 0.1 s) when any of them changed, so an edit is never run stale. A build is written
 * to a temporary directory and renamed into place, so instances starting together on one checkout
 * never load half a build. Plain JavaScript: it runs before anything can load TypeScript.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root (where package.json is). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where builds are kept unless told otherwise; `npm ci` starts it afresh. */
export const DEFAULT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'beian-assistant');

// Bumped when what a build contains, or the manifest's shape, changes.
const FORMAT = 2;
// The directories the app is built from: any file added, removed or renamed in them makes a build stale.
const SOURCE_DIRS = ['src', 'flows', 'adapters'];
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

/** Every file under the source directories, as sorted relative paths: a file added next to an import can change what it resolves to. */
function sourceFiles(root) {
  const files = [];
  for (const dir of SOURCE_DIRS) {
    let names;
    try {
      names = readdirSync(join(root, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of names)
      if (entry.isFile())
        files.push(
          relative(root, join(entry.parentPath ?? entry.path, entry.name))
            .split(sep)
            .join('/'),
        );
  }
  return files.sort();
}

// Whether every file in `files` (relative to `dir`) still has the hash recorded for it.
function unchanged(dir, files) {
  const entries = Object.entries(files ?? {});
  if (entries.length === 0) return false;
  for (const [file, hash] of entries) {
    let content;
    try {
      content = readFileSync(join(dir, file));
    } catch {
      return false;
    }
    if (sha(content) !== hash) return false;
  }
  return true;
}

/**
 * The entry of the cached build when it was built from exactly the files as they are now (and by the
 * installed esbuild) and is itself whole; `undefined` when there is none or anything differs.
 */
export function currentBuild({ root = ROOT, cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const manifest = readJson(join(cacheDir, 'manifest.json'));
  if (manifest?.format !== FORMAT || manifest.esbuild !== esbuildVersion(root) || typeof manifest.build !== 'string') return undefined;
  if (manifest.sources !== sha(sourceFiles(root).join('\n'))) return undefined;
  if (!unchanged(root, manifest.inputs)) return undefined;
  // A build cut short or damaged (a lost write, a deleted chunk) is built again rather than run.
  const dir = join(cacheDir, manifest.build);
  if (!unchanged(dir, manifest.outputs)) return undefined;
  return join(dir, 'main.js');
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json', '.txt': 'text' };

/** Hashes each project file exactly as esbuild reads it, so the manifest names what is in the bundle. */
function hashingPlugin(root, inputs) {
  return {
    name: 'hash-inputs',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const file = relative(root, args.path);
        if (file.split(sep).includes('node_modules')) return undefined;
        const loader = LOADERS[extname(args.path)];
        if (!loader) throw new Error(`the start-up build cannot load ${file}: no loader for its extension`);
        const contents = await readFile(args.path);
        inputs[file.split(sep).join('/')] = sha(contents);
        return { contents, loader };
      });
    },
  };
}

// The hash of every file a build wrote, so a damaged build is noticed.
function outputHashes(dir) {
  const outputs = {};
  for (const name of readdirSync(dir).sort()) outputs[name] = sha(readFileSync(join(dir, name)));
  return outputs;
}

/** Removes builds beyond the current one and KEEP_OLDER others, and the temporary files a dead build left. */
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
    if (name.startsWith('.manifest-') && now - stat.mtimeMs > ABANDONED_MS) rmSync(path, { force: true });
    if (!stat.isDirectory()) continue;
    if (name.startsWith('.tmp-')) {
      if (now - stat.mtimeMs > ABANDONED_MS) rmSync(path, { recursive: true, force: true });
    } else if (name !== keep) builds.push({ path, mtime: stat.mtimeMs });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_OLDER)) rmSync(old.path, { recursive: true, force: true });
}

// Builds running in this process (they share esbuild's service).
let building = 0;

const sameOutputs = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Renames the new build into place. When a start building the same files (esbuild's output is the
 * same for the same input) got there first, its build is this one; one that differs was damaged and
 * is replaced.
 */
function placeBuild(tmp, dir, outputs) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      renameSync(tmp, dir);
      return;
    } catch (error) {
      if (!existsSync(dir)) throw error;
    }
    if (sameOutputs(outputHashes(dir), outputs)) {
      const now = new Date();
      // In use again (a revert, say): the newest, so pruning keeps it.
      utimesSync(dir, now, now);
      return;
    }
    const damaged = `${dir}.damaged-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(dir, damaged);
      rmSync(damaged, { recursive: true, force: true });
    } catch {
      // Another start moved it first; try again.
    }
  }
  throw new Error(`could not put the start-up build in place at ${dir}`);
}

/** Builds the bundle into the cache and makes it current; returns its entry. */
export async function build({ root = ROOT, cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const esbuild = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, '.tmp-'));
  try {
    const inputs = {};
    const sources = sha(sourceFiles(root).join('\n'));
    building++;
    try {
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
    } finally {
      // The build service is a child process: a start that built must not keep it for its whole life.
      // Builds in one process share it, so the last to finish stops it.
      if (--building === 0) await esbuild.stop();
    }
    // Under node_modules the nearest package.json is not the project's: say the chunks are ES modules.
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
    inputs['tsconfig.json'] = sha(readFileSync(join(root, 'tsconfig.json')));
    const sorted = Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1)));
    const id = sha(JSON.stringify({ format: FORMAT, esbuild: esbuild.version, sources, inputs: sorted })).slice(0, 16);
    const dir = join(cacheDir, id);
    const outputs = outputHashes(tmp);
    placeBuild(tmp, dir, outputs);
    const manifest = join(cacheDir, `.manifest-${process.pid}-${randomBytes(6).toString('hex')}.json`);
    writeFileSync(manifest, `${JSON.stringify({ format: FORMAT, esbuild: esbuild.version, build: id, builtAt: new Date().toISOString(), sources, inputs: sorted, outputs }, null, 1)}\n`);
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

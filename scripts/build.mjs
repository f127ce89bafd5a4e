/**
 * `npm run build`: bundles the app (src/main.ts) and the operators' send-event script into dist/
 * with esbuild. Packages stay external, and dynamic imports (the Slack adapter) stay separate
 * chunks that load only when configured. Each file is written whole under a temporary name and
 * renamed into place, so an instance starting while another `npm start` builds never loads half a
 * file; files of earlier builds are removed.
 *
 * With `--if-esbuild` (npm's prestart): an install without the build tools (`npm ci --omit=dev`)
 * runs the dist/ it was given, and only fails when there is none.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm start` runs this first (prestart), so a stop can come while it builds. With no listener the
// signal kills it wherever it is, even between writing a file and renaming it, leaving a temporary
// file no later build removes. With this one it is handled between steps: a stop while esbuild works
// ends the build before anything is written, one while the files are written (synchronous) waits for
// them. Then the process ends by that same signal (the listener is gone by then), so npm ends by it
// too instead of going on to start an app nobody wants any more.
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.kill(process.pid, signal));

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  if (!process.argv.includes('--if-esbuild') || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  if (existsSync(join(dist, 'main.js'))) process.exit(0);
  process.stderr.write('dist/ is missing and esbuild is not installed: run `npm ci && npm run build` first\n');
  process.exit(1);
}

const { outputFiles } = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', 'send-event': 'scripts/send-event.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  outdir: dist,
  write: false,
  logLevel: 'warning',
});

mkdirSync(dist, { recursive: true });
const built = new Set();
for (const file of outputFiles) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
  built.add(basename(file.path));
}
// Another build's temporary files are its own to rename.
for (const name of readdirSync(dist)) if (!built.has(name) && !name.endsWith('.tmp')) rmSync(join(dist, name), { recursive: true, force: true });

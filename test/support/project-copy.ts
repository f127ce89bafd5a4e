/** A copy of the project's own files somewhere else (another checkout, an image), for tests of what depends on where the code lies. */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout's root (where package.json is). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the app is built and run from. */
export const APP_PARTS = ['src', 'flows', 'adapters', 'data', 'tsconfig.json', 'package.json'];

/**
 * Copies `parts` of the project at `from` into `dir` and gives the copy the project's packages:
 * `all` links node_modules itself; `production` makes a node_modules of its own holding a link to
 * each package `npm ci --omit=dev` installs (no build tools). Returns `dir`.
 */
export function copyProject(dir: string, opts: { parts?: readonly string[]; from?: string; packages?: 'all' | 'production' } = {}): string {
  const from = opts.from ?? ROOT;
  for (const part of opts.parts ?? APP_PARTS) cpSync(join(from, part), join(dir, part), { recursive: true });
  linkPackages(dir, opts.packages ?? 'all');
  return dir;
}

/** Gives `dir` a node_modules: a link to this checkout's, or links to its production packages only. */
export function linkPackages(dir: string, packages: 'all' | 'production'): void {
  if (packages === 'all') {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return;
  }
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Nested packages come with the package they sit in.
    if (!path.startsWith('node_modules/') || path.lastIndexOf('node_modules/') !== 0 || entry.dev) continue;
    const target = join(ROOT, path);
    if (!existsSync(target)) continue; // an optional package for another platform
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(target, join(dir, path), 'dir');
  }
}

/** A copy of the project's own files somewhere else (another checkout), for tests of what depends on where the code lies. */
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/build.mjs';

/** What the app is built and run from. */
export const APP_PARTS = ['src', 'flows', 'adapters', 'data', 'tsconfig.json', 'package.json'];

/**
 * Copies `parts` of the project at `from` into `dir` and gives the copy the project's packages:
 * `folder` links node_modules itself; `each` makes a node_modules of its own holding a link to each
 * package (so its node_modules/.cache is its own). Returns `dir`.
 */
export function copyProject(dir: string, opts: { parts?: readonly string[]; from?: string; packages?: 'folder' | 'each' } = {}): string {
  const from = opts.from ?? ROOT;
  for (const part of opts.parts ?? APP_PARTS) cpSync(join(from, part), join(dir, part), { recursive: true });
  if (opts.packages === 'each') {
    mkdirSync(join(dir, 'node_modules'));
    for (const name of readdirSync(join(ROOT, 'node_modules'))) if (name !== '.cache') symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  } else symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

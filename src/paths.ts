/**
 * Where the project's own files are (package.json, data/). Found by walking up from this module, so
 * the same answer comes from src/ (tsx, tests) and from the bundle in dist/ that `npm start` runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'beian-assistant';

function readPackage(dir: string): { name?: string; version?: string } | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}

function findRoot(from: string): { root: string; version: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = readPackage(dir);
    if (manifest?.name === PACKAGE_NAME) return { root: dir, version: manifest.version ?? 'unknown' };
    if (dirname(dir) === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${from}`);
  }
}

const found = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The project's root directory (where package.json is). */
export const PROJECT_ROOT: string = found.root;

/** The version in package.json. */
export const APP_VERSION: string = found.version;

/** A path inside the project, e.g. `projectFile('data', 'demo-filings.json')`. */
export function projectFile(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}

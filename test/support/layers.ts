/**
 * The layer check behind test/architecture.test.ts: reads import and export-from lines (static and
 * dynamic `import()`) and names, by file and line, every import that points the wrong way.
 * Layers point one way: adapters/ → flows/ → src/; src/main.ts, the composition root, may see all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

/** A source file: its path from the repository root (with `/`) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** One import found in a file. */
export interface ImportLine {
  line: number;
  specifier: string;
}

/** Platform SDKs and stores: flows stay pure and never import these. */
export const PLATFORM_PACKAGES = [/^telegraf(\/|$)/, /^@slack\//, /^@larksuiteoapi\//, /^keyv(\/|$)/, /^@keyv\//, /^better-sqlite3(\/|$)/, /^ioredis(\/|$)/];

const PATTERNS = [
  // import x from 'y'; import { a, b } from 'y'; export { a } from 'y'; export * from 'y' (over several lines too).
  /(?:^|[\n;])\s*(?:import|export)\s[^'";]*?\sfrom\s*(['"])([^'"\n]+)\1/g,
  // import 'y' (for its side effects).
  /(?:^|[\n;])\s*import\s*(['"])([^'"\n]+)\1/g,
  // import('y'), a dynamic import with a literal specifier.
  /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
];

/** Every import specifier in a text, with the line it stands on. */
export function importsOf(text: string): ImportLine[] {
  const found: Array<ImportLine & { at: number }> = [];
  for (const pattern of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const at = match.index + match[0].lastIndexOf(match[1]! + match[2]!);
      found.push({ at, specifier: match[2]!, line: text.slice(0, at).split('\n').length });
    }
  }
  const seen = new Set<number>();
  return found
    .filter((f) => !seen.has(f.at) && seen.add(f.at))
    .sort((a, b) => a.at - b.at)
    .map(({ line, specifier }) => ({ line, specifier }));
}

/** The layer a path belongs to: `root` (src/main.ts), `src`, `flows`, `adapters/<name>`, `test`, `bench`, or `other`. */
export function layerOf(path: string): string {
  if (path === 'src/main.ts') return 'root';
  const [top, second] = path.split('/');
  if (top === 'adapters') return `adapters/${second}`;
  return top === 'src' || top === 'flows' || top === 'test' || top === 'bench' ? top : 'other';
}

/** Why an import from a file in `from` to `specifier` (resolved to `target` when relative) points the wrong way, if it does. */
function wrongWay(from: string, specifier: string, target: string | undefined): string | undefined {
  if (target === undefined) {
    if (from === 'flows' && PLATFORM_PACKAGES.some((p) => p.test(specifier))) return 'flows import no platform SDK or store';
    return undefined;
  }
  const to = layerOf(target);
  if (from === 'test' || from === 'bench' || from === 'root') return undefined;
  if (to === 'test' || to === 'bench') return `${from} imports nothing from ${to}/`;
  if (from === 'src' && (to === 'flows' || to.startsWith('adapters/') || to === 'root')) return 'src imports nothing from flows/ or adapters/ (only src/main.ts does)';
  if (from === 'flows' && (to.startsWith('adapters/') || to === 'root')) return 'flows import no adapter';
  if (from.startsWith('adapters/') && to.startsWith('adapters/') && to !== from) return 'an adapter imports no other adapter';
  if (from.startsWith('adapters/') && to === 'root') return 'an adapter does not import the composition root';
  return undefined;
}

/** Why an import reaches into one backend's folder from outside `src/backends/`, if it does: the rest takes the parts `openBackend` hands out. */
function backendChoice(path: string, target: string | undefined): string | undefined {
  if (target === undefined || !/^src\/backends\/[^/]+\//.test(target)) return undefined;
  // The Redis filings are the Redis backend's own, on its connection (`openFilings`).
  if (path.startsWith('src/backends/') || path === 'src/filings/filings.redis.ts' || ['test', 'bench'].includes(layerOf(path))) return undefined;
  return 'only src/backends/ opens a backend; the rest takes the parts openBackend hands out';
}

/** Every import in these files that points the wrong way, as `file:line: 'specifier' (reason)`. */
export function wrongImports(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    for (const { line, specifier } of importsOf(file.text)) {
      const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file.path), specifier)).replace(/\.js$/, '.ts') : undefined;
      const why = wrongWay(from, specifier, target) ?? backendChoice(file.path, target);
      if (why) out.push(`${file.path}:${line}: '${specifier}' (${why})`);
    }
  }
  return out;
}

/** Reads every `.ts` file under these folders of the repository at `root`. */
export function readSources(root: string, folders: string[]): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push({ path: relative(root, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files;
}

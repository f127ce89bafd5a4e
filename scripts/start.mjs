/**
 * What `npm start` runs: the app from the start-up build (scripts/build.mjs), made or refreshed
 * first when the sources changed. When no build can be made (a read-only install, no esbuild) it
 * says so on stderr and runs from source through tsx, slower to start but the same app.
 */
import { pathToFileURL } from 'node:url';
import { ensureBuild } from './build.mjs';

let entry;
try {
  entry = await ensureBuild();
} catch (error) {
  const line = { t: new Date().toISOString(), level: 'warn', msg: 'start-up build unavailable: running from source through tsx (slower to start)', error: String(error?.message ?? error) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}
if (entry) {
  // Stack traces name the TypeScript files and lines, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}

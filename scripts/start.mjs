/**
 * What `npm start` runs: the app from the start-up build (scripts/build.mjs), made or refreshed
 * first when the sources changed. When no build can be made (a read-only install, no esbuild) or it
 * vanished before it loaded, it says so on stderr and runs from source through tsx: slower to start,
 * the same app.
 */
import { pathToFileURL } from 'node:url';
import { ensureBuild } from './build.mjs';

function warn(msg, error) {
  const line = { t: new Date().toISOString(), level: 'warn', msg, error: String(error?.message ?? error) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

async function fromBuild() {
  let entry;
  try {
    entry = await ensureBuild();
  } catch (error) {
    warn('start-up build unavailable: running from source through tsx (slower to start)', error);
    return false;
  }
  // Stack traces name the TypeScript files and lines, as they do under tsx.
  process.setSourceMapsEnabled(true);
  try {
    await import(pathToFileURL(entry).href);
    return true;
  } catch (error) {
    // Only a build that vanished (pruned or removed by hand) falls back; the app's own errors are its own.
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(entry.slice(0, entry.lastIndexOf('/')))) throw error;
    warn('start-up build vanished while loading: running from source through tsx', error);
    return false;
  }
}

if (!(await fromBuild())) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}

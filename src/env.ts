/** Loads `.env` at start (issue 13): a variable already set in the environment wins over the file. */
import { existsSync } from 'node:fs';

/** Loads `path` into process.env when the file exists and this Node can (≥ 20.12); says whether it did. */
export function loadDotEnv(path = '.env'): boolean {
  // process.loadEnvFile came in Node 20.12; on an older 20.x the file is ignored rather than failing the start.
  const load = (process as { loadEnvFile?: (path: string) => void }).loadEnvFile;
  if (typeof load !== 'function' || !existsSync(path)) return false;
  load.call(process, path);
  return true;
}

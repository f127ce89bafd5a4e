/** Start-up failures as an operator reads them: one line each, saying what failed and what to do; stack traces only on request. */
import { ConfigError } from './config.js';
import { FilingsFileError } from './filings/filings.file.js';
import { StoreError } from './store/store.errors.js';

/** A start-up failure an operator can fix; its message is one line saying what failed and what to do. */
export class StartError extends Error {
  override name = 'StartError';
}

/** The first line of an error's message: what a failure we did not foresee says, on one line. */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

/**
 * What a failed start writes on stderr: `cannot start: …`, one line per problem (a bad configuration
 * or filings file may have several). With `traces` (LOG_LEVEL=debug) the error's stack and its
 * causes' follow; without, a failure we did not foresee says how to see them.
 */
export function startFailureText(error: unknown, traces: boolean): string {
  let lines: string[];
  if (error instanceof ConfigError) lines = error.problems.map((p) => `cannot start: ${p}`);
  else if (error instanceof FilingsFileError) lines = error.lines.map((l) => `cannot start: filings file ${l}`);
  else if (error instanceof StartError) lines = [`cannot start: ${error.message}`];
  else if (error instanceof StoreError) lines = [`cannot start: ${firstLine(error)}: check that the store STORE_URL names is running and reachable from here`];
  else lines = [`cannot start: ${firstLine(error)}${traces ? '' : ' (LOG_LEVEL=debug shows where)'}`];
  if (traces) {
    for (let e: unknown = error; e instanceof Error; e = e.cause) lines.push(e.stack ?? String(e));
  }
  return `${lines.join('\n')}\n`;
}

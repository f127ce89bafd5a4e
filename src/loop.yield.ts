/** Long loops that share the event loop: a pause every few milliseconds, so requests (webhooks, /healthz, turns) get in between. */
import { setImmediate as nextMacrotask } from 'node:timers/promises';

/** How long a loop may hold the event loop before it lets others in; issue 12 bounds a stall at 50 ms. */
export const YIELD_EVERY_MS = 10;

/**
 * A pause for a long loop: `await pause()` costs a microtask until `everyMs` have passed since the
 * last pause, then waits for the event loop's next turn (setImmediate, after pending I/O).
 * Awaited store calls alone do not yield: an in-process store resolves in a microtask.
 */
export function loopYielder(everyMs = YIELD_EVERY_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await nextMacrotask();
    last = performance.now();
  };
}

/** Waiting for something asynchronous in end-to-end tests: a generous bound, never an assertion on time. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until `check` returns a value, polling every 10 ms; fails after `ms` with what it waited for. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

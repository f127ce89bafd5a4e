/** Telegram's long polling: getUpdates in a loop, each update dispatched without waiting, with back-pressure and back-off. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Logger } from '../../src/log.js';
import { apiErrorOf } from './telegram.outbox.js';

/** The update kinds this bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'] as const;

/** What the polling loop needs. */
export interface PollingOptions {
  log: Logger;
  /** Long-poll timeout asked of getUpdates, in seconds. */
  timeoutSec: number;
  /** A getUpdates that comes back empty sooner than this waits out the rest (a server that ignores `timeout` would spin). */
  idleMs: number;
  /** Updates being handled at once before polling waits for some to finish. */
  maxInFlight: number;
  /** The turns being handled now. */
  inFlight: ReadonlySet<Promise<void>>;
  /** Handles one update (not awaited: other chats go on while one is slow). */
  dispatch(update: Update): Promise<void>;
}

/** A running polling loop. */
export interface Polling {
  /** getUpdates failures in a row (health turns bad at 3). */
  readonly errors: number;
  /** Stops the loop; resolves once it has ended. */
  stop(): Promise<void>;
}

/** Starts polling getUpdates until stopped. */
export function startPolling(bot: Telegraf, o: PollingOptions): Polling {
  let errors = 0;
  let stopped = false;
  const abort = new AbortController();
  // telegraf types its signal as the abort-controller polyfill; node-fetch accepts Node's own.
  const signal = abort.signal as unknown as NonNullable<Parameters<typeof bot.telegram.callApi>[2]>['signal'];
  const wait = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  const loop = async (): Promise<void> => {
    let offset = 0;
    while (!stopped) {
      const started = performance.now();
      try {
        const updates = (await bot.telegram.callApi('getUpdates', { offset, timeout: o.timeoutSec, limit: 100, allowed_updates: [...ALLOWED_UPDATES] }, { signal })) as Update[];
        errors = 0;
        for (const update of updates) {
          offset = Math.max(offset, update.update_id + 1);
          void o.dispatch(update);
        }
        while (o.inFlight.size >= o.maxInFlight && !stopped) await Promise.race(o.inFlight);
        const elapsed = performance.now() - started;
        // A real long poll waits server-side; one that comes back empty at once must not become a busy loop.
        if (updates.length === 0 && elapsed < o.idleMs && !stopped) await wait(o.idleMs - elapsed);
      } catch (error) {
        if (stopped) break;
        errors += 1;
        const api = apiErrorOf(error);
        o.log[errors >= 3 ? 'error' : 'warn']('telegram getUpdates failed', { apiError: api.code, description: api.description, attempt: errors });
        await wait(Math.min(30_000, 500 * 2 ** Math.min(errors, 6)));
      }
    }
  };
  const done = loop();
  return {
    get errors() {
      return errors;
    },
    async stop() {
      stopped = true;
      abort.abort();
      await done;
    },
  };
}

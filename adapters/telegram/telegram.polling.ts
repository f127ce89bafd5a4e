/**
 * Telegram's long polling: getUpdates, handle the whole batch (every reply stored in the outbox),
 * and only then confirm it with the next getUpdates' offset. An update whose replies could not be
 * stored is not confirmed: the offset stops at it, and Telegram hands it out again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Logger } from '../../src/log.js';
import { apiErrorOf } from './telegram.sender.js';
import type { UpdateOutcome } from './telegram.turns.js';

/** The update kinds this bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'] as const;

/** What the polling loop needs. */
export interface PollingOptions {
  log: Logger;
  /** Long-poll timeout asked of getUpdates, in seconds. */
  timeoutSec: number;
  /** A getUpdates that comes back empty sooner than this waits out the rest (a server that ignores `timeout` would spin). */
  idleMs: number;
  /** Handles one update; the batch's updates run together (the runner's lock keeps each chat's order). */
  dispatch(update: Update): Promise<UpdateOutcome>;
}

/** A running polling loop. */
export interface Polling {
  /** getUpdates failures in a row (health turns bad at 3). */
  readonly errors: number;
  /** Stops asking for updates, lets the batch in hand finish, and confirms it; resolves once done. */
  stop(): Promise<void>;
}

/** The offset that confirms a handled batch: past the last update, or at the first one that must come again. */
export function confirmedOffset(updates: readonly Update[], outcomes: readonly UpdateOutcome[], offset: number): { offset: number; retry: boolean } {
  const first = outcomes.findIndex((o) => o.status === 'retry');
  if (first >= 0) return { offset: Math.max(offset, updates[first]!.update_id), retry: true };
  return { offset: Math.max(offset, ...updates.map((u) => u.update_id + 1)), retry: false };
}

/** Starts polling getUpdates until stopped. */
export function startPolling(bot: Telegraf, o: PollingOptions): Polling {
  let errors = 0;
  let stopped = false;
  let offset = 0;
  let unconfirmed = false;
  const abort = new AbortController();
  // telegraf types its signal as the abort-controller polyfill; node-fetch accepts Node's own.
  const signal = abort.signal as unknown as NonNullable<Parameters<typeof bot.telegram.callApi>[2]>['signal'];
  const wait = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  const loop = async (): Promise<void> => {
    let retries = 0;
    while (!stopped) {
      const started = performance.now();
      try {
        const updates = (await bot.telegram.callApi('getUpdates', { offset, timeout: o.timeoutSec, limit: 100, allowed_updates: [...ALLOWED_UPDATES] }, { signal })) as Update[];
        errors = 0;
        unconfirmed = false;
        if (updates.length > 0) {
          const outcomes = await Promise.all(updates.map((u) => o.dispatch(u)));
          const next = confirmedOffset(updates, outcomes, offset);
          unconfirmed = next.offset !== offset;
          offset = next.offset;
          retries = next.retry ? retries + 1 : 0;
          // The store is failing: give it a moment before the same update comes back.
          if (next.retry) await wait(Math.min(10_000, 500 * 2 ** Math.min(retries, 5)));
        }
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
    // Confirm the last batch now, so the next start is not handed it again (it would be a no-op, but a slow one).
    if (unconfirmed) {
      try {
        await bot.telegram.callApi('getUpdates', { offset, timeout: 0, limit: 1, allowed_updates: [...ALLOWED_UPDATES] });
      } catch (error) {
        o.log.warn('telegram could not confirm the last updates; the next start gets them again', { description: apiErrorOf(error).description });
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

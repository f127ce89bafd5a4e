/** Sent markers: "stage S of cycle C reached person P's outbox" once stored, so later ticks and restarts skip it. */
import type { StateStore } from '../store/state-store.js';

/** Markers outlive every cycle they guard (24 h window + the closed-window grace), with a margin. */
export const MARKER_TTL_MS = 3 * 86_400_000;

/** A marker's stored value: stored for good (`sent`, or given up), or failed `n` times so far (`retry`). */
export interface SentMarker {
  s: 'sent' | 'retry';
  n: number;
}

/** The marker key of a person's stage (or the returned notice) in a cycle; also the start of its outbox ids. */
export function personMarker(filingId: string, cycle: number, stage: string, phoneKey: string): string {
  return `rem:${filingId}:${cycle}:${stage}:${phoneKey}`;
}

/** The state namespace the reminders keep their markers and pending notices in. */
export const REMINDERS_NAMESPACE = 'reminders';

/**
 * Deletes the markers and pending confirmed notices of phones nobody links any more (the retention
 * sweep's): their key names the phone, and nobody is left to send to. `store` is the root state.
 */
export async function forgetPhoneMarkers(store: StateStore, phoneKeys: ReadonlySet<string>): Promise<number> {
  if (phoneKeys.size === 0) return 0;
  const reminders = store.namespace(REMINDERS_NAMESPACE);
  let deleted = 0;
  for (const prefix of ['rem:', 'cfjob:']) {
    for await (const key of reminders.keys(prefix)) {
      // A filing id holds no ':', so the phone key is the last part of a person's marker and of a confirmed notice's job.
      if (phoneKeys.has(key.slice(key.lastIndexOf(':') + 1)) && (await reminders.delete(key))) deleted += 1;
    }
  }
  return deleted;
}

/** The marker key of a team alert in a cycle. */
export function alertMarker(filingId: string, cycle: number, kind: string): string {
  return `alert:${filingId}:${cycle}:${kind}`;
}

/**
 * The exactly-once guarantee is the outbox's: a unit's messages are enqueued under ids derived
 * from its marker key, and enqueueing an id again is a no-op. So there is no claim before the send:
 * two ticks (a restart, a leader taking over from one that died mid-send) that plan the same unit
 * enqueue the same ids, and the person gets it once. The marker is written after the enqueue only
 * to save later ticks the work, and to count failed attempts: a unit that fails `maxAttempts`
 * times is given up (marked sent).
 */
export class SentMarkers {
  constructor(
    private readonly store: StateStore,
    private readonly maxAttempts = 3,
  ) {}

  /** The attempt a unit is on, or undefined when it was stored already (or given up). */
  async attempt(key: string): Promise<number | undefined> {
    const marker = await this.store.get<SentMarker>(key);
    return marker?.s === 'sent' ? undefined : (marker?.n ?? 0) + 1;
  }

  /** Marks a unit stored for every recipient. */
  async sent(key: string, attempt: number): Promise<void> {
    await this.store.set<SentMarker>(key, { s: 'sent', n: attempt }, MARKER_TTL_MS);
  }

  /** Records a failed attempt; false when attempts are used up (then it counts as sent, and is given up). */
  async failed(key: string, attempt: number): Promise<boolean> {
    const again = attempt < this.maxAttempts;
    await this.store.set<SentMarker>(key, { s: again ? 'retry' : 'sent', n: attempt }, MARKER_TTL_MS);
    return again;
  }

  /** A marker as stored (tests and diagnostics). */
  get(key: string): Promise<SentMarker | undefined> {
    return this.store.get<SentMarker>(key);
  }
}

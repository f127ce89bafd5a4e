/** Sent markers: the only stored facts about reminders; "stage S of cycle C sent to person P" once, across restarts. */
import type { StateStore } from '../store/state-store.js';
import { BootHeartbeat } from './boot.heartbeat.js';

/** Markers outlive every cycle they guard (24 h window + the closed-window grace), with a margin. */
export const MARKER_TTL_MS = 3 * 86_400_000;

/** A marker's stored value. `done` lists the recipients already served, so a retry skips them. */
export interface SentMarker {
  s: 'sending' | 'sent' | 'retry';
  /** The scheduler incarnation that holds or held the claim. */
  boot: string;
  /** Attempts so far. */
  n: number;
  done: string[];
}

/** A claim this scheduler now holds: which attempt, and who was already served. */
export interface Claim {
  key: string;
  n: number;
  done: string[];
}

/** The marker key of a person's stage (or the returned notice) in a cycle. */
export function personMarker(filingId: string, cycle: number, stage: string, phoneKey: string): string {
  return `rem:${filingId}:${cycle}:${stage}:${phoneKey}`;
}

/** The marker key of a team alert in a cycle. */
export function alertMarker(filingId: string, cycle: number, kind: string): string {
  return `alert:${filingId}:${cycle}:${kind}`;
}

/**
 * Claim, then send. The claim is written first (`sending`, with this incarnation's boot id), the
 * send happens, then the marker becomes `sent`.
 *
 * If the process dies between the claim and the send (or during the send), the marker stays
 * `sending` under a boot id no running scheduler has. The next scheduler (after a restart, or the
 * next lease holder) treats such a claim as in doubt and sends again: the person may get that one
 * reminder twice, but never zero times. We chose this because a lost 1 h reminder can cost a
 * filing, and a repeated one costs a second message. A send that fails while the process lives
 * becomes `retry` and is tried again a little later, up to `maxAttempts`, skipping recipients that
 * already got it.
 *
 * With several instances on one store, a `sending` marker of another incarnation is taken over only
 * when its heartbeat has lapsed (boot.heartbeat.ts): a live instance's send in flight
 * is left alone (`busy`), and looked at again later.
 */
export class SentMarkers {
  /** Several instances only: without it (one process) every other incarnation is dead. */
  private readonly heartbeat?: BootHeartbeat;

  /** `heartbeatMs`: with several instances, this boot's heartbeat TTL (others' live sends are then left alone). */
  constructor(
    private readonly store: StateStore,
    private readonly boot: string,
    private readonly maxAttempts = 3,
    heartbeatMs?: number,
  ) {
    if (heartbeatMs) this.heartbeat = new BootHeartbeat(store, boot, heartbeatMs);
  }

  /** Starts this boot's heartbeat, if any. */
  async start(): Promise<void> {
    await this.heartbeat?.start();
  }

  /** Ends this boot's heartbeat, if any: after a clean stop none of its sends is in flight. */
  async stop(): Promise<void> {
    await this.heartbeat?.stop();
  }

  /** Claims a marker; `undefined` when it is sent, in flight here, or out of attempts; `busy` when a live instance is sending it. */
  async claim(key: string): Promise<Claim | 'busy' | undefined> {
    const fresh: SentMarker = { s: 'sending', boot: this.boot, n: 1, done: [] };
    if (await this.store.setIfAbsent(key, fresh, MARKER_TTL_MS)) return { key, n: 1, done: [] };
    return this.store.withLock(`marker:${key}`, async () => {
      const current = await this.store.get<SentMarker>(key);
      if (!current) {
        await this.store.set(key, fresh, MARKER_TTL_MS);
        return { key, n: 1, done: [] };
      }
      if (current.s === 'sent') return undefined;
      if (current.s === 'sending' && current.boot === this.boot) return undefined;
      if (current.s === 'sending' && (await this.heartbeat?.isLive(current.boot))) return 'busy';
      // `retry`, or `sending` left by an incarnation that died mid-send: take it over (see the class comment).
      if (current.n >= this.maxAttempts) {
        await this.store.set<SentMarker>(key, { ...current, s: 'sent' }, MARKER_TTL_MS);
        return undefined;
      }
      const next: SentMarker = { s: 'sending', boot: this.boot, n: current.n + 1, done: current.done ?? [] };
      await this.store.set(key, next, MARKER_TTL_MS);
      return { key, n: next.n, done: next.done };
    });
  }

  /** Marks a claim sent to everyone. */
  async sent(claim: Claim, done: string[]): Promise<void> {
    await this.store.set<SentMarker>(claim.key, { s: 'sent', boot: this.boot, n: claim.n, done }, MARKER_TTL_MS);
  }

  /** Marks a claim for another attempt; false when attempts are used up (then it counts as sent, and is given up). */
  async retry(claim: Claim, done: string[]): Promise<boolean> {
    const again = claim.n < this.maxAttempts;
    await this.store.set<SentMarker>(claim.key, { s: again ? 'retry' : 'sent', boot: this.boot, n: claim.n, done }, MARKER_TTL_MS);
    return again;
  }

  /** A marker as stored (tests and diagnostics). */
  get(key: string): Promise<SentMarker | undefined> {
    return this.store.get<SentMarker>(key);
  }
}

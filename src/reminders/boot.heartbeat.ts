/**
 * A liveness record per scheduler incarnation (its boot id), for several instances on one store:
 * a `sending` marker written by a boot whose heartbeat is still fresh is that instance's send in
 * flight, and nobody else takes it over; once the heartbeat has lapsed (the instance died, or lost
 * the store for longer than the TTL) the marker is in doubt and may be sent again (sent.markers.ts).
 */
import type { StateStore } from '../store/state-store.js';

/** How long a heartbeat lives without renewal by default; renewed every third of it. */
export const DEFAULT_HEARTBEAT_TTL_MS = 30_000;

/** One incarnation's heartbeat, plus the check on others'. */
export class BootHeartbeat {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: StateStore,
    private readonly boot: string,
    private readonly ttlMs = DEFAULT_HEARTBEAT_TTL_MS,
  ) {}

  /** Writes the heartbeat now and keeps renewing it until `stop`. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** Whether the incarnation `boot` is alive (its heartbeat has not lapsed). */
  async isLive(boot: string): Promise<boolean> {
    if (boot === this.boot) return true;
    return (await this.store.get(key(boot))) !== undefined;
  }

  /** Stops renewing and removes the heartbeat: after a clean stop nothing of ours is in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.store.delete(key(this.boot));
  }

  private beat(): Promise<void> {
    return this.store.set(key(this.boot), 1, this.ttlMs);
  }
}

function key(boot: string): string {
  return `boot:${boot}`;
}

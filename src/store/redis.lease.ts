/** A Redis lock lease: taken with `SET NX PX` by the store, renewed here while held, released by compare-and-delete. */
import type { Redis } from 'ioredis';

/** Extends a lease only if this holder still owns it. */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/** Deletes a lease only if this holder still owns it, so a late release never frees another holder's lock. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A held lock lease, renewed in the background until released. */
export class Lease {
  private timer?: NodeJS.Timeout;
  private lost = false;
  private released = false;

  constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly token: string,
    private readonly leaseMs: number,
    private validUntil: number,
  ) {
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const sentAt = Date.now();
    try {
      const extended = await this.client.eval(RENEW, 1, this.key, this.token, this.leaseMs);
      if (extended === 1) this.validUntil = sentAt + this.leaseMs;
      else this.lost = true;
    } catch {
      // A failed renewal is retried on the next tick; if none succeeds in time, validUntil passes and release() reports the loss.
    }
    if (!this.lost && !this.released) this.schedule();
  }

  /** Stops renewing and frees the lock; true when the lease was held without a gap until now. */
  async release(): Promise<boolean> {
    this.released = true;
    clearTimeout(this.timer);
    let held = !this.lost && Date.now() < this.validUntil;
    try {
      if ((await this.client.eval(RELEASE, 1, this.key, this.token)) !== 1) held = false;
    } catch {
      // The work is done and was exclusive while the lease was valid; an unreleased lease expires
      // by itself within leaseMs, so the only cost is that the next holder waits that long.
    }
    return held;
  }
}

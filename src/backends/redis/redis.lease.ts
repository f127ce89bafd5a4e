/**
 * The one Redis lease: a key that one holder (a random token) owns for `leaseMs`, taken only when
 * free, renewed only by its holder, released by compare-and-delete so a late release never frees
 * another holder's. It serves the per-key locks of the state, the filings import and the reminder
 * leader (which renews it on its own timer; the others keep it renewed in the background).
 */
import { randomUUID } from 'node:crypto';
import type { StoreOperation } from '../../store/store.errors.js';
import type { LeaderLease } from '../backend.js';
import type { RedisConnection } from './redis.connection.js';
import { RedisScript } from './redis.script.js';

/** KEYS: the lease. ARGV: token, leaseMs. 1 when this token holds it now (renewed or newly taken). */
const HOLD = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`);

/** KEYS: the lease. ARGV: token. Frees it only if this token holds it. */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** A lease on one Redis key, held by this object's token. */
export class RedisLease implements LeaderLease {
  /** Who holds it: unique per lease object. */
  readonly token = randomUUID();
  private heldUntil = 0;
  private timer?: NodeJS.Timeout;
  /** Set when the lease lapsed or was taken while held: the work under it may have overlapped another holder's. */
  private lost = false;
  private released = false;

  /** `operation`: what a failure is reported as (`withLock` for the state's locks). */
  constructor(
    private readonly connection: RedisConnection,
    private readonly key: string,
    readonly leaseMs: number,
    private readonly operation: StoreOperation = 'lease',
  ) {}

  /** A quarter of the lease: a dead holder is replaced within `leaseMs × 1.25`. */
  get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.leaseMs / 4));
  }

  get held(): boolean {
    return Date.now() < this.heldUntil;
  }

  async hold(): Promise<boolean> {
    const sentAt = Date.now();
    const reply = await this.connection.run(this.operation, (c) => HOLD.run(c, [this.key], [this.token, this.leaseMs]));
    this.heldUntil = reply === 1 ? sentAt + this.leaseMs : 0;
    return reply === 1;
  }

  /** Renews a held lease every third of it until `release`; a renewal that finds it lapsed or taken marks it lost. */
  keepRenewed(): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    // Lapsed before this renewal: someone else may have held it in between, even if it is free again now.
    if (!this.held) this.lost = true;
    try {
      if (!(await this.hold())) this.lost = true;
    } catch {
      // Tried again at the next renewal; if none succeeds in time the lease lapses and release() reports it.
    }
    if (!this.lost && !this.released) this.keepRenewed();
  }

  /** Stops renewing and frees the lease; true when it was held without a gap until now. */
  async release(): Promise<boolean> {
    this.released = true;
    clearTimeout(this.timer);
    let held = !this.lost && this.held;
    this.heldUntil = 0;
    try {
      if ((await this.connection.run(this.operation, (c) => RELEASE.run(c, [this.key], [this.token]))) !== 1) held = false;
    } catch {
      // The work is done and was exclusive while the lease was valid; an unreleased lease expires by
      // itself within leaseMs, so the only cost is that the next holder waits that long.
    }
    return held;
  }
}

/** The StateStore port: small key-value storage with TTLs, atomic set-if-absent and per-key locks. */

/**
 * Where state lives. Implementations: the embedded file store (default), memory (tests) and Redis
 * (several instances). `setIfAbsent` is the primitive behind every "exactly once"; `withLock`
 * serializes every read-modify-write of one key (across processes where the backend can: Redis).
 * Every method rejects with a `StoreError` (store.errors.ts) when the backend fails: a failed read
 * is never reported as a missing key, and a failed write never as success.
 */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Sets the key only if it is absent; true when this call set it. Atomic. */
  setIfAbsent<T>(key: string, value: T, ttlMs?: number): Promise<boolean>;
  /**
   * Runs `fn` while holding the lock on `key`; calls with the same key run one at a time. Rejects
   * with StoreLockTimeoutError when a bounded wait did not get the lock, and with StoreLockLostError
   * when a lease ran out under `fn`; errors thrown by `fn` itself pass through unchanged.
   */
  withLock<R>(key: string, fn: () => Promise<R>): Promise<R>;
  /** Every live key under a prefix (namespace-relative). */
  keys(prefix: string): AsyncIterable<string>;
  /** A view whose keys are all prefixed with `name:`. */
  namespace(name: string): StateStore;
  /** Writes a probe and reads it back; rejects when the backend cannot be written or read. */
  ping(): Promise<void>;
  /** What the backend is and how its connection stands, for /healthz (a networked store only; never a password). */
  describe?(): string;
  close(): Promise<void>;
}

/** Serializes async work per key inside this process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier call with the same key has settled. */
  async run<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => gate);
    this.tails.set(key, tail);
    try {
      await previous.catch(() => undefined);
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys are locked or waited on now. */
  get size(): number {
    return this.tails.size;
  }
}

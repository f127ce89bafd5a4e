/**
 * One ioredis connection with the project's failure semantics, shared by every Redis-backed part of
 * an instance (the StateStore, the outbox, the rate limiter, the time index, the filings): no offline
 * queue, no resent commands, reconnect with backoff, and every failure a StoreError.
 */
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { describeRedisTarget, parseRedisUrl, type RedisTarget } from './redis.url.js';
import { guarded, type StoreOperation } from '../../store/store.errors.js';

// ioredis is loaded with the first connection: an instance on the embedded store never loads it (issue 12).
const requireLazily = createRequire(import.meta.url);
function newClient(options: RedisOptions): Redis {
  const { Redis: Client } = requireLazily('ioredis') as typeof import('ioredis');
  return new Client(options);
}

/** Connection tuning; the defaults suit production, tests shorten them. */
export interface RedisConnectionOptions {
  /** How long the first commands wait for the first connection (start-up) before they fail. Default 5 s. */
  connectWaitMs?: number;
  /** A command with no answer in this time fails (a half-open connection). Default 5 s. */
  commandTimeoutMs?: number;
}

/** A connection to one Redis, for commands (a subscriber needs its own: `duplicate()`). */
export class RedisConnection {
  private everReady = false;
  private lastError?: Error;
  private firstWait?: Promise<void>;
  private readonly connectWaitMs: number;

  private constructor(
    readonly client: Redis,
    /** `redis redis://host:port/db`, for errors and logs (never the password). */
    readonly name: string,
    options: RedisConnectionOptions,
    private readonly target: RedisTarget,
    private readonly commandTimeoutMs: number,
  ) {
    this.connectWaitMs = options.connectWaitMs ?? 5_000;
    client.on('ready', () => {
      this.everReady = true;
      this.lastError = undefined;
    });
    // Kept for the next caller's error (ioredis would otherwise print it); commands fail on their own.
    client.on('error', (error: Error) => {
      this.lastError = error;
    });
  }

  /** Connects to the Redis a `redis://` or `rediss://` URL names; throws a plain Error on a bad URL. */
  static open(url: string, options: RedisConnectionOptions = {}): RedisConnection {
    const target = parseRedisUrl(url);
    const commandTimeoutMs = options.commandTimeoutMs ?? 5_000;
    return new RedisConnection(newClient(toIoredisOptions(target, commandTimeoutMs)), `redis ${describeRedisTarget(target)}`, options, target, commandTimeoutMs);
  }

  /** A second connection to the same Redis with the same settings (pub/sub takes a connection for itself). */
  duplicate(): RedisConnection {
    return new RedisConnection(newClient(toIoredisOptions(this.target, this.commandTimeoutMs)), this.name, { connectWaitMs: this.connectWaitMs }, this.target, this.commandTimeoutMs);
  }

  /** ioredis's state: `ready` when commands can be sent; `connect`, `reconnecting`, `end` otherwise. */
  get status(): string {
    return this.client.status;
  }

  /** The last connection error, if the connection is not ready now (for /healthz). */
  get problem(): string | undefined {
    return this.client.status === 'ready' ? undefined : this.lastError?.message;
  }

  /** Runs one call once connected, turning every failure into a StoreError naming `operation`. */
  run<T>(operation: StoreOperation, call: (client: Redis) => Promise<T>): Promise<T> {
    return guarded(operation, this.name, async () => call(await this.connected()));
  }

  /** The client when it is ready; waits only for the very first connection, and never while reconnecting. */
  async connected(): Promise<Redis> {
    const { client } = this;
    if (client.status === 'ready') return client;
    if (client.status === 'end') throw new Error('the connection is closed');
    if (!this.everReady) {
      await this.firstConnection();
      // Read again: the wait changed it, which the narrowed type above cannot know.
      if (this.status === 'ready') return client;
    }
    const last = this.lastError;
    throw new Error(`not connected (${client.status})${last ? `: ${last.message}` : ''}`, { cause: last });
  }

  /** Resolves when the first connection is ready, or after connectWaitMs; every caller shares one wait. */
  private firstConnection(): Promise<void> {
    this.firstWait ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        this.client.off('end', done);
        this.firstWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.connectWaitMs);
      this.client.on('ready', done);
      this.client.on('end', done);
    });
    return this.firstWait;
  }

  /** Closes the connection: QUIT when connected, otherwise (or if QUIT cannot be sent) drops it and stops reconnecting. */
  async close(): Promise<void> {
    const { client } = this;
    if (client.status === 'end') return;
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    try {
      await client.quit();
    } catch {
      // The socket died under us (the server just went away): nothing is left to flush, so drop it.
      client.disconnect();
    }
  }
}

/** ioredis settings that make a lost connection an error the caller sees at once, never a hang. */
function toIoredisOptions(target: RedisTarget, commandTimeoutMs: number) {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    username: target.username,
    password: target.password,
    tls: target.tls ? {} : undefined,
    // No queue while disconnected and no retry of in-flight commands: a write either reaches Redis
    // while we wait for it, or the caller gets an error and decides (a resent SET NX could lie).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    // Commands issued in the same tick (a turn's reads, the lock beside them) share one socket write and one round trip.
    enableAutoPipelining: true,
    connectTimeout: 5_000,
    // Reconnect for ever, backing off from 50 ms to 2 s between attempts.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt - 1, 6), 2_000),
  };
}

/** The outbox parts for several instances: with a Redis StateStore, the outbox and the send budget live beside it in Redis. */
import { RedisStateStore } from '../store/redis.store.js';
import type { StateStore } from '../store/state-store.js';
import type { OutboxStore } from './outbox.store.js';
import type { ChannelLimits, RateLimiter } from './rate.limiter.js';
import type { OutboxChannel } from './outbox.types.js';
import { RedisRateLimiter } from './redis.limiter.js';
import { RedisOutboxStore } from './redis.store.js';

/** The shared outbox store and rate limiter on the store's own Redis connection; undefined for any other store. */
export function sharedOutboxParts(store: StateStore, limits?: Partial<Record<OutboxChannel, ChannelLimits>>): { store: OutboxStore; limiter: RateLimiter } | undefined {
  if (!(store instanceof RedisStateStore)) return undefined;
  const { connection, root } = store;
  return { store: new RedisOutboxStore(connection, { root }), limiter: new RedisRateLimiter(connection, { root, limits }) };
}

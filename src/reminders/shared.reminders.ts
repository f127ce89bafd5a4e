/**
 * What the reminder service needs to run on several instances sharing a Redis store (issue 10
 * item 3): a leader lease (one dispatcher at a time, failover within 25 s), the time index as a
 * sorted set in Redis (a new leader does not rescan the filings), and a heartbeat per boot (no one
 * takes over a live instance's send in flight). Any other store runs as one process, as before.
 */
import { RedisStateStore } from '../store/redis.store.js';
import type { StateStore } from '../store/state-store.js';
import { DEFAULT_HEARTBEAT_TTL_MS } from './boot.heartbeat.js';
import { LeaderLease } from './leader.lease.js';
import { RedisTimeIndex } from './redis.time.index.js';
import type { RemindersOptions } from './service.js';

/** The shared parts for a Redis store; none for the embedded or memory store. */
export function sharedReminderOptions(store: StateStore): Pick<RemindersOptions, 'lease' | 'index' | 'heartbeatMs'> {
  if (!(store instanceof RedisStateStore)) return {};
  const { connection, root } = store;
  return {
    lease: new LeaderLease(connection, 'reminders', { root }),
    index: new RedisTimeIndex(connection, { root }),
    heartbeatMs: DEFAULT_HEARTBEAT_TTL_MS,
  };
}

/** The Redis backend: every part on one connection, shared by every instance on the same Redis. */
import type { FilingSource } from '../../filings/filings.port.js';
import { RedisFilingSource } from '../../filings/filings.redis.js';
import type { Backend } from '../backend.js';
import { RedisTimeIndex } from './redis.due.js';
import { RedisLease } from './redis.lease.js';
import { RedisRateLimiter } from './redis.limiter.js';
import { RedisOutboxStore } from './redis.outbox.js';
import { RedisStateStore, type RedisStoreOptions } from './redis.state.js';

/** How long the reminder leader's lease lasts without renewal: a dead leader is replaced within 25 s. */
const LEADER_LEASE_MS = 20_000;

/** Opens the Redis backend a `redis://` or `rediss://` URL names; commands fail fast while it is unreachable. */
export function openRedisBackend(url: string, options: RedisStoreOptions = {}): Backend {
  const state = RedisStateStore.open(url, options);
  const { connection, root } = state;
  const filings: FilingSource[] = [];
  return {
    state,
    severalInstances: true,
    outbox: new RedisOutboxStore(connection, { root }),
    rateLimiter: (limits, opts) => new RedisRateLimiter(connection, { root, limits, ...opts }),
    dueIndex: () => new RedisTimeIndex(connection, { root }),
    leader: (name) => new RedisLease(connection, `${root}.leader:${name}`, LEADER_LEASE_MS),
    async openFilings({ state: within, source, keyOf, logger }) {
      const opened = await RedisFilingSource.open(source, { connection, root, store: within.namespace('filings'), keyOf, logger });
      filings.push(opened);
      return opened;
    },
    // What Redis deleted is gone from its memory; its persistence files are the operator's (an AOF rewrite drops old entries).
    scrub: async () => {},
    async close() {
      for (const opened of filings) await opened.close();
      await state.close();
    },
  };
}

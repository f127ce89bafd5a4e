import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openBackend } from '../../src/backends/backend.js';
import { openRedisBackend } from '../../src/backends/redis/redis.backend.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { describeBackendContract } from './backend.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-backend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describeBackendContract({ name: 'memory://', open: () => openBackend('memory://') });
describeBackendContract({ name: 'file: (one SQLite file)', open: () => openBackend(`file:${join(dir, `state-${++files}.sqlite`)}`) });
describeBackendContract({
  name: 'redis://',
  // Every backend gets its own key root, so tests never see each other's keys.
  open: () => openRedisBackend(redis.url, { keyPrefix: `t-${randomUUID()}` }),
  openPair: () => {
    const keyPrefix = `t-${randomUUID()}`;
    return [openRedisBackend(redis.url, { keyPrefix }), openRedisBackend(redis.url, { keyPrefix })];
  },
});

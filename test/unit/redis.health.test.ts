import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/http/health.routes.js';
import { RedisStateStore } from '../../src/backends/redis/redis.state.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const calendar = { officialThrough: '2026-12-31', estimating: false, warn: false } as Parameters<typeof checkHealth>[2];

describe('issue 10 item 1: /healthz reports the Redis connection', () => {
  it('says where the store is and that it is connected; while Redis is down, that it is not and why; and again once it is back', async () => {
    const store = RedisStateStore.open(server.url, { keyPrefix: 'health' });
    try {
      expect((await checkHealth(store, [], calendar)).store).toEqual({ ok: true, detail: `redis redis://127.0.0.1:${server.port}/0: ready` });
      await server.kill();
      const down = await checkHealth(store, [], calendar);
      expect(down.ok).toBe(false);
      expect(down.store.detail).toMatch(/^store ping failed \(redis redis:\/\/127\.0\.0\.1:\d+\/0\): ./);
      await server.restart();
      let back = await checkHealth(store, [], calendar);
      for (const until = Date.now() + 10_000; !back.store.ok && Date.now() < until; back = await checkHealth(store, [], calendar)) await new Promise((r) => setTimeout(r, 50));
      expect(back.store).toEqual({ ok: true, detail: `redis redis://127.0.0.1:${server.port}/0: ready` });
    } finally {
      await store.close();
    }
  });
});

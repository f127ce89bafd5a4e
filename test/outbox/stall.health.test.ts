/**
 * GET /healthz and an outbox that makes no progress: a Sender with no timeout of its own hangs on
 * every chat, so every send slot stays taken while messages wait. On a fake clock: 200 while it is
 * idle or only briefly stuck, 503 with the reason once no send has finished for `stallMs`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { healthHandler } from '../../src/http/health.routes.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { Outbox } from '../../src/outbox/outbox.service.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { FakePlatform, hangingSender, ManualTimers, T0 } from './support.js';

const STALL_MS = 30_000;
const calendar = { officialThrough: '2026-12-31', estimating: false, warn: false };

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function msg(i: number): NewOutboxMessage {
  return { id: `m${i}`, channel: 'telegram', chatId: `chat${i}`, payload: `m${i}`, priority: 'interactive', deadline: T0 };
}

async function serve(): Promise<{ timers: ManualTimers; outbox: Outbox; healthz(): Promise<{ status: number; body: Record<string, unknown> }> }> {
  const timers = new ManualTimers();
  const platform = new FakePlatform(timers);
  const chats = new Set(Array.from({ length: 20 }, (_, i) => `chat${i}`));
  const outbox = new Outbox({ store: new SqliteOutboxStore(':memory:'), metrics: createMetrics(), logger: silentLogger, timers, tuning: { maxInFlight: 8, stallMs: STALL_MS } });
  outbox.register('telegram', hangingSender(timers, platform, chats));
  const store = KeyvStateStore.memory();
  const server = new HttpServer(silentLogger);
  server.route(
    'GET',
    '/healthz',
    healthHandler(
      store,
      () => [],
      () => calendar,
      outbox,
    ),
  );
  const port = await server.listen(0, '127.0.0.1');
  outbox.start();
  // The hung sends never end, so the stop hands their claims back without waiting for them.
  stops.push(async () => {
    void outbox.stop();
    await server.close();
  });
  const healthz = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { timers, outbox, healthz };
}

describe('GET /healthz with an outbox that makes no progress', () => {
  it('stays 200 while idle, turns 503 naming the stall once no send finished for the set time while work is due', async () => {
    const { timers, outbox, healthz } = await serve();
    await timers.advance(2 * STALL_MS);
    expect((await healthz()).status).toBe(200);

    await outbox.enqueue(Array.from({ length: 12 }, (_, i) => msg(i)));
    await timers.advance(STALL_MS - 1000);
    const stuck = await healthz();
    expect(stuck.status).toBe(200);
    expect(stuck.body.outbox).toMatchObject({ ok: true, depth: 12 });

    await timers.advance(2000);
    const stalled = await healthz();
    expect(stalled.status).toBe(503);
    expect(stalled.body).toMatchObject({ ok: false, store: { ok: true } });
    expect(stalled.body.outbox).toMatchObject({ ok: false, depth: 12, detail: 'stalled: no send finished for 31 s while 12 messages wait (8 sends in flight, 8 of them slow)' });
  });
});

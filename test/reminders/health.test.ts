import { afterEach, describe, expect, it } from 'vitest';
import type { RunningAdapter } from '../../src/adapter.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { silentLogger } from '../../src/log.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { startServices } from '../support/services.js';
import { route } from '../../flows/router.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A memory store whose backend cannot be reached. */
function unreachable(): KeyvStateStore {
  const store = KeyvStateStore.memory();
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'ping') return async () => Promise.reject(new Error('connection refused'));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const adapter = (name: string, ok: boolean): RunningAdapter => ({ name, health: async () => ({ ok, detail: ok ? 'polling' : 'token revoked' }), stop: async () => undefined });

async function serve(store: KeyvStateStore, adapters: RunningAdapter[] = [], intervalMs = 0, now = '2026-11-29T10:00:00+08:00', env: Record<string, string> = {}): Promise<string> {
  const core = await createCore(loadConfig({ STORE_URL: 'memory://', ...env }), { route, clock: new FakeClock(now), logger: silentLogger, backend: localBackend(store), filings: [makeFiling()] });
  const server = new HttpServer(silentLogger);
  const reminders = await startServices(core, server, { adapters, reminders: { intervalMs } });
  const port = await server.listen(0, '127.0.0.1');
  stops.push(async () => {
    await reminders.stop();
    await server.close();
    await core.close();
  });
  return `http://127.0.0.1:${port}`;
}

describe('GET /healthz', () => {
  it('answers 200 with the store and each adapter', async () => {
    const base = await serve(KeyvStateStore.memory(), [adapter('telegram', true), adapter('slack', true)]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      store: { ok: true },
      adapters: { telegram: { ok: true, detail: 'polling' }, slack: { ok: true, detail: 'polling' }, reminders: { ok: true, detail: '1 filings indexed' } },
      calendar: { officialThrough: '2026-12-31', estimating: false },
    });
  });

  it('R6 shows when re-report dates are estimated past the official calendar, without failing the probe', async () => {
    const base = await serve(KeyvStateStore.memory(), [], 0, '2026-12-31T10:00:00+08:00');
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, calendar: { officialThrough: '2026-12-31', estimating: true } });
  });

  it('answers 503 when the store is unreachable', async () => {
    const base = await serve(unreachable(), [adapter('telegram', true)]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, store: { ok: false, detail: 'connection refused' } });
  });

  it('shows an adapter that is down without failing the probe', async () => {
    const base = await serve(KeyvStateStore.memory(), [adapter('telegram', false)]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: false, store: { ok: true }, adapters: { telegram: { ok: false, detail: 'token revoked' } } });
  });

  it('reports a scheduler that has ticked', async () => {
    const base = await serve(KeyvStateStore.memory(), [], 50);
    await new Promise((r) => setTimeout(r, 100));
    const body = (await (await fetch(`${base}/healthz`)).json()) as { adapters: Record<string, { ok: boolean; detail: string }> };
    expect(body.adapters.reminders).toEqual({ ok: true, detail: '1 filings indexed; last tick 2026-11-29T02:00:00.000Z' });
  });
});

describe('GET /metrics', () => {
  it('answers Prometheus text with the beian_ metrics', async () => {
    const base = await serve(KeyvStateStore.memory());
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['beian_turns_total', 'beian_sends_total', 'beian_reminders_sent_total', 'beian_reminders_late_total', 'beian_alerts_sent_total', 'beian_outbox_depth', 'beian_filing_events_total'])
      expect(text).toContain(`# TYPE ${name}`);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789';
  it.each<[string, Record<string, string>, number]>([
    ['no Authorization header', {}, 401],
    ['a wrong token', { authorization: 'Bearer metrics-token-0123456780' }, 401],
    ['a prefix of the token', { authorization: 'Bearer metrics-token' }, 401],
    ['Basic instead of Bearer', { authorization: `Basic ${TOKEN}` }, 401],
    ['the token', { authorization: `Bearer ${TOKEN}` }, 200],
    ['the token, scheme in lower case', { authorization: `bearer ${TOKEN}` }, 200],
  ])('%s → %i', async (_name, headers, status) => {
    const base = await serve(KeyvStateStore.memory(), [], 0, undefined, { METRICS_TOKEN: TOKEN });
    const res = await fetch(`${base}/metrics`, { headers });
    expect(res.status).toBe(status);
    const text = await res.text();
    if (status === 200) expect(text).toContain('# TYPE beian_turns_total');
    else {
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(text).not.toContain('beian_');
    }
  });

  it('/healthz stays open for probes', async () => {
    const base = await serve(KeyvStateStore.memory(), [], 0, undefined, { METRICS_TOKEN: TOKEN });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

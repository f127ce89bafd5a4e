import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TelegramSender } from '../../adapters/telegram/telegram.sender.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { Outbox } from '../../src/outbox/outbox.service.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { APP_VERSION } from '../../src/paths.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { route } from '../../flows/router.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Array<{ id: number; title: string; type: string; gridPos: Record<string, number>; targets: Array<{ refId: string; expr: string }> }>;
};

/** Every beian_ metric a dashboard query names, with the histogram series suffixes taken back to the metric. */
function dashboardMetrics(): Set<string> {
  const names = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bbeian_[a-z0-9_]+/g)].map((m) => m[0])));
  return new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')));
}

const registryNames = async () => new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));

describe('issue 13 metrics for ops at a glance', () => {
  it('beian_build_info is 1 with the package version and the Node version', async () => {
    expect(APP_VERSION).toBe(pkg.version);
    const info = await createMetrics().buildInfo.get();
    expect(info.values).toEqual([{ value: 1, labels: { version: pkg.version, node: process.version } }]);
  });

  it('the turn histogram is beian_turn_duration_seconds (renamed from beian_turn_seconds)', async () => {
    const names = await registryNames();
    expect(names.has('beian_turn_duration_seconds')).toBe(true);
    expect(names.has('beian_turn_seconds')).toBe(false);
  });

  it('beian_open_windows counts the verifying filings at each scrape', async () => {
    const config = loadConfig({ STORE_URL: 'memory://' });
    const filings = [makeFiling({ id: 'VE-OPEN-0001' }), makeFiling({ id: 'VE-OPEN-0002' }), makeFiling({ id: 'VE-DONE-0003', status: 'approved', cycle: undefined })];
    const core = await createCore(config, { route, clock: new FakeClock('2026-11-29T10:00:00+08:00'), logger: createLogger({ sink: () => {} }), backend: localBackend(KeyvStateStore.memory()), filings });
    try {
      expect(await core.metrics.registry.metrics()).toMatch(/^beian_open_windows 2$/m);
      await core.filings.apply({ eventId: 'e', type: 'filing.status', at: '2026-11-29T10:00:00+08:00', filingId: 'VE-OPEN-0001', status: 'approved' });
      expect(await core.metrics.registry.metrics()).toMatch(/^beian_open_windows 1$/m);
    } finally {
      await core.close();
    }
  });

  it('a 429 from Telegram counts in beian_rate_limited_total{channel="telegram"}', async () => {
    const metrics = createMetrics();
    const logger = createLogger({ sink: () => {} });
    const outbox = new Outbox({ store: new SqliteOutboxStore(':memory:'), metrics, logger, tuning: { pollMs: 5 } });
    let calls = 0;
    const telegram = {
      sendMessage: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('429'), { response: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 0', parameters: { retry_after: 0 } } });
        return { message_id: 1 };
      },
      deleteMessage: async () => true,
    };
    outbox.register('telegram', new TelegramSender(telegram as never, logger));
    outbox.start();
    await outbox.enqueue([{ id: 'm1', channel: 'telegram', chatId: '1', payload: { op: 'send', text: 'hi', extra: {} }, priority: 'interactive', deadline: 0 }]);
    while ((await outbox.stats()).pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(2);
    expect((await metrics.rateLimited.get()).values).toEqual([{ value: 1, labels: { channel: 'telegram' } }]);
    await outbox.stop();
  });
});

describe('issue 13 docs/grafana-dashboard.json', () => {
  it('every metric a panel queries exists in the registry', async () => {
    const names = await registryNames();
    const used = [...dashboardMetrics()];
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('every beian_ metric the assistant exports has a panel', async () => {
    const used = dashboardMetrics();
    expect([...(await registryNames())].filter((n) => n.startsWith('beian_') && !used.has(n))).toEqual([]);
  });

  it('shows open windows, reminders sent and late, alerts, outbox depth, 429s and turn latency', () => {
    const used = dashboardMetrics();
    for (const name of ['beian_open_windows', 'beian_reminders_sent_total', 'beian_reminders_late_total', 'beian_alerts_sent_total', 'beian_outbox_depth', 'beian_rate_limited_total', 'beian_turn_duration_seconds'])
      expect(used.has(name), name).toBe(true);
  });

  it('is a well-formed dashboard: unique panel ids, a grid position and a query on every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos, panel.title).toMatchObject({ x: expect.any(Number), y: expect.any(Number), w: expect.any(Number), h: expect.any(Number) });
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr.trim(), panel.title).not.toBe('');
    }
  });
});

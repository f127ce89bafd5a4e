/**
 * EVENTS_SECRET with no platform token (issue 11 §6, issue 13): the app, as a child process, serves
 * the hook, /healthz and /metrics, says at start why it runs no reminders, and stops cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { HEADLESS_NOTE } from '../../src/headless.js';
import { startApp, type AppProcess } from '../support/app-process.js';

const SECRET = 'headless-test-secret-0123456789abcdef';
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0).reverse()) c();
});

async function post(app: AppProcess, event: Record<string, unknown>, secret = SECRET): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${app.base}/hooks/filing-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signEvent(secret, timestamp, body) },
    body,
  });
  return { status: res.status, body: await res.json() };
}

describe('EVENTS_SECRET and no platform', () => {
  it('serves the hook, /healthz and /metrics, says why no reminders run, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-headless-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const app = await startApp({ mode: 'node', env: { EVENTS_SECRET: SECRET, STORE_URL: `file:${join(dir, 'state.sqlite')}`, PHONE_KEY_FILE: join(dir, 'key'), HOST: '127.0.0.1' } });
    cleanup.push(() => app.killTree());
    await app.waitForHealth();

    const note = await app.waitForLog(HEADLESS_NOTE);
    expect(note).toMatchObject({ level: 'warn', reminders: false, hook: true });
    expect(HEADLESS_NOTE).toContain('applicant reminders and team alerts cannot be delivered');
    expect(app.logged('listening')).toBe(true);
    // No console: nothing of the demo's chat on stdout.
    expect(app.lines.some((l) => l.includes('console demo') || l.includes('控制台演示'))).toBe(false);

    const health = await fetch(`${app.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, store: { ok: true }, adapters: {} });

    const at = new Date().toISOString();
    expect(await post(app, { eventId: 'h-1', type: 'filing.reported', filingId: 'VE-2026-000103', at })).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    expect(await post(app, { eventId: 'h-1', type: 'filing.reported', filingId: 'VE-2026-000103', at })).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect((await post(app, { eventId: 'h-2', type: 'filing.reported', filingId: 'VE-2026-000103', at }, 'a-different-secret-0123456789')).status).toBe(401);

    const metrics = await (await fetch(`${app.base}/metrics`)).text();
    expect(metrics).toContain('beian_filing_events_total{type="filing.reported",outcome="accepted"} 1');
    expect(metrics).toContain('beian_filing_events_total{type="filing.reported",outcome="duplicate"} 1');
    expect(metrics).not.toMatch(/beian_reminders_sent_total\{/);

    app.signal('SIGTERM');
    expect(await app.waitForExit(15_000)).toEqual({ code: 0, signal: null });
  });
});

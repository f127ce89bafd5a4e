/**
 * A filing event while the state file is locked by another process (issue 15 §1): the hook must
 * answer 503 with Retry-After and save nothing, so the filing system sends it again; the resend after
 * the lock is gone is applied once, and the change and its event id survive a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { startApp, type AppProcess } from '../support/app-process.js';
import { FakeBotApi } from '../support/fake-bot-api.js';

const SECRET = 'events-secret-0123456789';
const EVENT = { type: 'filing.status', eventId: 'evt-lock-1', at: '2026-11-29T12:00:00+08:00', filingId: 'VE-2026-000101', status: 'bureau_review' };

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

/** Posts the event, signed now, as the filing system does. */
async function send(app: AppProcess): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const raw = JSON.stringify(EVENT);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${app.base}/hooks/filing-events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signEvent(SECRET, ts, raw) }, body: raw });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

/** What the state file holds for the filing and the event id (read on a connection of the test's own). */
function saved(file: string): { filing?: string; eventId: boolean } {
  const db = new Database(file, { readonly: true });
  try {
    // Filings live in their own table in the same file.
    const filing = db.prepare("SELECT json AS value FROM filings WHERE id = 'VE-2026-000101'").get() as { value: string } | undefined;
    const event = db.prepare("SELECT 1 FROM kv WHERE key LIKE '%evt:evt-lock-1'").get();
    return { filing: filing?.value, eventId: event !== undefined };
  } finally {
    db.close();
  }
}

describe('the filing-event hook on a locked store', () => {
  it('answers 503 with Retry-After and saves nothing; the resend after the lock is saved once and survives a restart', async () => {
    const api = await FakeBotApi.start();
    cleanup.push(() => api.stop());
    const dir = mkdtempSync(join(tmpdir(), 'beian-hook-lock-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'state.sqlite');
    const env = { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, STORE_URL: `file:${file}`, EVENTS_SECRET: SECRET };
    const first = await startApp({ mode: 'node', env });
    cleanup.push(() => first.killTree());
    await first.waitForHealth();

    const locker = new Database(file);
    cleanup.push(() => void (locker.open && locker.close()));
    locker.exec('BEGIN EXCLUSIVE');
    const refused = await send(first);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect((await fetch(`${first.base}/healthz`)).status).toBe(503);
    locker.exec('COMMIT');
    locker.close();
    expect(saved(file).eventId).toBe(false);
    expect(saved(file).filing ?? '').not.toContain('bureau_review');

    const accepted = await send(first);
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body)).toEqual({ ok: true, duplicate: false });
    first.signal('SIGTERM');
    expect(await first.waitForExit(15_000)).toEqual({ code: 0, signal: null });

    const second = await startApp({ mode: 'node', env });
    cleanup.push(() => second.killTree());
    await second.waitForHealth();
    expect(JSON.parse((await send(second)).body)).toEqual({ ok: true, duplicate: true });
    expect(saved(file)).toMatchObject({ eventId: true, filing: expect.stringContaining('bureau_review') });
  }, 60_000);
});

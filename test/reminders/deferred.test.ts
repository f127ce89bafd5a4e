/**
 * The reminder service started `deferred` (issue 12): main opens the port first, then calls
 * begin(); until then nothing is indexed or ticked, and begin() indexes the open filings and runs
 * the catch-up tick.
 */
import { describe, expect, it } from 'vitest';
import { instant } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld } from './fakes.js';

const NOW = '2026-11-29T12:00:00+08:00';
const HOUR = 3_600_000;

describe('reminders, deferred until begin() (issue 12)', () => {
  it('index nothing before begin(), then the open filings, and stay healthy meanwhile', async () => {
    const reportedAt = instant(instant(NOW).valueOf() - 2 * HOUR).toISOString();
    const w = await reminderWorld({ now: NOW, filings: [makeFiling({ status: 'verifying', cycle: { number: 1, reportedAt, verified: {} } })], reminders: { deferred: true, intervalMs: 60_000 } });
    try {
      expect(w.reminders.scheduler.indexed).toBe(0);
      expect(await w.reminders.health()).toMatchObject({ ok: true });
      await w.reminders.begin();
      expect(w.reminders.scheduler.indexed).toBe(1);
      await w.reminders.begin();
      expect(w.reminders.scheduler.indexed).toBe(1);
    } finally {
      await w.reminders.stop();
    }
  });
});

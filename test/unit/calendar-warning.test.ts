/** Issue 14: the operator is told at start-up, from 60 days before the official holiday table ends. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { localBackend } from '../../src/backends/local/local.backend.js';
import { route } from '../../flows/router.js';
import { world, type World } from '../support/transcript.js';

let w: World | undefined;
afterEach(async () => w?.core.close());

/** The start-up warnings about the calendar, parsed. */
function calendarWarnings(logs: string[]): Array<Record<string, unknown>> {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.level === 'warn' && String(r.msg).startsWith('working-day calendar'));
}

describe('R6 start-up warning about the end of the official calendar', () => {
  it('R6 61 days before the end: no warning', async () => {
    w = await world({ now: '2026-10-31T12:00:00+08:00' });
    expect(calendarWarnings(w.logs)).toEqual([]);
  });

  it('R6 60 days before the end: one warning naming the end date and what to add', async () => {
    w = await world({ now: '2026-11-01T12:00:00+08:00' });
    const [warning, ...more] = calendarWarnings(w.logs);
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ officialThrough: '2026-12-31', estimating: false, warn: true });
    expect(warning!.msg).toContain('runs through 2026-12-31');
    expect(warning!.msg).toContain("Add the State Council's 2027 holiday notice to data/cn-calendar.json");
  });

  it('R6 past the end: the warning says dates are already estimated', async () => {
    w = await world({ now: '2027-01-05T12:00:00+08:00' });
    expect(calendarWarnings(w.logs)).toEqual([expect.objectContaining({ estimating: true, msg: expect.stringContaining('already estimated') })]);
  });

  it('R6 a caller that shows the person its own short line (the console demo): the detail is logged at info, not as a warning', async () => {
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
    const core = await createCore(loadConfig({ STORE_URL: 'memory://' }), { route, clock: new FakeClock('2026-11-01T12:00:00+08:00'), backend: localBackend(KeyvStateStore.memory()), logger, calendarShown: true });
    await core.close();
    const records = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => String(r.msg).startsWith('working-day calendar'));
    expect(records).toEqual([expect.objectContaining({ level: 'info', officialThrough: '2026-12-31', msg: expect.stringContaining("Add the State Council's 2027 holiday notice") })]);
  });
});

/** The console demo's parts: durations, /event lines, the greeting's suggestions, plain-text alerts, the prompt, and a greeting from another filings file. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runConsole } from '../../adapters/console/console.adapter.js';
import { alertText, plainText } from '../../adapters/console/console.alerts.js';
import { eventFromLine, formatDuration, parseDuration } from '../../adapters/console/console.demo.js';
import { greeting, suggestions } from '../../adapters/console/console.main.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import type { Filing } from '../../src/filings/filing.js';
import { REPO_ROOT } from '../support/app-process.js';
import { makeFiling, returnedAccessRecord } from '../fixtures/filings.fixture.js';
import { recoveryPath } from '../../flows/team.flow.js';
import { FakeClock } from '../../src/clock.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { loadWorkCalendar } from '../../src/rules/workday.rules.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('demo durations', () => {
  it.each([
    ['12h', 12 * 3_600_000],
    ['+11h30m', 11.5 * 3_600_000],
    ['90m', 90 * 60_000],
    ['2d', 2 * 86_400_000],
    ['1d2h3m', 86_400_000 + 2 * 3_600_000 + 3 * 60_000],
    ['30d', 30 * 86_400_000],
  ])('%s moves the clock on', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '0h', '-2h', '12', 'h', '1x', '31d', '2026-12-01', '1h 30m', '12h!'])('%j is refused', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('prints a duration without zero parts', () => {
    expect(formatDuration(11.5 * 3_600_000)).toBe('11h 30m');
    expect(formatDuration(86_400_000 + 60_000)).toBe('1d 1m');
    expect(formatDuration(12 * 3_600_000)).toBe('12h');
  });
});

describe('/event lines', () => {
  const at = '2026-11-29T04:00:00.000Z';

  it.each([
    [['reported', 'VE-2026-000103'], { type: 'filing.reported', filingId: 'VE-2026-000103' }],
    [['confirmed', 'VE-2026-000101', '13800138000'], { type: 'verification.confirmed', filingId: 'VE-2026-000101', phone: '13800138000' }],
    [['returned', 'VE-2026-000101'], { type: 'filing.returned', filingId: 'VE-2026-000101', reason: 'sms_timeout' }],
    [['returned', 'VE-2026-000101', 'sms_failed'], { type: 'filing.returned', filingId: 'VE-2026-000101', reason: 'sms_failed' }],
    [['status', 'VE-2026-000101', 'approved'], { type: 'filing.status', filingId: 'VE-2026-000101', status: 'approved' }],
  ])('%j builds an event the hook schema accepts', (args, expected) => {
    const event = eventFromLine(args, at)!;
    expect(event).toMatchObject({ ...expected, at });
    expect(String(event.eventId)).toMatch(/^console-[0-9a-f-]{36}$/);
    expect(FilingEventSchema.safeParse(event).success).toBe(true);
  });

  it('gives each event its own id, so a later run on the same store is not taken for a retry', () => {
    expect(eventFromLine(['reported', 'X-1'], at)!.eventId).not.toBe(eventFromLine(['reported', 'X-1'], at)!.eventId);
  });

  it.each([[[]], [['reported']], [['reported', 'A', 'B']], [['confirmed', 'A']], [['status', 'A']], [['upserted', 'A']], [['returned', 'A', 'x', 'y']]])('%j is not an event line', (args) => {
    expect(eventFromLine(args, at)).toBeUndefined();
  });
});

describe('the greeting', () => {
  const mine = '13900000001';
  const filings: Filing[] = [makeFiling({ id: 'F-DRAFT', status: 'draft', cycle: undefined }), makeFiling({ id: 'F-OTHER-OPEN' }), makeFiling({ id: 'F-RET-OTHER', status: 'returned', returnReason: 'sms_timeout' })];

  it('suggests ids from the filings, and no phone from a file other than the demo', () => {
    const s = suggestions(filings, false);
    expect(s).toEqual({ lookup: 'F-OTHER-OPEN', event: { kind: 'reported', id: 'F-RET-OTHER' } });
    expect(greeting('en', s)).toContain('Try: /start, /link <phone>, /lookup F-OTHER-OPEN, /help.');
    expect(greeting('zh', s)).toContain('/event reported F-RET-OTHER 发送备案系统的签名事件');
  });

  it('with nothing in a window or returned, suggests returning nothing and looking up the first filing', () => {
    expect(suggestions([filings[0]!], false)).toEqual({ lookup: 'F-DRAFT' });
    expect(suggestions([], false)).toEqual({});
    expect(greeting('en', {})).toContain('/lookup <id>');
  });

  it('from the demo, suggests the first open filing’s principal, and a returned filing that names them', () => {
    const base = makeFiling({ id: 'F-MINE-OPEN' });
    const open = { ...base, subject: { ...base.subject, principal: { ...base.subject.principal, phone: mine } } };
    const returned = { ...open, id: 'F-MINE-RET', status: 'returned' as const, returnReason: 'sms_timeout' as const };
    expect(suggestions([filings[2]!, open, filings[1]!, returned], true)).toEqual({ phone: mine, lookup: 'F-MINE-OPEN', event: { kind: 'reported', id: 'F-MINE-RET' } });
  });
});

describe('the team channel as plain text', () => {
  it('keeps masked names and phones whole while taking Slack markup off the wording', () => {
    expect(plainText(':warning: *F-1* is at risk')).toBe('⚠️ F-1 is at risk');
    const s = {
      id: 'F-1',
      subjectName: 'S',
      type: { key: 'type.first_filing' },
      status: { key: 'status.verifying' },
      statusId: 'verifying' as const,
      noSms: false,
      cycle: { number: 1, reportedAt: '2026-11-29 09:00', deadline: '2026-11-30 09:00', left: { key: 'time.left', params: { h: 3, m: 5 } }, msLeft: 1, overdue: false, open: true, allVerified: false },
      verifiers: [{ name: '张*', phone: '138****8000', roles: [{ key: 'role.subject' }], state: 'pending' as const, key: 'k', rawPhone: '13800138000' }],
      warnings: [],
    };
    const path = { filingId: 'F-1', type: 'first_filing' as const, notes: [], params: {}, reportedBy: { raw: 'by tomorrow' } };
    expect(alertText('en', 'at_risk', s, path)).toEqual(['⚠️ F-1 is at risk: 3 h 5 min left to the deadline (2026-11-30 09:00, China time), 1 pending:', '⏳ 张* 138****8000 · subject principal: pending']);
    expect(alertText('en', 'returned', { ...s, returnReason: { key: 'reason.sms_failed' } }, path)).toEqual(['↩️ F-1 (first filing) was returned: SMS verification failed.', 'Recovery path for F-1 (first filing)']);
  });

  it('R6 an access return: the path names the record’s provider and skips the question the record answers', () => {
    const path = recoveryPath({ clock: new FakeClock(DEMO_ANCHOR), calendar: loadWorkCalendar() }, makeFiling(returnedAccessRecord({ shellWebsite: false, currentAccessProvider: '某云' })));
    const s = {
      id: 'VE-2026-000120',
      subjectName: 'S',
      type: { key: 'type.access' },
      status: { key: 'status.returned' },
      statusId: 'returned' as const,
      noSms: false,
      verifiers: [],
      warnings: [],
      returnReason: { key: 'reason.sms_timeout' },
    };
    const lines = alertText('en', 'returned', s, path);
    expect(lines.slice(0, 5)).toEqual([
      '↩️ VE-2026-000120 (access (transfer-in)) was returned: SMS verification not completed within 24 hours.',
      'Recovery path for VE-2026-000120 (access (transfer-in))',
      'Our records show this website is hosted with an access provider today, so it is not a shell website.',
      'Current access provider on record: 某云.',
      'Q: Ask the current access provider “某云” (where the website is hosted today) for the website principal and phone number on record. Are the phone and ID right, and can that person verify?',
    ]);
    expect(lines).toContain('    1. Confirm the website principal and phone number with the current access provider “某云”.');
    expect(lines).toContain('    1. Change the website principal’s information at the current access provider “某云” first.');
    expect(lines.join('\n')).not.toContain('Where is the website hosted today?');
  });
});

describe('the prompt', () => {
  it('is written before each line is read when asked for (a terminal), and never into the chat output', async () => {
    const out: string[] = [];
    await runConsole({
      handle: async () => [{ text: 'reply', buttons: [] }],
      input: Readable.from(['hi\n', '\n', '/time\n']),
      write: (t) => out.push(`[${t}]`),
      prompt: (t) => out.push(t),
      control: async (line) => line === '/time',
      locale: async () => 'en',
    });
    expect(out).toEqual(['> ', '[reply\n]', '> ', '> ', '> ']);
  });
});

describe('another filings file', () => {
  it('the greeting of `npm start` names its ids and no phone from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-greet-'));
    dirs.push(dir);
    const file = join(dir, 'filings.json');
    const person = { name: '王五', phone: '13600136000' };
    writeFileSync(
      file,
      JSON.stringify({
        filings: [
          { id: 'ACME-0001', type: 'cancel_access', subject: { name: 'S', principal: person }, status: 'draft' },
          {
            id: 'ACME-0002',
            type: 'change',
            changes: ['subject'],
            subject: { name: 'S', principal: person },
            status: 'returned',
            returnReason: 'sms_failed',
            cycle: { number: 1, reportedAt: '2026-01-05T09:00:00+08:00', verified: {} },
          },
        ],
      }),
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      input: '',
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE_URL: 'memory://', PHONE_KEY_FILE: join(dir, 'key'), FILINGS_FILE: file, DEFAULT_LOCALE: 'en' },
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Try: /start, /link <phone>, /lookup ACME-0001, /help.');
    expect(run.stdout).toContain('/event reported ACME-0002 sends');
    expect(run.stdout).not.toContain('VE-2026');
    expect(run.stdout).not.toContain('13600136000');
  });
});

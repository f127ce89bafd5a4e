import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRequest, USAGE } from '../../scripts/send-event.js';
import { makeFiling, rawFiling } from '../fixtures/filings.fixture.js';
import { buildDist } from '../support/app-process.js';
import { reminderWorld, SECRET, type ReminderWorld } from './fakes.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Runs `npm run send-event -- …` the way npm does (node on the built script), with only the environment given. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  buildDist();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--enable-source-maps', 'dist/send-event.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let open: ReminderWorld[] = [];
afterEach(async () => {
  for (const w of open) await w.close();
  open = [];
});

/** The real hook on a loopback port; its clock reads the wall clock once, because the script signs with the real time. */
async function hook(): Promise<{ w: ReminderWorld; url: string }> {
  const now = new Date().toISOString();
  const w = await reminderWorld({ now, filings: [makeFiling({ cycle: { number: 1, reportedAt: now, verified: {} } })] });
  open.push(w);
  const port = await w.server.listen(0, '127.0.0.1');
  return { w, url: `http://127.0.0.1:${port}/hooks/filing-events` };
}

// Each case starts the script in a child process, which takes a second or more on a busy machine.
describe('issue 13 npm run send-event signs and sends an event to the real hook', { timeout: 60_000 }, () => {
  it('CONTRACT §2 reported: 200, printed, exit 0, and the filing starts a new cycle', async () => {
    const { w, url } = await hook();
    const res = await run(['reported', 'VE-TEST-0001', '--url', url], { EVENTS_SECRET: SECRET });
    expect(res).toMatchObject({ code: 0, stdout: 'HTTP 200 {"ok":true,"duplicate":false}\n' });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(2);
  });

  it('the same --event-id twice: the second is a duplicate and changes nothing', async () => {
    const { w, url } = await hook();
    const args = ['status', 'VE-TEST-0001', 'approved', '--url', url, '--event-id', 'ops-42', '--secret', SECRET];
    expect((await run(args)).code).toBe(0);
    const again = await run(args);
    expect(again).toMatchObject({ code: 0, stdout: 'HTTP 200 {"ok":true,"duplicate":true}\n' });
    expect((await w.core.filings.get('VE-TEST-0001'))!.status).toBe('approved');
  });

  it('PORT picks the local hook when --url is not given', async () => {
    const { w, url } = await hook();
    const res = await run(['returned', 'VE-TEST-0001', 'sms_timeout'], { EVENTS_SECRET: SECRET, PORT: new URL(url).port });
    expect(res.code).toBe(0);
    expect((await w.core.filings.get('VE-TEST-0001'))!).toMatchObject({ status: 'returned', returnReason: 'sms_timeout' });
  });

  it('upserted reads the record from a FILINGS_FILE-shaped file', async () => {
    const { w, url } = await hook();
    const file = join(mkdtempSync(join(tmpdir(), 'send-event-')), 'filings.json');
    writeFileSync(file, JSON.stringify({ filings: [rawFiling({ id: 'VE-NEW-0002', status: 'draft' })] }));
    const res = await run(['upserted', 'VE-NEW-0002', file, '--url', url], { EVENTS_SECRET: SECRET });
    expect(res.code).toBe(0);
    expect((await w.core.filings.get('VE-NEW-0002'))?.status).toBe('draft');
  });

  it('a refusal is printed with its body and exits 1: an unknown filing (404), a wrong secret (401)', async () => {
    const { url } = await hook();
    expect(await run(['reported', 'VE-NOPE-0404', '--url', url], { EVENTS_SECRET: SECRET })).toMatchObject({ code: 1, stdout: 'HTTP 404 {"ok":false,"error":"unknown filing","field":"filingId"}\n' });
    expect(await run(['reported', 'VE-TEST-0001', '--url', url], { EVENTS_SECRET: 'another-secret-0123456789' })).toMatchObject({ code: 1, stdout: expect.stringContaining('HTTP 401') });
  });

  it('a hook that cannot be reached exits 1 saying so', async () => {
    const { w, url } = await hook();
    await w.close();
    open = [];
    const res = await run(['reported', 'VE-TEST-0001', '--url', url], { EVENTS_SECRET: SECRET });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`cannot reach ${url}`);
  });

  it('bad arguments exit 2 with the reason and the usage', async () => {
    const res = await run([]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('send-event: missing the event type');
    expect(res.stderr).toContain('usage: npm run send-event -- <type> <filingId>');
  });
});

describe('issue 13 send-event arguments', () => {
  const env = { EVENTS_SECRET: SECRET };
  const fixed = () => new Date('2026-11-29T01:00:00Z');

  it.each([
    [['bogus', 'VE-1234'], 'unknown event type "bogus"'],
    [['reported'], 'missing the filing id'],
    [['reported', 'VE-1234', 'extra'], 'unexpected argument "extra"'],
    [['confirmed', 'VE-1234'], 'confirmed needs one more argument after the filing id'],
    [['confirmed', 'VE-1234', '12345'], 'phone: not a mainland mobile number'],
    [['returned', 'VE-1234', 'bored'], 'reason:'],
    [['status', 'VE-1234', 'lost'], 'status:'],
    [['reported', 'x'], 'filingId: must be 4–40'],
    [['reported', 'VE-1234', '--at', 'yesterday'], 'at: must be an ISO 8601 date-time'],
    [['reported', 'VE-1234', '--colour', 'red'], 'unknown option --colour'],
    [['reported', 'VE-1234', '--url'], '--url needs a value'],
    [['reported', 'VE-1234', '--url', 'not a url'], 'not a URL: not a url'],
    [['upserted', 'VE-1234', '/no/such/file.json'], 'cannot read /no/such/file.json'],
  ])('%j → %s', (argv, message) => {
    const request = parseRequest(argv, env, fixed);
    expect(request.ok).toBe(false);
    expect(request.ok ? '' : request.message).toContain(message);
  });

  it('no secret in the environment or the options is a clear error', () => {
    expect(parseRequest(['reported', 'VE-1234'], {}, fixed)).toEqual({ ok: false, message: 'no secret: set EVENTS_SECRET (or pass --secret)' });
  });

  it('builds the event as typed: full type names work, at defaults to now, the phone goes as written', () => {
    const request = parseRequest(['verification.confirmed', 'VE-1234', '+86 138-0013-8000', '--event-id', 'e1'], env, fixed);
    expect(request).toMatchObject({ ok: true, url: 'http://127.0.0.1:3000/hooks/filing-events', secret: SECRET });
    expect(JSON.parse(request.ok ? request.body : '{}')).toEqual({ eventId: 'e1', type: 'verification.confirmed', at: '2026-11-29T01:00:00.000Z', filingId: 'VE-1234', phone: '+86 138-0013-8000' });
  });

  it('the usage names every event type', () => {
    for (const word of ['reported', 'confirmed', 'returned', 'status', 'upserted']) expect(USAGE).toContain(`  ${word} `);
  });
});

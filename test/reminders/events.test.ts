import { afterEach, describe, expect, it } from 'vitest';
import { checkSignature, EVENT_BODY_LIMIT, signEvent } from '../../src/http/filing-events.hook.js';
import { instant } from '../../src/time.js';
import { makeFiling, rawFiling } from '../fixtures/filings.fixture.js';
import { reminderWorld, SECRET, type ReminderWorld } from './fakes.js';

const REPORTED = '2026-11-29T09:00:00+08:00';
const NOW = '2026-11-29T10:00:00+08:00';
const nowSeconds = () => String(Math.floor(instant(NOW).valueOf() / 1000));

let open: ReminderWorld[] = [];
afterEach(async () => {
  for (const w of open) await w.close();
  open = [];
});

/** A world with the fixture filing in verifying and the HTTP server listening. */
async function listening(env: Record<string, string> = {}): Promise<{ w: ReminderWorld; post: (body: unknown, opts?: PostOptions) => Promise<{ status: number; json: any }> }> {
  const w = await reminderWorld({ now: NOW, filings: [makeFiling({ cycle: { number: 1, reportedAt: REPORTED, verified: {} } })], env });
  open.push(w);
  const port = await w.server.listen(0, '127.0.0.1');
  const post = async (body: unknown, opts: PostOptions = {}) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const ts = opts.timestamp ?? nowSeconds();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.timestamp !== null) headers['x-timestamp'] = ts;
    if (opts.signature !== null) headers['x-signature'] = opts.signature ?? signEvent(opts.secret ?? SECRET, ts, raw);
    const res = await fetch(`http://127.0.0.1:${port}/hooks/filing-events`, { method: 'POST', headers, body: raw });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return { w, post };
}

interface PostOptions {
  timestamp?: string | null;
  signature?: string | null;
  secret?: string;
}

async function eventCount(w: ReminderWorld, type: string, outcome: string): Promise<number> {
  return (await w.core.metrics.events.get()).values.find((v) => v.labels.type === type && v.labels.outcome === outcome)?.value ?? 0;
}

/** The hook's refusal log lines, parsed. */
const refusals = (w: ReminderWorld) => w.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'filing event refused');

const reported = (eventId = 'ev-1') => ({ eventId, type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' });

describe('CONTRACT §2 signature', () => {
  it('§2 a good signature is accepted: 200 {"ok":true,"duplicate":false} and the event applied', async () => {
    const { w, post } = await listening();
    expect(await post(reported())).toEqual({ status: 200, json: { ok: true, duplicate: false } });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle).toEqual({ number: 2, reportedAt: NOW, verified: {} });
    expect(await eventCount(w, 'filing.reported', 'accepted')).toBe(1);
  });

  it.each([
    ['a signature made with another secret', { secret: 'another-secret-0123456789' }],
    ['a tampered signature', { signature: `sha256=${'0'.repeat(64)}` }],
    ['a malformed signature', { signature: 'md5=abc' }],
    ['no signature', { signature: null }],
    ['no timestamp', { timestamp: null }],
  ] as Array<[string, PostOptions]>)('§2 %s → 401, nothing applied', async (_name, opts) => {
    const { w, post } = await listening();
    const res = await post(reported(), opts);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ ok: false });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(1);
    expect(await eventCount(w, 'unknown', 'unauthorized')).toBe(1);
  });

  it.each([
    ['301 s old', -301],
    ['301 s in the future', 301],
  ])('§2 a timestamp %s → 401 even when correctly signed', async (_name, delta) => {
    const { w, post } = await listening();
    const res = await post(reported(), { timestamp: String(Number(nowSeconds()) + delta) });
    expect(res).toEqual({ status: 401, json: { ok: false, error: 'timestamp outside the 300 s window' } });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(1);
  });

  it('§2 a timestamp 300 s old is still inside the window', async () => {
    const { post } = await listening();
    expect((await post(reported(), { timestamp: String(Number(nowSeconds()) - 300) })).status).toBe(200);
  });

  it('§2 the signature covers the raw body: a body changed after signing is refused', () => {
    const ts = nowSeconds();
    const signature = signEvent(SECRET, ts, '{"a":1}');
    expect(checkSignature(SECRET, ts, signature, Buffer.from('{"a":1}'), instant(NOW).valueOf())).toEqual({ ok: true });
    expect(checkSignature(SECRET, ts, signature, Buffer.from('{"a":2}'), instant(NOW).valueOf())).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('CONTRACT §2 body', () => {
  it.each([
    ['not JSON', '{"eventId": ', '(body)'],
    ['an unknown type', { eventId: 'x', type: 'filing.exploded', at: NOW, filingId: 'VE-TEST-0001' }, 'type'],
    ['no filingId', { eventId: 'x', type: 'filing.reported', at: NOW }, 'filingId'],
    ['no eventId', { type: 'filing.reported', at: NOW, filingId: 'VE-TEST-0001' }, 'eventId'],
    ['a bad at', { eventId: 'x', type: 'filing.reported', at: 'yesterday', filingId: 'VE-TEST-0001' }, 'at'],
    ['a phone that is not a mainland mobile', { eventId: 'x', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: '12345' }, 'phone'],
    ['a bad return reason', { eventId: 'x', type: 'filing.returned', at: NOW, filingId: 'VE-TEST-0001', reason: 'bored' }, 'reason'],
    ['a filing record with a bad field', { eventId: 'x', type: 'filing.upserted', at: NOW, filing: rawFiling({ status: 'lost' }) }, 'filing.status'],
  ])('§2 %s → 400 naming the field', async (_name, body, field) => {
    const { w, post } = await listening();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ ok: false, field });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(1);
  });

  it('§2 a confirmation for a phone that is not a verifier of the filing → 400 naming phone, and it is not marked done', async () => {
    const { w, post } = await listening();
    const body = { eventId: 'nv', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: '13700137000' };
    expect(await post(body)).toEqual({ status: 400, json: { ok: false, error: 'not a verifier of this filing', field: 'phone' } });
    expect(await w.core.store.namespace('events').get('evt:nv')).toBeUndefined();
  });

  it('§2 a confirmation for a phone that is not a verifier logs one line with the reason and the phone masked', async () => {
    const { w, post } = await listening();
    expect((await post({ eventId: 'nv', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: '13700137000' })).status).toBe(400);
    expect(refusals(w)).toEqual([
      expect.objectContaining({ level: 'warn', status: 400, reason: 'not a verifier of this filing', field: 'phone', type: 'verification.confirmed', eventId: 'nv', filingId: 'VE-TEST-0001' }),
    ]);
    expect(w.logs.join('\n')).not.toContain('13700137000');
  });

  it.each([
    ['not JSON', '{"eventId": ', { reason: 'body is not JSON', field: '(body)' }],
    [
      'a phone that is not a mainland mobile (10 digits)',
      { eventId: 'x', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: '1370013700' },
      { reason: 'invalid event', field: 'phone', problem: expect.stringMatching(/mobile/) },
    ],
    ['a bad return reason', { eventId: 'x', type: 'filing.returned', at: NOW, filingId: 'VE-TEST-0001', reason: 'bored' }, { reason: 'invalid event', field: 'reason', type: 'filing.returned' }],
  ])('§2 %s → 400 and one log line saying why, with no phone in it', async (_name, body, line) => {
    const { w, post } = await listening();
    expect((await post(body)).status).toBe(400);
    expect(refusals(w)).toEqual([expect.objectContaining({ level: 'warn', status: 400, ...line })]);
    expect(w.logs.join('\n')).not.toContain('1370013700');
  });

  it('§2 a bad signature → 401 and one log line saying why', async () => {
    const { w, post } = await listening();
    expect((await post(reported(), { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect(refusals(w)).toEqual([expect.objectContaining({ status: 401, reason: 'bad or missing signature', check: 'mismatch' })]);
  });

  it('§2 a body over the limit → 413', async () => {
    const { w, post } = await listening();
    const res = await post({ ...reported(), padding: 'x'.repeat(EVENT_BODY_LIMIT) });
    expect(res.status).toBe(413);
    expect(refusals(w)).toEqual([expect.objectContaining({ status: 413, reason: expect.stringMatching(/^body over/), limitBytes: EVENT_BODY_LIMIT })]);
  });
});

describe('CONTRACT §2 unknown filings and duplicates', () => {
  it('§2 an unknown filing → 404, logged and kept for an operator, and the same event succeeds once the filing exists', async () => {
    const { w, post } = await listening();
    const body = { eventId: 'late-1', type: 'filing.reported', at: NOW, filingId: 'VE-NOT-HERE' };
    expect(await post(body)).toEqual({ status: 404, json: { ok: false, error: 'unknown filing', field: 'filingId' } });
    expect(refusals(w)).toEqual([expect.objectContaining({ level: 'warn', status: 404, reason: 'unknown filing', eventId: 'late-1', filingId: 'VE-NOT-HERE' })]);
    expect(await w.core.store.namespace('events').get('unknown:late-1')).toMatchObject({ type: 'filing.reported', filingId: 'VE-NOT-HERE' });
    expect(await eventCount(w, 'filing.reported', 'unknown_filing')).toBe(1);

    expect((await post({ eventId: 'up-1', type: 'filing.upserted', at: NOW, filing: rawFiling({ id: 'VE-NOT-HERE', status: 'provider_review', cycle: undefined }) })).status).toBe(200);
    expect(await post(body)).toEqual({ status: 200, json: { ok: true, duplicate: false } });
    expect((await w.core.filings.get('VE-NOT-HERE'))!.cycle!.number).toBe(1);
  });

  it('§2 a repeated eventId → 200 {"duplicate":true} and changes nothing', async () => {
    const { w, post } = await listening();
    expect((await post(reported('dup'))).json).toEqual({ ok: true, duplicate: false });
    expect(await post(reported('dup'))).toEqual({ status: 200, json: { ok: true, duplicate: true } });
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(2);
    expect(await eventCount(w, 'filing.reported', 'duplicate')).toBe(1);
  });

  it('§2 the same eventId sent twice at once is applied once', async () => {
    const { w, post } = await listening();
    const results = await Promise.all([post(reported('race')), post(reported('race'))]);
    expect(results.map((r) => r.json.duplicate).sort()).toEqual([false, true]);
    expect((await w.core.filings.get('VE-TEST-0001'))!.cycle!.number).toBe(2);
  });

  it('§2 without EVENTS_SECRET the endpoint is off', async () => {
    const w = await reminderWorld({ now: NOW, filings: [makeFiling()], env: { EVENTS_SECRET: '' } });
    open.push(w);
    const port = await w.server.listen(0, '127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${port}/hooks/filing-events`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('CONTRACT §2 effects through the scheduler', () => {
  it('§2/R5 filing.reported starts a new cycle with resend counters reset, and the notice goes out', async () => {
    const { w, post } = await listening();
    await w.link('alice', '13800138000');
    const key = w.core.people.keyOf('13800138000');
    await w.core.people.count(key, 'VE-TEST-0001', 1, 'resends');
    await w.reminders.tick();
    w.channel.clear();
    await post(reported('new-cycle'));
    await w.reminders.tick();
    expect(w.channel.to('alice').map((m) => m.text)).toEqual(['The MIIT has sent the verification SMS for filing VE-TEST-0001 to 138****8000. Verify before 2026-11-30 10:00 (China time), 24 h 0 min left.']);
    expect(await w.core.people.facts(key, 'VE-TEST-0001', 2)).toEqual({});
  });

  it('§2/R5 verification.confirmed ends that person’s reminders (they are told so), not the other’s', async () => {
    const { w, post } = await listening();
    await w.link('alice', '13800138000');
    await w.link('bob', '13900139000');
    expect((await post({ eventId: 'vc', type: 'verification.confirmed', at: NOW, filingId: 'VE-TEST-0001', phone: '+86 139 0013 9000' })).status).toBe(200);
    await w.at('2026-11-29T21:00:00+08:00');
    expect(w.channel.sent.map((s) => s.ref.userId)).toEqual(['alice', 'bob']);
    expect(w.channel.to('alice')[0]!.text).toMatch(/^The MIIT has sent the verification SMS/);
    expect(w.channel.to('bob')[0]!.text).toMatch(/^The filing system has recorded your SMS verification for filing VE-TEST-0001\./);
  });

  it('§2/R6 filing.returned tells linked applicants (recovery button) and the team', async () => {
    const { w, post } = await listening();
    await w.link('alice', '13800138000');
    expect((await post({ eventId: 'ret', type: 'filing.returned', at: NOW, filingId: 'VE-TEST-0001', reason: 'sms_failed' })).status).toBe(200);
    await w.reminders.tick();
    const [msg] = w.channel.to('alice');
    expect(msg!.text).toMatch(/^Filing VE-TEST-0001 was returned by the bureau: SMS verification failed\./);
    expect(msg!.text).toContain('by 2026-11-30');
    expect(msg!.buttons).toEqual([[{ label: 'What to do now', data: 'rc:VE-TEST-0001' }]]);
    expect(w.alerts.kinds()).toEqual(['returned']);
  });
});

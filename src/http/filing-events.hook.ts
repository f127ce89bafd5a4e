/**
 * `POST /hooks/filing-events` (CONTRACT §2): verify the signature, parse, dedupe on eventId, apply.
 * (`filingEventsHandler` is a little over 80 lines: its checks answer in the order the guide documents,
 * 413, 401, 400, duplicate, 404, 503, so they stay together in one readable sequence.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import { FilingEventSchema, type FilingEvent } from '../filings/events.js';
import type { FilingSource } from '../filings/filings.port.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { BodyTooLargeError, readBody, sendJson } from '../server.js';
import type { StateStore } from '../store/state-store.js';
import { isStoreError } from '../store/store.errors.js';

/** CONTRACT §2: a timestamp more than this far from now is refused. */
export const SIGNATURE_WINDOW_S = 300;

/** The largest event body accepted; a full filing record (filing.upserted) fits many times over. */
export const EVENT_BODY_LIMIT = 256 * 1024;

/** How long an eventId is remembered for deduplication; a filing system retries within hours, not weeks. */
export const EVENT_ID_TTL_MS = 30 * 86_400_000;

/** Why a signature check failed. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

/** The `X-Signature` value for a body: `sha256=` + HMAC-SHA256 hex over `<timestamp>.<raw body>`. */
export function signEvent(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** CONTRACT §2: checks the signature (constant-time) and the 300 s window around `nowMs`. */
export function checkSignature(secret: string, timestamp: string | undefined, signature: string | undefined, body: Buffer, nowMs: number): SignatureCheck {
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^sha256=[0-9a-fA-F]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signEvent(secret, timestamp, body).slice('sha256='.length), 'hex');
  const given = Buffer.from(signature.slice('sha256='.length), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/** How long the sender is asked to wait before resending an event the store could not save, in seconds. */
export const STORE_RETRY_AFTER_S = 5;

/** What the hook answered (the handler's result, for tests and callers that wrap it). */
export type HookOutcome = 'accepted' | 'duplicate' | 'unauthorized' | 'invalid' | 'unknown_filing' | 'too_large' | 'unavailable';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function filingIdOf(event: FilingEvent): string {
  return event.type === 'filing.upserted' ? event.filing.id : event.filingId;
}

/** What the hook reads and writes: the filings it applies events to, and its own store namespace for eventIds. */
export interface FilingEventsDeps {
  store: StateStore;
  filings: FilingSource;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/** Builds the route handler; an accepted event reaches the scheduler through FilingSource.onChange. */
export function filingEventsHandler(deps: FilingEventsDeps, secret: string) {
  const store = deps.store.namespace('events');
  const { logger, metrics, clock, filings } = deps;
  // Every refusal is one log line with its reason, so an operator sees why a sender's events bounce (the logger masks phones).
  const reject = (res: ServerResponse, status: number, type: string, outcome: HookOutcome, body: { error: string; field?: string; issues?: unknown[] }, context: Record<string, unknown> = {}): HookOutcome => {
    logger.warn('filing event refused', { status, reason: body.error, ...(body.field ? { field: body.field } : {}), type, ...context });
    metrics.events.inc({ type, outcome });
    sendJson(res, status, { ok: false, ...body });
    return outcome;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<HookOutcome> => {
    let raw: Buffer;
    try {
      raw = await readBody(req, EVENT_BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return reject(res, 413, 'unknown', 'too_large', { error: `body over ${EVENT_BODY_LIMIT} bytes` }, { limitBytes: EVENT_BODY_LIMIT });
      throw error;
    }
    const check = checkSignature(secret, header(req, 'x-timestamp'), header(req, 'x-signature'), raw, clock.now().valueOf());
    if (!check.ok) return reject(res, 401, 'unknown', 'unauthorized', { error: check.reason === 'stale' ? 'timestamp outside the 300 s window' : 'bad or missing signature' }, { check: check.reason });

    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(res, 400, 'unknown', 'invalid', { error: 'body is not JSON', field: '(body)' });
    }
    const parsed = FilingEventSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
      const type = typeof (json as { type?: unknown })?.type === 'string' ? String((json as { type: string }).type).slice(0, 40) : 'unknown';
      return reject(
        res,
        400,
        FilingEventSchema.options.some((o) => o.shape.type.value === type) ? type : 'unknown',
        'invalid',
        { error: 'invalid event', field: issues[0]!.field, issues },
        { problem: issues[0]!.message },
      );
    }
    const event = parsed.data;

    // One eventId at a time: the apply and the marker go together, and the marker is written only
    // after a successful apply, so a failed apply can be retried by the sender. If the marker could
    // not be written (or the process died) after the apply, the resend applies the same event again,
    // which changes nothing more: every event sets values, and filing.reported with the same `at` is
    // not a new cycle (FilingSource.apply).
    const work = store.withLock(`evt:${event.eventId}`, async () => {
      if ((await store.get(`evt:${event.eventId}`)) !== undefined) {
        metrics.events.inc({ type: event.type, outcome: 'duplicate' });
        sendJson(res, 200, { ok: true, duplicate: true });
        return 'duplicate';
      }
      const result = await filings.apply(event);
      if (!result.ok) {
        const about = { eventId: event.eventId, filingId: filingIdOf(event) };
        if (result.error === 'unknown_filing') {
          // Not lost silently: logged, counted, kept for a while for an operator, and the 404 tells the sender to retry after an upsert.
          await store.set(`unknown:${event.eventId}`, { type: event.type, filingId: filingIdOf(event), at: event.at, receivedAt: clock.now().toISOString() }, EVENT_ID_TTL_MS);
          return reject(res, 404, event.type, 'unknown_filing', { error: 'unknown filing', field: result.field }, about);
        }
        return reject(res, 400, event.type, 'invalid', { error: result.error === 'not_a_verifier' ? 'not a verifier of this filing' : 'the filing has no verification cycle', field: result.field }, about);
      }
      await store.set(`evt:${event.eventId}`, { type: event.type, at: clock.now().toISOString() }, EVENT_ID_TTL_MS);
      metrics.events.inc({ type: event.type, outcome: 'accepted' });
      logger.info('filing event accepted', { eventId: event.eventId, type: event.type, filingId: filingIdOf(event) });
      sendJson(res, 200, { ok: true, duplicate: false });
      return 'accepted';
    });
    try {
      return await work;
    } catch (error) {
      if (!isStoreError(error)) throw error;
      // Not saved (the change, or its event id): the sender must send it again; an apply is never half-saved.
      logger.error('filing event not saved; asked the sender to retry', { eventId: event.eventId, type: event.type, error });
      metrics.events.inc({ type: event.type, outcome: 'unavailable' });
      if (!res.headersSent) {
        res.setHeader('retry-after', String(STORE_RETRY_AFTER_S));
        sendJson(res, 503, { ok: false, error: 'store unavailable; retry later' });
      }
      return 'unavailable';
    }
  };
}

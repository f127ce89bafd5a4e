/**
 * POST /feishu/events on the shared HTTP server (FEISHU_MODE=http): the body bounded, the signature
 * and its timestamp checked, the body decrypted with FEISHU_ENCRYPT_KEY and its verification token
 * checked, the URL challenge answered, and everything else handed to the SDK's EventDispatcher.
 * The SDK's own HTTP adapter is not used: it accepts a wrong token, an old timestamp and an
 * unencrypted body, and a body it cannot decrypt ends the process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AESCipher } from '@larksuiteoapi/node-sdk';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../../src/server.js';

/** Where Feishu posts events and card actions. */
export const FEISHU_EVENTS_PATH = '/feishu/events';
/** A signed request more than 5 minutes from now is refused (it could be a replay). */
export const MAX_SKEW_S = 300;
/** The largest body read. */
export const BODY_LIMIT = 1024 * 1024;

/** What the receiver checks requests with. */
export interface ReceiverSecrets {
  verificationToken: string;
  encryptKey: string;
}

/** A request opened: its decrypted body, or the challenge to answer, or why it is refused. */
export type Opened = { ok: true; data: Record<string, unknown> } | { ok: true; challenge: string } | { ok: false; status: 400 | 401; reason: string };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Feishu's signature: hex SHA-256 of timestamp, nonce, encrypt key and the raw body, joined. */
export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + body)
    .digest('hex');
}

/** Compares two secrets in constant time (hashed first, so lengths do not leak either). */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** The signature headers' verdict: missing, stale, wrong, or good. */
function checkSignature(headers: IncomingHttpHeaders, body: string, encryptKey: string, nowMs: number): 'missing' | 'good' | string {
  const timestamp = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const signature = header(headers, 'x-lark-signature');
  if (timestamp === undefined && nonce === undefined && signature === undefined) return 'missing';
  if (!timestamp || nonce === undefined || !signature || !/^\d{1,12}$/.test(timestamp)) return 'malformed signature headers';
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_S) return 'timestamp more than 300 s from now';
  return same(signature, feishuSignature(timestamp, nonce, encryptKey, body)) ? 'good' : 'signature mismatch';
}

/** Decrypts `{"encrypt": "…"}` into the JSON object inside, or says why it cannot. */
function decrypt(text: string, encryptKey: string): { data: Record<string, unknown> } | { error: string } {
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    return { error: 'body is not JSON' };
  }
  const encrypted = (outer as { encrypt?: unknown } | null)?.encrypt;
  if (typeof encrypted !== 'string' || encrypted === '') return { error: 'body is not encrypted' };
  let inner: unknown;
  try {
    inner = JSON.parse(new AESCipher(encryptKey).decrypt(encrypted));
  } catch {
    return { error: 'body cannot be decrypted' };
  }
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) return { error: 'decrypted body is not a JSON object' };
  return { data: inner as Record<string, unknown> };
}

/** The verification token a body carries: in its header (schema 2.0) or at its top (the challenge, schema 1.0). */
function tokenOf(data: Record<string, unknown>): string | undefined {
  const fromHeader = (data.header as { token?: unknown } | undefined)?.token;
  const token = typeof fromHeader === 'string' ? fromHeader : data.token;
  return typeof token === 'string' ? token : undefined;
}

/**
 * Opens one request. A signed request is checked before it is decrypted. Only the URL challenge
 * may come unsigned (Feishu sends it so), and it is answered only once it decrypted and carried the
 * right token, which takes both secrets.
 */
export function openRequest(headers: IncomingHttpHeaders, body: string, secrets: ReceiverSecrets, nowMs: number): Opened {
  const signed = checkSignature(headers, body, secrets.encryptKey, nowMs);
  if (signed !== 'good' && signed !== 'missing') return { ok: false, status: 401, reason: signed };
  const opened = decrypt(body, secrets.encryptKey);
  if ('error' in opened) return { ok: false, status: 400, reason: opened.error };
  const token = tokenOf(opened.data);
  if (token === undefined || !same(token, secrets.verificationToken)) return { ok: false, status: 401, reason: 'wrong verification token' };
  if (opened.data.type === 'url_verification') return typeof opened.data.challenge === 'string' ? { ok: true, challenge: opened.data.challenge } : { ok: false, status: 400, reason: 'challenge missing' };
  if (signed === 'missing') return { ok: false, status: 401, reason: 'unsigned' };
  return { ok: true, data: opened.data };
}

/** What the route needs. */
export interface ReceiverOptions {
  secrets: ReceiverSecrets;
  clock: Clock;
  logger: Logger;
  isStopped(): boolean;
  /** Handles an opened event or card action; resolves with the body to answer, rejects when it must be delivered again. */
  dispatch(data: Record<string, unknown>): Promise<unknown>;
}

/** Mounts POST /feishu/events: 200 once an event's replies are stored, 503 when they could not be (Feishu delivers it again). */
export function mountReceiver(server: HttpServer, o: ReceiverOptions): { idle(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (o.isStopped()) return sendJson(res, 503, { ok: false, error: 'stopping' });
    let raw: Buffer;
    try {
      raw = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return sendJson(res, 413, { ok: false, error: `body over ${BODY_LIMIT} bytes` });
    }
    const opened = openRequest(req.headers, raw.toString('utf8'), o.secrets, o.clock.now().valueOf());
    if (!opened.ok) {
      o.logger.warn('feishu: request refused', { status: opened.status, reason: opened.reason });
      return sendJson(res, opened.status, { ok: false, error: opened.reason });
    }
    if ('challenge' in opened) return sendJson(res, 200, { challenge: opened.challenge });
    try {
      sendJson(res, 200, (await o.dispatch(opened.data)) ?? {});
    } catch (error) {
      o.logger.warn('feishu: event not handled; Feishu will deliver it again', { error });
      sendJson(res, 503, { ok: false, error: 'not stored; deliver again' });
    }
  };
  server.route('POST', FEISHU_EVENTS_PATH, async (req, res) => {
    const work = handle(req, res);
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  return {
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

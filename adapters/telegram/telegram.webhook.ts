/** Telegram's webhook on the shared HTTP server: the secret checked first, the body bounded and parsed, then one update dispatched. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Update } from 'telegraf/types';
import { z } from 'zod';
import type { Logger } from '../../src/log.js';
import { BodyTooLargeError, readBody, sendJson, type HttpServer } from '../../src/server.js';
import type { UpdateOutcome } from './telegram.turns.js';

const UpdateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

/** Compares the webhook secret header in constant time (hashing first, so lengths never leak either). */
export function isSecretMatch(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** What the webhook route needs. */
export interface WebhookOptions {
  path: string;
  secret: string;
  /** Largest body accepted. */
  limit: number;
  log: Logger;
  isStopped(): boolean;
  /** Handles one update; resolves when its replies are stored (or could not be). */
  dispatch(update: Update): Promise<UpdateOutcome>;
}

/** Reads a request's body as JSON, answering 413 or 400 itself when it cannot; `undefined` then. */
async function readJson(req: IncomingMessage, res: ServerResponse, limit: number): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    sendJson(res, 413, { ok: false, error: `body over ${limit} bytes` });
    return undefined;
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, { ok: false, error: 'body is not JSON' });
    return undefined;
  }
}

/** Mounts POST `path`: answers 200 once the update's replies are stored, 503 when they could not be, so Telegram delivers it again. */
export function mountWebhook(server: HttpServer, o: WebhookOptions): void {
  server.route('POST', o.path, async (req: IncomingMessage, res: ServerResponse) => {
    // The secret is checked before anything is read, so a forged request never reaches a handler.
    if (!isSecretMatch(req.headers['x-telegram-bot-api-secret-token'], o.secret)) {
      o.log.warn('telegram webhook refused: secret token mismatch');
      sendJson(res, 401, { ok: false, error: 'unauthorized' });
      return;
    }
    if (o.isStopped()) {
      // Telegram retries a failed delivery, so an instance shutting down loses nothing by refusing.
      sendJson(res, 503, { ok: false, error: 'stopping' });
      return;
    }
    const json = await readJson(req, res, o.limit);
    if (json === undefined) return;
    const parsed = UpdateSchema.safeParse(json);
    if (!parsed.success) {
      sendJson(res, 400, { ok: false, error: 'update_id: must be a non-negative integer' });
      return;
    }
    const outcome = await o.dispatch(parsed.data as unknown as Update);
    if (outcome.status === 'retry') sendJson(res, 503, { ok: false, error: 'not stored; deliver again' });
    else sendJson(res, 200, { ok: true });
  });
}

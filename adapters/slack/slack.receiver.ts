/**
 * A Bolt receiver on the shared HTTP server (POST /slack/events): Bolt's signature check plus a
 * symmetric ±300 s timestamp window, JSON and form bodies, url_verification, de-duplicated deliveries.
 * A delivery counts as handled once it was answered 200, and not before: one answered 5xx (its
 * reply could not be stored) is handled again when Slack retries it.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { HTTPResponseAck, verifySlackRequest, type App, type BufferedIncomingMessage, type Logger as BoltLogger, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import { BodyTooLargeError, readBody, sendJson, sendStatus, type HttpServer } from '../../src/server.js';
import type { StateStore } from '../../src/store/state-store.js';
import { isReplyNotStored } from './slack.replies.js';

/** Bolt's default path for slash commands, interactivity and events. */
export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack's rule: a request whose timestamp is more than 5 minutes from now is refused. */
export const MAX_SKEW_S = 300;
/** How long a delivery id is remembered to drop Slack's retries of it. */
export const DELIVERY_TTL_MS = 60 * 60_000;
const BODY_LIMIT = 1024 * 1024;

/** What the receiver needs from the core. */
export interface SharedReceiverOptions {
  signingSecret: string;
  store: StateStore;
  clock: Clock;
  logger: Logger;
  boltLogger: BoltLogger;
}

/** Why a request failed verification, or that it passed. */
export type Verdict = { ok: true } | { ok: false; reason: string };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a request as Slack signs it. Bolt's verifier refuses old timestamps only; a timestamp
 * more than 300 s in the future is refused here too, since a signed request from the future can
 * be replayed for that long once it arrives.
 */
export function verifyRequest(headers: IncomingHttpHeaders, body: string, signingSecret: string, nowMs: number): Verdict {
  const signature = header(headers, 'x-slack-signature');
  const timestamp = header(headers, 'x-slack-request-timestamp');
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed signature headers' };
  const ts = Number(timestamp);
  if (Math.abs(Math.floor(nowMs / 1000) - ts) > MAX_SKEW_S) return { ok: false, reason: 'timestamp more than 300 s from now' };
  try {
    verifySlackRequest({ signingSecret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts }, nowMilliseconds: nowMs });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** Parses a Slack body: JSON (events) or form (commands; interactivity sends its JSON in `payload`). */
export function parseSlackBody(contentType: string | undefined, text: string): Record<string, unknown> {
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    const payload = form.get('payload');
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(form);
  }
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** The id under which a delivery is de-duplicated: the event id, else the trigger id, else a hash of the body. */
export function deliveryKey(body: Record<string, unknown>, raw: Buffer): string {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.trigger_id === 'string') return `trigger:${body.trigger_id}`;
  return `body:${createHash('sha256').update(raw).digest('base64url')}`;
}

/** Bolt's Receiver over our HttpServer: mounted at construction, answering once started. */
export class SharedServerReceiver implements Receiver {
  private app?: App;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Deliveries being handled here, by key: each resolves with whether it was answered 200. */
  private readonly deliveries = new Map<string, Promise<boolean>>();

  constructor(
    server: HttpServer,
    private readonly opts: SharedReceiverOptions,
  ) {
    server.route('POST', SLACK_EVENTS_PATH, async (req, res) => {
      const work = this.handle(req, res);
      this.inFlight.add(work);
      try {
        await work;
      } finally {
        this.inFlight.delete(work);
      }
    });
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  /** Stops taking requests and waits for the ones being handled. */
  async stop(): Promise<void> {
    this.running = false;
    await this.idle();
  }

  /** Resolves once every request being handled has been answered and its work done (listeners included). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Whether requests are being served. */
  get isRunning(): boolean {
    return this.running;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { logger, store } = this.opts;
    if (!this.running || !this.app) return sendJson(res, 503, { ok: false, error: 'slack adapter not running' });
    let raw: Buffer;
    try {
      raw = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendStatus(res, 413);
      throw error;
    }
    const text = raw.toString('utf8');
    const contentType = header(req.headers, 'content-type');
    // Slack's SSL check is unsigned; answer it without looking at anything else in the body.
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded') && new URLSearchParams(text).get('ssl_check') === '1') return sendStatus(res, 200);

    const verdict = verifyRequest(req.headers, text, this.opts.signingSecret, this.opts.clock.now().valueOf());
    if (!verdict.ok) {
      logger.warn('slack: request refused', { reason: verdict.reason });
      return sendStatus(res, 401);
    }
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(contentType, text);
    } catch {
      logger.warn('slack: malformed body');
      return sendStatus(res, 400);
    }
    if (body.type === 'url_verification') return sendJson(res, 200, { challenge: body.challenge });

    const retryNum = req.headers['x-slack-retry-num'] === undefined ? undefined : Number(header(req.headers, 'x-slack-retry-num'));
    const retryReason = header(req.headers, 'x-slack-retry-reason');
    const key = `slack:delivery:${deliveryKey(body, raw)}`;
    const leave = await this.enter(key);
    let answered = false;
    try {
      if (leave && (await store.get(key)) === undefined) {
        answered = await this.dispatch(req, res, raw, body, key, { retryNum: Number.isFinite(retryNum) ? retryNum : undefined, retryReason });
        return;
      }
      logger.info('slack: duplicate delivery dropped', { retryNum, retryReason });
      answered = true;
      sendStatus(res, 200);
    } finally {
      leave?.(answered);
    }
  }

  /**
   * Waits for a delivery with the same key that is being handled here, and claims the key: undefined
   * when one of them was answered 200 (a duplicate), else the function that releases the claim.
   */
  private async enter(key: string): Promise<((answered: boolean) => void) | undefined> {
    for (let earlier = this.deliveries.get(key); earlier; earlier = this.deliveries.get(key)) if (await earlier) return undefined;
    // Claimed in the same turn as the check above, so two copies arriving together cannot both pass.
    let settle!: (answered: boolean) => void;
    this.deliveries.set(key, new Promise<boolean>((resolve) => (settle = resolve)));
    return (answered) => {
      this.deliveries.delete(key);
      settle(answered);
    };
  }

  /** Hands a delivery to Bolt; resolves with whether it was answered 200. */
  private async dispatch(req: IncomingMessage, res: ServerResponse, raw: Buffer, body: Record<string, unknown>, key: string, retry: Pick<ReceiverEvent, 'retryNum' | 'retryReason'>): Promise<boolean> {
    const { logger, store } = this.opts;
    const responseAck = new HTTPResponseAck({
      logger: this.opts.boltLogger,
      processBeforeResponse: false,
      // Bolt's own handler answers 404 after 3 s without an ack; a reply still being stored is answered when it is.
      unhandledRequestHandler: () => logger.warn('slack: not acknowledged within 3 s', { retryNum: retry.retryNum }),
      httpRequest: Object.assign(req, { rawBody: raw }) as BufferedIncomingMessage,
      httpRequestBody: body,
      httpResponse: res,
    });
    const boltAck = responseAck.bind();
    let acked = false;
    const ack = async (response?: unknown) => {
      if (acked) return;
      acked = true;
      // The mark goes with the 200: a request answered 5xx must not be taken for a duplicate on its retry.
      // Not saved, a retry is handled again, and its reply still goes out once (the outbox id is the request's).
      await store.set(key, 1, DELIVERY_TTL_MS).catch((error: unknown) => logger.warn('slack: delivery mark not saved', { error }));
      await boltAck(response);
    };
    try {
      await this.app!.processEvent({ body, ack, ...retry });
    } catch (error) {
      if (acked) logger.error('slack: processing failed after the ack', { error });
      else {
        const notStored = isReplyNotStored(error);
        logger.error(notStored ? 'slack: reply not stored; answering 503 so Slack retries' : 'slack: processing failed', { error, retryNum: retry.retryNum });
        responseAck.ack();
        if (!res.headersSent) sendStatus(res, notStored ? 503 : 500);
        return false;
      }
    }
    // Bolt drops a body it cannot type without acknowledging it; answer instead of waiting for its 3 s timer.
    if (!acked) await ack();
    return true;
  }
}

/** `GET /healthz` and `GET /metrics`: the store, each adapter, the working-day calendar, and the Prometheus registry. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningAdapter } from '../adapter.js';
import type { Metrics } from '../metrics.js';
import type { OutboxHealth } from '../outbox/outbox.service.js';
import type { CalendarStatus } from '../rules/workday.rules.js';
import { sendJson } from '../server.js';
import type { StateStore } from '../store/state-store.js';

/** One component's health. */
export interface ComponentHealth {
  ok: boolean;
  detail?: string;
}

/** The /healthz body. */
export interface HealthReport {
  ok: boolean;
  store: ComponentHealth;
  adapters: Record<string, ComponentHealth>;
  /** How far the official holiday table reaches, and whether re-report dates are estimated now (R6). */
  calendar: Pick<CalendarStatus, 'officialThrough' | 'estimating'>;
  /** The durable outbox: messages waiting, the oldest one's age, those parked by a long retry_after, and why it is not ok (a refused write, a stall). */
  outbox?: OutboxHealth;
}

/** What /healthz reads of the outbox. */
export interface OutboxProbe {
  health(): Promise<OutboxHealth>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<ComponentHealth>): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch((error: unknown) => ({ ok: false, detail: error instanceof Error ? error.message : String(error) })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the store, every adapter and the outbox; `ok` only when all are (estimating dates is not a failure). */
export async function checkHealth(store: StateStore, adapters: RunningAdapter[], calendar: CalendarStatus, outbox?: OutboxProbe): Promise<HealthReport> {
  const [storeHealth, outboxHealth, ...states] = await Promise.all([
    probe(async () => {
      await store.ping();
      // A networked store also says where it is and that it is connected (issue 10 item 1).
      return store.describe ? { ok: true, detail: store.describe() } : { ok: true };
    }),
    outbox ? probe(() => outbox.health()) : undefined,
    ...adapters.map((a) => probe(() => a.health())),
  ]);
  const byName = Object.fromEntries(adapters.map((a, i) => [a.name, states[i]!]));
  const { officialThrough, estimating } = calendar;
  const report: HealthReport = { ok: storeHealth!.ok && (outboxHealth?.ok ?? true) && states.every((s) => s.ok), store: storeHealth!, adapters: byName, calendar: { officialThrough, estimating } };
  if (outboxHealth) report.outbox = { depth: 0, oldestAgeS: 0, parked: 0, ...outboxHealth };
  return report;
}

/**
 * GET /healthz: 200 while the store and the outbox each take a write and the outbox keeps sending, 503 when not (nothing works without them). An
 * adapter that is down shows in the body with `ok: false` but does not fail the probe, so a load
 * balancer keeps the instance that still serves the other platform and the filing events.
 */
export function healthHandler(store: StateStore, adapters: () => RunningAdapter[], calendar: () => CalendarStatus, outbox?: OutboxProbe) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const report = await checkHealth(store, adapters(), calendar(), outbox);
    // The outbox holds every reply: when it cannot be read or written, or sends nothing, no one is answered.
    sendJson(res, report.store.ok && (report.outbox?.ok ?? true) ? 200 : 503, report);
  };
}

/** Whether a request carries `Authorization: Bearer <token>`, compared in constant time. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  // Hash both sides first: timingSafeEqual needs equal lengths, and a digest leaks neither length nor content.
  const given = createHash('sha256').update(match[1]!).digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted);
}

/** GET /metrics: the registry in Prometheus text format; with a token (METRICS_TOKEN), only for `Authorization: Bearer <token>` (401 otherwise). */
export function metricsHandler(metrics: Metrics, token?: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (token !== undefined && !hasBearer(req, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain; charset=utf-8' });
      res.end('a bearer token is required\n');
      return;
    }
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}

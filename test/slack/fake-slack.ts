/** A local fake of the Slack Web API (`/api/<method>`) and of response_url endpoints (`/response/<n>`), recording every call. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the fake received. */
export interface Recorded {
  kind: 'api' | 'response';
  /** The Web API method (`chat.postMessage`) or the response_url path (`/response/3`). */
  method: string;
  body: Record<string, any>;
  token?: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The HTTP status the fake answered. */
  status?: number;
}

type Waiter = { match: (r: Recorded) => boolean; resolve: (r: Recorded) => void };

function parseBody(contentType: string | undefined, raw: string): Record<string, any> {
  if ((contentType ?? '').startsWith('application/json')) return raw ? JSON.parse(raw) : {};
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends blocks and views as JSON inside form fields.
    out[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return out;
}

/** The fake Slack. */
export class FakeSlack {
  readonly calls: Recorded[] = [];
  /** Members returned by usergroups.users.list, by group id. */
  usergroups: Record<string, string[]> = {};
  /** The workspace auth.test reports. */
  teamId = 'T0TEAM0001';
  /** Each user's locale as users.info reports it with include_locale (a user not listed has none). */
  locales: Record<string, string> = {};
  /** Methods that answer `ok: false` this many more times. */
  failures = new Map<string, number>();
  /** Methods (or `response` for response_url posts) that answer 429 with Retry-After this many more times. */
  private readonly limits = new Map<string, { times: number; retryAfterS: number }>();
  private readonly waiters: Waiter[] = [];
  private readonly held = new Map<string, Array<() => void>>();
  private holding = new Set<string>();
  private server?: Server;
  private port = 0;
  private ts = 0;
  private responses = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The Web API base, as SLACK_API_URL takes it. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A fresh response_url pointing at the fake. */
  nextResponseUrl(): string {
    this.responses += 1;
    return `http://127.0.0.1:${this.port}/response/${this.responses}`;
  }

  /** Calls to one Web API method. */
  api(method: string): Recorded[] {
    return this.calls.filter((c) => c.kind === 'api' && c.method === method);
  }

  /** Posts to a response_url (all, or the one at this path). */
  responsesTo(url?: string): Recorded[] {
    const path = url ? new URL(url).pathname : undefined;
    return this.calls.filter((c) => c.kind === 'response' && (!path || c.method === path));
  }

  /** Resolves with the first recorded call that matches, now or later. */
  waitFor(match: (r: Recorded) => boolean): Promise<Recorded> {
    const found = this.calls.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Holds answers to response_url posts (`response`) or to a Web API method's calls (they are still recorded) until `release`. */
  hold(kind: string): void {
    this.holding.add(kind);
  }

  /** Answers every held post. */
  release(kind: string): void {
    this.holding.delete(kind);
    for (const answer of this.held.get(kind) ?? []) answer();
    this.held.delete(kind);
  }

  /** Answers the next `times` calls of `target` (a Web API method, or `response` for response_url posts) with 429 and `Retry-After: retryAfterS`. */
  rateLimit(target: string, times: number, retryAfterS: number): void {
    this.limits.set(target, { times, retryAfterS });
  }

  /** Everything recorded, as one string (for privacy assertions). */
  everything(): string {
    return JSON.stringify(this.calls);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const body = parseBody(req.headers['content-type'], raw);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (body.token as string | undefined);

    const limited = (target: string, record: Recorded): boolean => {
      const limit = this.limits.get(target);
      if (!limit || limit.times <= 0) return false;
      limit.times -= 1;
      record.status = 429;
      this.record(record);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.retryAfterS) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return true;
    };
    if (path.startsWith('/response/')) {
      const record: Recorded = { kind: 'response', method: path, body, at: Date.now() };
      if (limited('response', record)) return;
      record.status = 200;
      this.record(record);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      if (this.holding.has('response')) this.held.set('response', [...(this.held.get('response') ?? []), answer]);
      else answer();
      return;
    }
    const method = path.replace(/^\/api\//, '');
    const record: Recorded = { kind: 'api', method, body, token, at: Date.now() };
    if (limited(method, record)) return;
    record.status = 200;
    this.record(record);
    const json = (status: number, out: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    };
    if (this.holding.has(method)) {
      this.held.set(method, [...(this.held.get(method) ?? []), () => void this.answerApi(method, body, token, json)]);
      return;
    }
    return this.answerApi(method, body, token, json);
  }

  private answerApi(method: string, body: Record<string, any>, token: string | undefined, json: (status: number, out: unknown) => void) {
    const failuresLeft = this.failures.get(method) ?? 0;
    if (failuresLeft > 0) {
      this.failures.set(method, failuresLeft - 1);
      return json(200, { ok: false, error: 'channel_not_found' });
    }
    if (token !== 'xoxb-test') return json(200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return json(200, { ok: true, team_id: this.teamId, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', team: 'Example' });
      case 'chat.postMessage':
        this.ts += 1;
        return json(200, { ok: true, channel: body.channel, ts: `1700000000.${String(this.ts).padStart(6, '0')}` });
      case 'chat.postEphemeral':
        return json(200, { ok: true, message_ts: '1700000000.000001' });
      case 'views.publish':
        return json(200, { ok: true, view: { id: 'V0VIEW0001' } });
      case 'users.info': {
        const locale = body.include_locale === 'true' || body.include_locale === true ? this.locales[body.user as string] : undefined;
        return json(200, { ok: true, user: { id: body.user, team_id: this.teamId, ...(locale ? { locale } : {}) } });
      }
      case 'usergroups.users.list':
        return json(200, { ok: true, users: this.usergroups[body.usergroup as string] ?? [] });
      default:
        return json(200, { ok: false, error: 'unknown_method' });
    }
  }

  private record(call: Recorded): void {
    this.calls.push(call);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(call)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    }
  }
}

/** A local fake of the Feishu Open API, reached through the real SDK client: tenant token, send, reply, update a card, read a user, and the long connection's endpoint (refused). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the app made. */
export interface FeishuCall {
  op: 'send' | 'reply' | 'update';
  /** The chat (send), or the message replied to or updated. */
  target: string;
  card: { elements?: unknown[]; header?: unknown };
}

/** The fake Open API. */
export class FakeFeishu {
  readonly calls: FeishuCall[] = [];
  /** Mobile numbers on people's profiles, by open_id. */
  readonly mobiles = new Map<string, string>();
  /** Every request, with its method and path (tests check what was asked). */
  readonly requests: string[] = [];
  /** The next calls answered with a rate limit: HTTP status, and the reset in seconds. */
  private limited: Array<{ status: number; resetS: number }> = [];
  private server?: Server;
  private ids = 0;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the next sends with Feishu's rate limit (HTTP 429, or 400 as older endpoints do), code 99991400 and x-ogw-ratelimit-reset. */
  limitNext(count: number, resetS: number, status = 429): void {
    for (let i = 0; i < count; i += 1) this.limited.push({ status, resetS });
  }

  /** Every card's text, in order, as one string per call. */
  texts(): string[] {
    return this.calls.map((c) => JSON.stringify(c.card));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', this.baseUrl);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (path === '/open-apis/auth/v3/tenant_access_token/internal') return json(200, { code: 0, msg: 'ok', tenant_access_token: 't-fake-token', expire: 7200 });
    if (path === '/callback/ws/endpoint') return json(200, { code: 1000040350, msg: 'the fake has no long connection', data: {} });
    if (req.headers.authorization !== 'Bearer t-fake-token') return json(400, { code: 99991663, msg: 'invalid tenant access token' });
    const user = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && user) {
      const openId = decodeURIComponent(user[1]!);
      const mobile = this.mobiles.get(openId);
      return json(200, { code: 0, msg: 'success', data: { user: { open_id: openId, name: 'x', ...(mobile ? { mobile } : {}) } } });
    }
    if (/\/om_gone(\/reply)?$/.test(path)) return json(400, { code: 230011, msg: 'the message was withdrawn' });
    const limit = this.limited.shift();
    if (limit) return json(limit.status, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(limit.resetS) });
    const card = typeof body.content === 'string' ? (JSON.parse(body.content) as FeishuCall['card']) : {};
    const messageId = `om_fake${(this.ids += 1)}`;
    if (req.method === 'POST' && path === '/open-apis/im/v1/messages') {
      this.calls.push({ op: 'send', target: String(body.receive_id), card });
      return json(200, { code: 0, msg: 'success', data: { message_id: messageId } });
    }
    const reply = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (req.method === 'POST' && reply) {
      this.calls.push({ op: 'reply', target: reply[1]!, card });
      return json(200, { code: 0, msg: 'success', data: { message_id: messageId } });
    }
    const patch = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (req.method === 'PATCH' && patch) {
      this.calls.push({ op: 'update', target: patch[1]!, card });
      return json(200, { code: 0, msg: 'success', data: {} });
    }
    json(404, { code: 404, msg: `no route ${req.method} ${path}` });
  }
}

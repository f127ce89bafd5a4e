/**
 * A tiny round-robin load balancer for multi-instance tests: each request goes to the next
 * upstream in turn; an upstream that refuses the connection is skipped for the next one, as a
 * balancer's health check would, and the caller gets 502 only when none answers. It records which
 * upstream took each request, so a test can show the traffic was really spread.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One forwarded request: which upstream (by index) took it and what it answered. */
export interface Forwarded {
  path: string;
  upstream: number;
  status: number;
}

/** The running balancer. */
export interface RoundRobin {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Every request that reached an upstream, in order. */
  readonly forwarded: Forwarded[];
  stop(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a balancer on a free loopback port over `upstreams` (base URLs, read at each request so a test may change them). */
export async function startRoundRobin(upstreams: () => string[]): Promise<RoundRobin> {
  const forwarded: Forwarded[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_HEADERS.has(name) && typeof value === 'string') headers[name] = value;
      const bases = upstreams();
      for (let tries = 0; tries < bases.length; tries++) {
        const upstream = next++ % bases.length;
        let answer: Response;
        try {
          answer = await fetch(`${bases[upstream]}${req.url ?? '/'}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : new Uint8Array(body), signal: AbortSignal.timeout(30_000) });
        } catch {
          continue; // a dead upstream: the next one takes it
        }
        const text = Buffer.from(await answer.arrayBuffer());
        forwarded.push({ path: req.url ?? '/', upstream, status: answer.status });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'no upstream answered' }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The one HTTP server on PORT: health, metrics, filing events, Slack and the Telegram webhook mount routes here. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.js';
import { StartError } from './start.errors.js';

/** A route handler; it owns the response. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

// What an operator changes when the port cannot be opened; an error we do not know keeps its own words.
function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  const where = `port ${port} on ${host}`;
  if (error.code === 'EADDRINUSE') return new StartError(`${where} is already in use: stop the program using it, or set PORT to a free port`, { cause: error });
  if (error.code === 'EACCES') return new StartError(`${where} needs privileges this process lacks: set PORT to 1024 or above`, { cause: error });
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return new StartError(`HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all`, { cause: error });
  return error;
}

/** A body over the limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body over ${limit} bytes`);
  }
}

/**
 * Reads a request body up to `limit` bytes; rejects with BodyTooLargeError past it and reads no
 * further (the refusal then closes the connection, see `sendJson`).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The largest body a route that takes none (GET, HEAD) accepts; anything bigger gets 413 unread. */
export const NO_BODY_LIMIT = 1024;
const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

// Whether a request comes with a body that is, or may become, larger than `limit`.
function bodyOver(req: IncomingMessage, limit: number): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const declared = Number(req.headers['content-length'] ?? 0);
  return !Number.isFinite(declared) || declared > limit;
}

// A response sent before its request's body has all arrived (a refusal: unauthorised, too large,
// stopping) closes the connection, so the server reads no more of it; with the connection kept
// alive, Node would read the rest of the body, however large, and throw it away.
function closeIfUnread(res: ServerResponse): { connection?: string } {
  return res.req !== undefined && !res.req.complete ? { connection: 'close' } : {};
}

/** Writes a JSON response (closing the connection when the request's body is still unread). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...closeIfUnread(res) });
  res.end(text);
}

/** Writes a response with a status and no body (closing the connection when the request's body is still unread). */
export function sendStatus(res: ServerResponse, status: number): void {
  res.writeHead(status, closeIfUnread(res));
  res.end();
}

/** The HTTP server with an exact-path route table. */
export class HttpServer {
  private readonly routes = new Map<string, RouteHandler>();
  readonly server: Server;

  constructor(private readonly logger: Logger) {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.requestTimeout = 30_000;
  }

  /** Mounts a handler on `METHOD /path` (query strings are ignored when matching). */
  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const handler = this.routes.get(`${req.method} ${path}`);
    if (!handler) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${path}`));
      const [status, error] = known ? [405, 'method not allowed'] : [404, 'not found'];
      sendJson(res, status, { ok: false, error });
      return;
    }
    // A chunked body of any size is refused too: its length is unknown until it has all been read.
    if (BODYLESS_METHODS.has(req.method ?? '') && bodyOver(req, NO_BODY_LIMIT)) {
      sendJson(res, 413, { ok: false, error: `a ${req.method} request takes no body (at most ${NO_BODY_LIMIT} bytes)` });
      return;
    }
    try {
      await handler(req, res);
    } catch (error) {
      this.logger.error('http handler failed', { path, error });
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
      else res.end();
    }
  }

  /** Starts listening; resolves with the bound port (0 picks a free one), or rejects with a StartError saying what to change. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, port, host)));
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stops accepting and closes idle connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }
}

import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { HttpServer, readBody, sendJson } from '../../src/server.js';

let server: HttpServer;
let port: number;
let getCalls: number;

beforeEach(async () => {
  getCalls = 0;
  server = new HttpServer(silentLogger);
  server.route('GET', '/healthz', (_req, res) => {
    getCalls += 1;
    sendJson(res, 200, { ok: true });
  });
  server.route('HEAD', '/healthz', (_req, res) => {
    getCalls += 1;
    sendJson(res, 200, { ok: true });
  });
  server.route('POST', '/hook', async (req, res) => sendJson(res, 200, { ok: true, bytes: (await readBody(req, 64 * 1024)).length }));
  port = await server.listen(0, '127.0.0.1');
});
afterEach(() => server.close());

/** Sends raw bytes and collects everything the server writes until it closes the connection. */
function raw(head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    // The server closing the connection is what proves it stopped reading: the client never sends the rest.
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(`${head.replace(/\n/g, '\r\n')}\r\n\r\n${body}`);
  });
}

/** An ordinary request through node:http, with an optional body, on a connection it closes after. */
function call(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('routes that take no body refuse one', () => {
  it('a GET declaring a 50 MB body gets 413 after 10 bytes of it, and the connection is closed', async () => {
    const reply = await raw(`GET /healthz HTTP/1.1\nHost: x\nContent-Length: ${50 * 1024 * 1024}`, '0123456789');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toContain(`at most ${1024} bytes`);
    expect(getCalls).toBe(0);
  });

  it('a HEAD declaring a large body gets 413 too', async () => {
    const reply = await raw(`HEAD /healthz HTTP/1.1\nHost: x\nContent-Length: 2000000`);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(getCalls).toBe(0);
  });

  it('a chunked GET body is refused: its size is unknown until it has all been read', async () => {
    const reply = await raw(`GET /healthz HTTP/1.1\nHost: x\nTransfer-Encoding: chunked`, '5\r\nhello\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(getCalls).toBe(0);
  });

  it('a GET with a body just over the limit is refused; one at the limit is answered', async () => {
    expect((await call('GET', '/healthz', 'x'.repeat(1024 + 1))).status).toBe(413);
    expect(getCalls).toBe(0);
    expect(await call('GET', '/healthz', 'x'.repeat(1024))).toEqual({ status: 200, body: '{"ok":true}' });
    expect(await call('GET', '/healthz')).toEqual({ status: 200, body: '{"ok":true}' });
    expect(getCalls).toBe(2);
  });

  it('a POST route still takes its body (over the no-body limit, under its own)', async () => {
    expect(await call('POST', '/hook', 'y'.repeat(10 * 1024))).toEqual({ status: 200, body: JSON.stringify({ ok: true, bytes: 10 * 1024 }) });
  });

  it('an unknown path or method with a large body is answered 404/405 and closed, not read', async () => {
    const missing = await raw(`POST /nowhere HTTP/1.1\nHost: x\nContent-Length: ${50 * 1024 * 1024}`, 'abc');
    expect(missing).toMatch(/^HTTP\/1\.1 404 /);
    expect(missing.toLowerCase()).toContain('connection: close');
    const wrongMethod = await raw(`PUT /healthz HTTP/1.1\nHost: x\nContent-Length: ${50 * 1024 * 1024}`, 'abc');
    expect(wrongMethod).toMatch(/^HTTP\/1\.1 405 /);
  });

  it('a request without a body on an unknown path keeps the ordinary answer', async () => {
    expect(await call('GET', '/nowhere')).toEqual({ status: 404, body: '{"ok":false,"error":"not found"}' });
  });
});

describe('the listen address', () => {
  it('CONTRACT §3 HOST: the server binds the address it is given', async () => {
    const other = new HttpServer(silentLogger);
    try {
      await other.listen(0, '127.0.0.1');
      expect((other.server.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await other.close();
    }
  });
});

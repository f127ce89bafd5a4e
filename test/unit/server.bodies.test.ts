/**
 * Huge bodies (issue 22 §1): a 50 MB POST to every route that takes a body, plain or chunked, is
 * answered with its refusal and `Connection: close`, and the server stops reading: it reads at
 * most the route's limit (never over 1 MiB) plus what was already in flight.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mountWebhook } from '../../adapters/telegram/telegram.webhook.js';
import { route } from '../../flows/router.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { silentLogger } from '../../src/log.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { localBackend } from '../../src/backends/local/local.backend.js';
import { startHarness, type Harness } from '../slack/slack.harness.js';
import { startServices } from '../support/services.js';

const MiB = 1024 * 1024;
const HUGE = 50 * MiB;
// What may be read past a route's limit: the chunk that crossed it and those already in flight.
const SLACK_READ = MiB;

/** Counts what the server read on each connection it accepted. */
function readCounter(server: HttpServer): () => number {
  const sockets: Socket[] = [];
  server.server.on('connection', (s: Socket) => sockets.push(s));
  return () => sockets.reduce((sum, s) => sum + s.bytesRead, 0);
}

/** Streams a 50 MB body (declared, or chunked) until the server closes the connection; resolves with the status line and bytes sent. */
function blast(port: number, path: string, headers: Record<string, string>, chunked: boolean): Promise<{ status: number; head: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let closed = false;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server was still reading after ${sent} bytes`));
    }, 15_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(guard);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: (text.split('\r\n\r\n')[0] ?? '').toLowerCase(), sent });
    });
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${HUGE}`}\r\n\r\n`);
    const piece = Buffer.alloc(64 * 1024, 'a');
    const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    const pump = () => {
      while (!closed && sent < HUGE) {
        sent += piece.length;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function listening(server: HttpServer): Promise<number> {
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  return port;
}

describe('a 50 MB body is refused and not read to its end', () => {
  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'plain';

    it(`Telegram webhook, wrong secret (${how}): 401, Connection: close, nothing of the body read`, async () => {
      const server = new HttpServer(silentLogger);
      const read = readCounter(server);
      mountWebhook(server, { path: '/tg', secret: 's3cret', limit: 1_000_000, log: silentLogger, isStopped: () => false, dispatch: async () => ({ status: 'done' }) as never });
      const port = await listening(server);
      const res = await blast(port, '/tg', { 'X-Telegram-Bot-Api-Secret-Token': 'wrong' }, chunked);
      expect(res.status).toBe(401);
      expect(res.head).toContain('connection: close');
      expect(res.sent).toBeLessThan(HUGE);
      expect(read()).toBeLessThan(SLACK_READ);
    });

    it(`Telegram webhook, right secret (${how}): 413 after its 1,000,000-byte limit`, async () => {
      const server = new HttpServer(silentLogger);
      const read = readCounter(server);
      mountWebhook(server, { path: '/tg', secret: 's3cret', limit: 1_000_000, log: silentLogger, isStopped: () => false, dispatch: async () => ({ status: 'done' }) as never });
      const port = await listening(server);
      const res = await blast(port, '/tg', { 'X-Telegram-Bot-Api-Secret-Token': 's3cret' }, chunked);
      expect(res.status).toBe(413);
      expect(res.head).toContain('connection: close');
      expect(read()).toBeLessThan(1_000_000 + SLACK_READ);
    });

    it(`filing-event hook (${how}): 413 after its 256 KiB limit`, async () => {
      const config = loadConfig({ STORE_URL: 'memory://', EVENTS_SECRET: 'e'.repeat(32) });
      const core = await createCore(config, { route, backend: localBackend(KeyvStateStore.memory()), clock: new FakeClock(DEMO_ANCHOR), logger: silentLogger });
      cleanups.push(() => core.close());
      const server = new HttpServer(silentLogger);
      const read = readCounter(server);
      const reminders = await startServices(core, server);
      cleanups.push(async () => reminders.stop());
      const port = await listening(server);
      const res = await blast(port, '/hooks/filing-events', { 'X-Timestamp': '0', 'X-Signature': 'sha256=00' }, chunked);
      expect(res.status).toBe(413);
      expect(res.head).toContain('connection: close');
      expect(read()).toBeLessThan(256 * 1024 + SLACK_READ);
    });

    it(`Slack's route (${how}): 413 after its 1 MiB limit`, async () => {
      const h: Harness = await startHarness();
      cleanups.push(() => h.close());
      const read = readCounter(h.server);
      const res = await blast(Number(new URL(h.url).port), '/slack/events', {}, chunked);
      expect(res.status).toBe(413);
      expect(res.head).toContain('connection: close');
      expect(read()).toBeLessThan(MiB + SLACK_READ);
    });
  }

  it('an unknown path with a 50 MB body: 404 and closed, nothing read', async () => {
    const server = new HttpServer(silentLogger);
    const read = readCounter(server);
    const port = await listening(server);
    const res = await blast(port, '/nowhere', {}, false);
    expect(res.status).toBe(404);
    expect(res.head).toContain('connection: close');
    expect(read()).toBeLessThan(SLACK_READ);
  });
});

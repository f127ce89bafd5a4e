/** A real redis-server for tests: a free port, no persistence, a temp dir; it can be killed and restarted on the same port. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { RedisConnection } from '../../src/backends/redis/redis.connection.js';

/** A running test Redis. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit; the port stays reserved for restart(). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers PING. */
  restart(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test run that dies must not leave redis-server processes behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Fails with an instruction when redis-server is missing: the Redis tests never skip. */
function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error('redis-server is not installed, and the Redis store tests need a real one: install it (apt-get install -y redis-server); npm test does this itself when run as root with apt');
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** True when something on the port answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

function spawnServer(port: number, dir: string): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk.toString()));
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode}): ${stderr.trim()}`);
    if (await answersPing(port)) return;
    await sleep(20);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Starts a redis-server on a free loopback port and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  assertInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'beian-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let child = spawnServer(port, dir);
    try {
      await waitReady(child, port);
    } catch (error) {
      await kill(child, 'SIGKILL');
      // Another process may have taken the port between the probe and the bind: try another one.
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      kill: () => kill(child, 'SIGKILL'),
      restart: async () => {
        await kill(child, 'SIGKILL');
        child = spawnServer(port, dir);
        await waitReady(child, port);
      },
      stop: async () => {
        await kill(child, 'SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * One redis-server for a test file: started before its tests and stopped after them, with
 * `connection()` opening connections that are closed after each test.
 */
export function useRedisServer(): { readonly url: string; connection(): RedisConnection } {
  let server: RedisServer | undefined;
  const open: RedisConnection[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close().catch(() => undefined);
  });
  return {
    get url() {
      if (!server) throw new Error('useRedisServer: the server starts in beforeAll');
      return server.url;
    },
    connection() {
      const c = RedisConnection.open(this.url);
      open.push(c);
      return c;
    },
  };
}

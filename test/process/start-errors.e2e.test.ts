/**
 * A start that cannot go on, run as a child process: stderr says in one line what failed and what
 * to do, with no stack trace; LOG_LEVEL=debug adds the trace.
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../support/app-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** How a start ended: its exit code, every stderr line, and those that are not the app's ordinary JSON log records. */
interface Failed {
  code: number | null;
  stderr: string[];
  problems: string[];
}

/** Runs the app from source with only `env` (and PATH, HOME), stdin closed, until it exits. */
function run(env: Record<string, string>): Promise<Failed> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  cleanup.push(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      const lines = stderr.split('\n').filter((l) => l !== '');
      // The start's own info and warn records (core ready, the calendar's notice) come before a failure of a later part.
      const ordinary = (l: string) => /^\{.*"level":"(info|warn)"/.test(l);
      resolve({ code, stderr: lines, problems: lines.filter((l) => !ordinary(l)) });
    }),
  );
}

/** A TCP port held open by this test until it ends. */
async function heldPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** A Bot API server that refuses every token, as Telegram does a revoked one. */
async function refusingBotApi(): Promise<string> {
  const server: Server = createHttpServer((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":401,"description":"Unauthorized"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const TOKEN = '123456:ABC-start-errors';
const STACK_LINE = /^\s+at /;

describe('a start that cannot go on says so in one line', () => {
  it('a malformed STORE_URL: one line naming the variable and the forms it takes', async () => {
    const failed = await run({ STORE_URL: 'redis//localhost' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toEqual(['cannot start: STORE_URL: must be memory://, file:<path>, redis://[user:pass@]host:port[/db] or rediss://…']);
  }, 60_000);

  it('a claim lease shorter than two platform timeouts: one line naming both variables, before anything is opened', async () => {
    const failed = await run({ STORE_URL: 'memory://', PLATFORM_TIMEOUT_MS: '40000', OUTBOX_LEASE_MS: '60000' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toEqual(['cannot start: OUTBOX_LEASE_MS: must be at least 2 × PLATFORM_TIMEOUT_MS (80000 ms), so a send that hangs is given up before another instance may claim its message again']);
  }, 60_000);

  it('a missing filings file: one line naming the file and what to set', async () => {
    const failed = await run({ STORE_URL: 'memory://', FILINGS_FILE: './nope.json' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toEqual(['cannot start: filings file ./nope.json: cannot be read (no such file or directory): set FILINGS_FILE to a readable filings file, or leave it unset for the demo filings']);
  }, 60_000);

  it('an unreachable Bot API: one line naming the address and what to check, no stack trace', async () => {
    const port = await freePort();
    const failed = await run({ STORE_URL: 'memory://', TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`, PORT: '0' });
    expect(failed.code).toBe(1);
    expect(failed.problems).toHaveLength(1);
    expect(failed.problems[0]).toMatch(
      new RegExp(
        `^cannot start: the Telegram Bot API at http://127\\.0\\.0\\.1:${port} did not answer \\(connect ECONNREFUSED [^)]+\\): check TELEGRAM_API_ROOT \\(unset: https://api\\.telegram\\.org\\) and this machine's network$`,
      ),
    );
    expect(failed.stderr.filter((l) => STACK_LINE.test(l))).toEqual([]);
    expect(failed.stderr.join('\n')).not.toContain('ABC-start-errors');
  }, 60_000);

  it('a token the Bot API refuses: one line saying to copy the token from BotFather', async () => {
    const failed = await run({ STORE_URL: 'memory://', TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: await refusingBotApi(), PORT: '0' });
    expect(failed.code).toBe(1);
    expect(failed.problems).toEqual(["cannot start: the Telegram Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the bot's token from @BotFather into TELEGRAM_BOT_TOKEN"]);
    expect(failed.stderr.filter((l) => STACK_LINE.test(l))).toEqual([]);
  }, 60_000);

  it('a port in use: one line naming the port and what to do, no stack trace', async () => {
    const port = await heldPort();
    const failed = await run({ STORE_URL: 'memory://', EVENTS_SECRET: '0123456789abcdef', HOST: '127.0.0.1', PORT: String(port) });
    expect(failed.code).toBe(1);
    expect(failed.problems).toEqual([`cannot start: port ${port} on 127.0.0.1 is already in use: stop the program using it, or set PORT to a free port`]);
    expect(failed.stderr.filter((l) => STACK_LINE.test(l))).toEqual([]);
  }, 60_000);

  it('with LOG_LEVEL=debug the same line comes first, then the stack traces down to the system error', async () => {
    const port = await heldPort();
    const failed = await run({ STORE_URL: 'memory://', EVENTS_SECRET: '0123456789abcdef', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'debug' });
    expect(failed.code).toBe(1);
    const problems = failed.stderr.filter((l) => !l.startsWith('{'));
    expect(problems[0]).toBe(`cannot start: port ${port} on 127.0.0.1 is already in use: stop the program using it, or set PORT to a free port`);
    expect(problems.filter((l) => STACK_LINE.test(l)).length).toBeGreaterThan(0);
    expect(problems).toContain(`Error: listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
  }, 60_000);
});

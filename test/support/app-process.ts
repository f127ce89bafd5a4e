/**
 * The app as a child process, started the way a user starts it (`npm start`, or node directly), in
 * its own process group so a test can signal the npm process alone or kill the whole tree, then
 * check that nothing is left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './wait.js';

/** The repository root, where `npm start` runs. */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** How the app is started: through npm as a user would (building dist/ first), or node on what `npm start` execs (dist/main.js) with no npm between. */
export type LaunchMode = 'npm' | 'node';

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running app process and what it has written. */
export interface AppProcess {
  /** The process the test spawned: npm, or node itself. */
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Every stdout and stderr line, in arrival order. */
  readonly lines: string[];
  /** The lines that parsed as JSON log records. */
  readonly logs: Array<Record<string, unknown>>;
  /** Set once the spawned process has exited. */
  readonly exit: Exit | undefined;
  /** Whether a log record with this `msg` was written. */
  logged(msg: string): boolean;
  /** Waits until a log record with this `msg` is written. */
  waitForLog(msg: string, ms?: number): Promise<Record<string, unknown>>;
  /** Waits until `GET /healthz` answers at all (any status), failing early if the process exits. */
  waitForHealth(ms?: number): Promise<void>;
  /** Whether anything still answers `GET /healthz` on the port. */
  answers(): Promise<boolean>;
  /** Sends a signal to the spawned process only (npm itself, in npm mode). */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal to every process in the app's process group, as systemd's default KillMode does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGKILLs every process in the app's process group (npm, sh, node): a crash. */
  killTree(): void;
  /** Waits for the spawned process to exit; rejects after `ms`. */
  waitForExit(ms: number): Promise<Exit>;
  /** The live (not zombie) processes still in the app's process group. */
  survivors(): number[];
}

const built = new Set<string>();

/** Runs `npm run build`'s script in `root` once per test file, so node can run dist/ as `npm start` does. */
export function buildDist(root: string = REPO_ROOT): void {
  if (built.has(root)) return;
  const run = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the build failed (${run.status ?? run.signal}):\n${run.stderr}`);
  built.add(root);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The pids of live processes whose process group is `pgid`, read from /proc (Linux). */
export function processGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited while we looked
    }
    // The command name sits in parentheses and may hold spaces; the fields after it are fixed.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z' && state !== 'X') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Starts the app in `cwd` (this checkout unless given) with `env` (PORT is set to `port`, a free one
 * unless given) and a minimal base environment, in a new process group. Resolves once it is
 * spawned; call waitForHealth next.
 */
export async function startApp(opts: { env: Record<string, string>; mode?: LaunchMode; port?: number; cwd?: string }): Promise<AppProcess> {
  const cwd = opts.cwd ?? REPO_ROOT;
  const port = opts.port ?? (await freePort());
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env, PORT: String(port) };
  if (opts.mode === 'node') buildDist(cwd);
  const [command, args] = opts.mode === 'node' ? [process.execPath, ['--enable-source-maps', 'dist/main.js']] : ['npm', ['start', '--silent']];
  // detached: a process group of its own, so killTree reaches npm's children and nothing else.
  const child = spawn(command, args as string[], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${command}`);
  const lines: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      lines.push(line);
      if (!line.startsWith('{')) return;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line that only looks like JSON stays in `lines`
      }
    });
  }
  const base = `http://127.0.0.1:${port}`;
  const answers = async () => {
    try {
      await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      return true;
    } catch {
      return false;
    }
  };
  const app: AppProcess = {
    child,
    pid,
    port,
    base,
    lines,
    logs,
    get exit() {
      return exit;
    },
    logged: (msg) => logs.some((l) => l.msg === msg),
    waitForLog: (msg, ms = 20_000) => waitFor(`log "${msg}"`, () => logs.find((l) => l.msg === msg), ms),
    async waitForHealth(ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!(await answers())) {
        if (exit) throw new Error(`the app exited (${exit.code ?? exit.signal}) before answering:\n${lines.join('\n')}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for /healthz:\n${lines.join('\n')}`);
        await sleep(50);
      }
    },
    answers,
    signal: (signal) => void child.kill(signal),
    signalGroup: (signal) => signalGroup(pid, signal),
    killTree: () => signalGroup(pid, 'SIGKILL'),
    waitForExit: (ms) => Promise.race([exited, sleep(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(`the app did not exit within ${ms} ms`)))]),
    survivors: () => processGroup(pid),
  };
  return app;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

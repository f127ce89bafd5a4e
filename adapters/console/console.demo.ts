/**
 * The console's demo controls (issue 13): a clock the person moves (`/wait`, `/time`), running the
 * reminder ticks that fall due on the way, and filing events (`/event`) signed with a per-run secret
 * and handed to the very handler that serves `POST /hooks/filing-events`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Locale } from '../../src/activity.js';
import type { FakeClock } from '../../src/clock.js';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { t } from '../../src/i18n/catalog.js';
import { echoId } from '../../src/rules/echo.rules.js';
import { toChinaTime } from '../../src/time.js';

/** The longest single move of the demo clock; a filing's whole story fits in a few days. */
export const MAX_MOVE_DAYS = 30;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a forward duration like `12h`, `90m`, `1h30m`, `+2d`; undefined when it is not one or is out of range. */
export function parseDuration(text: string): number | undefined {
  const m = /^\+?((?:\d{1,5}[dhm])+)$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  let ms = 0;
  for (const [, n, unit] of m[1]!.matchAll(/(\d{1,5})([dhm])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms > 0 && ms <= MAX_MOVE_DAYS * UNIT_MS.d! ? ms : undefined;
}

/** A duration as the demo prints it: `1d 2h 30m`, leaving out zero parts. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 60_000);
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ] as const) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  return parts.join(' ') || '0m';
}

/** The filing event a `/event` line stands for, as the filing system would send it; undefined for a line that is not one. */
export function eventFromLine(args: string[], at: string): Record<string, unknown> | undefined {
  const [kind, filingId, extra] = args;
  if (!filingId || args.length > 3) return undefined;
  const base = { eventId: `console-${randomUUID()}`, at, filingId };
  switch (kind) {
    case 'reported':
      return args.length === 2 ? { ...base, type: 'filing.reported' } : undefined;
    case 'confirmed':
      // The phone goes to the hook as typed; the hook's own schema says what is wrong with it.
      return extra ? { ...base, type: 'verification.confirmed', phone: extra } : undefined;
    case 'returned':
      return { ...base, type: 'filing.returned', reason: extra ?? 'sms_timeout' };
    case 'status':
      return extra ? { ...base, type: 'filing.status', status: extra } : undefined;
    default:
      return undefined;
  }
}

// The hook's refusal (`{"error","field","issues"}`) as a few words: the field and its first problem, not the raw list.
function refusalReason(body: string): string {
  try {
    const { error, field, issues } = JSON.parse(body) as { error?: string; field?: string; issues?: Array<{ message?: string }> };
    const problem = issues?.[0]?.message;
    if (field && problem) return `${field}: ${problem}`;
    return field ? `${error} (${field})` : String(error);
  } catch {
    return body;
  }
}

/** The route handler of the filing-event hook, as `filingEventsHandler` builds it. */
export type HookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

/**
 * Calls the hook's handler with a signed request built in memory, as the HTTP server would, and
 * returns the status and body it answered. The request carries only what the handler reads.
 */
export async function callHook(handler: HookHandler, secret: string, body: string, timestamp: string): Promise<{ status: number; body: string }> {
  const req = Object.assign(Readable.from([Buffer.from(body)]), {
    method: 'POST',
    url: '/hooks/filing-events',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-timestamp': timestamp, 'x-signature': signEvent(secret, timestamp, body) },
  }) as unknown as IncomingMessage;
  const answer = { status: 0, body: '' };
  const res = {
    headersSent: false,
    setHeader: () => res,
    writeHead: (status: number) => {
      answer.status = status;
      res.headersSent = true;
      return res;
    },
    end: (text?: string) => {
      answer.body = text ?? '';
      return res;
    },
  };
  await handler(req, res as unknown as ServerResponse);
  return answer;
}

/** What the controls drive: the demo clock, the reminder ticks, the hook and its per-run secret. */
export interface DemoDeps {
  clock: FakeClock;
  /** Runs one reminder tick at the clock's time and waits for its sends. */
  tick(): Promise<unknown>;
  /** When the scheduler next has something due (epoch ms), if anything. */
  nextDueAt(): number | undefined;
  hook: HookHandler;
  secret: string;
  /** The locale of the console user now. */
  locale(): Promise<Locale>;
  write(text: string): void;
}

/** The demo controls: `handle` answers a `/time`, `/wait` or `/event` line and returns true, or returns false for a chat line. */
export class DemoControls {
  constructor(private readonly deps: DemoDeps) {}

  /** Handles a demo command; false when the line is not one (it goes to the conversation). */
  async handle(line: string): Promise<boolean> {
    const [command, ...args] = line.trim().split(/\s+/);
    const name = command?.toLowerCase();
    if (name === '/time' && args.length === 0) {
      await this.say('console.time', { time: toChinaTime(this.deps.clock.now()) });
      return true;
    }
    if (name === '/wait' || name === '/time') {
      const ms = args.length === 1 ? parseDuration(args[0]!) : undefined;
      if (ms === undefined) await this.say('console.wait.usage', { max: MAX_MOVE_DAYS });
      else await this.move(ms);
      return true;
    }
    if (name === '/event') {
      await this.event(args);
      return true;
    }
    return false;
  }

  /**
   * Moves the clock on by `ms`, stopping at every instant the scheduler has something due on the
   * way, so each stage and alert shows at its own time instead of only the latest after the jump.
   */
  async move(ms: number): Promise<void> {
    const { clock } = this.deps;
    const target = clock.now().valueOf() + ms;
    // Bounded, so a scheduler that kept something due at the same instant could not hang the demo.
    for (let i = 0; i < 10_000; i++) {
      const next = this.deps.nextDueAt();
      if (next === undefined || next > target) break;
      if (next > clock.now().valueOf()) clock.set(next);
      await this.deps.tick();
    }
    clock.set(target);
    await this.deps.tick();
    await this.say('console.moved', { by: formatDuration(ms), time: toChinaTime(clock.now()) });
  }

  /** Builds, signs and sends one filing event through the hook, prints its answer, then runs the tick the change makes due. */
  async event(args: string[]): Promise<void> {
    const now = this.deps.clock.now();
    const event = eventFromLine(args, now.toISOString());
    if (!event) return this.say('console.event.usage');
    const body = JSON.stringify(event);
    const answer = await callHook(this.deps.hook, this.deps.secret, body, String(Math.floor(now.valueOf() / 1000)));
    const shown = { type: String(event.type), id: echoId(String(event.filingId)), status: answer.status };
    if (answer.status >= 400) await this.say('console.event.refused', { ...shown, reason: refusalReason(answer.body) });
    else await this.say('console.event.result', { ...shown, body: answer.body });
    await this.deps.tick();
  }

  private async say(key: string, params: Record<string, string | number> = {}): Promise<void> {
    this.deps.write(`${t(await this.deps.locale(), key, params)}\n`);
  }
}

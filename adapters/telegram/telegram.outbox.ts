/**
 * The one outbox every Telegram send goes through: paced per chat (about 1/s) and globally (at
 * most about 25/s), most urgent first, honouring 429 `retry_after`; one slow chat never holds up
 * the others.
 */
import type { ChannelId } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';

/** Where the outbox takes time from; real time by default (pacing is about the platform, not the domain clock). */
export interface OutboxTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Pacing and retry numbers; every one can be injected so tests run fast. */
export interface OutboxLimits {
  /** Minimum time between two sends to one chat (Telegram: about one message per second per chat). */
  perChatIntervalMs: number;
  /** At most this many sends start in any `globalWindowMs` (Telegram: about 30/s for a bot; we stay under). */
  globalPerWindow: number;
  globalWindowMs: number;
  /** A 429 asking to wait longer than this parks the message (with a logged alert) instead of holding its caller. */
  maxRetryAfterMs: number;
  /** How often a message may be parked before it is given up. */
  maxParks: number;
  /** Attempts for a transient failure (network, 5xx) before giving up. */
  maxAttempts: number;
  /** Back-off after a transient failure, times the attempt number. */
  retryBaseMs: number;
}

/** The defaults for the real Bot API. */
export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  perChatIntervalMs: 1000,
  globalPerWindow: 25,
  globalWindowMs: 1000,
  maxRetryAfterMs: 60_000,
  maxParks: 3,
  maxAttempts: 3,
  retryBaseMs: 1000,
};

/** The priority of a reply to a person who just wrote: before any proactive message. */
export const PRIORITY_INTERACTIVE = 0;
/** The priority of a proactive message that names none (least urgent). */
export const PRIORITY_PROACTIVE_DEFAULT = Number.MAX_SAFE_INTEGER;

/** One call to make through the outbox. */
export interface OutboxTask {
  chatId: string;
  /** Lower is more urgent (earliest deadline first): reminders pass their deadline in epoch ms. */
  priority: number;
  /** The Bot API method, for logs and metrics (never the text). */
  method: string;
  /** Whether this call counts against the chat's pacing (a deletion does not). */
  paced?: boolean;
  call: () => Promise<unknown>;
}

/** What became of a task, as first known: sent, parked (it will be tried again later) or failed. */
export type OutboxOutcome =
  | { status: 'sent'; result: unknown }
  | { status: 'parked'; retryInMs: number }
  | { status: 'failed'; code?: number; description: string };

/** The error fields the Bot API gives (telegraf's TelegramError carries them in `response`). */
export function apiErrorOf(error: unknown): { code?: number; retryAfterS?: number; description: string } {
  const response = (error as { response?: { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } } } | undefined)?.response;
  const code = typeof response?.error_code === 'number' ? response.error_code : undefined;
  const retryAfter = response?.parameters?.retry_after;
  const description = typeof response?.description === 'string' ? response.description : error instanceof Error ? error.message : String(error);
  return { code, retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined, description };
}

interface Job {
  task: OutboxTask;
  seq: number;
  attempts: number;
  parks: number;
  settled: boolean;
  resolve: (outcome: OutboxOutcome) => void;
}

interface ChatQueue {
  id: string;
  jobs: Job[];
  nextAt: number;
  busy: boolean;
  version: number;
}

interface Entry {
  chat: ChatQueue;
  version: number;
  a: number;
  b: number;
}

/** A binary min-heap. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const realTimers: OutboxTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The HTTP server or the polling loop keeps the process alive; a pending wait alone must not.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * The outbox. Each chat has its own queue, ordered by priority then arrival, with one call in
 * flight at a time; the chat whose head is most urgent among the chats allowed to send goes next.
 * A 429 makes only that chat wait; a wait above the cap parks the message: its caller is told at
 * once and an alert is logged, and the message is tried again when the wait is over.
 */
export class Outbox {
  private readonly limits: OutboxLimits;
  private readonly timers: OutboxTimers;
  private readonly chats = new Map<string, ChatQueue>();
  private readonly ready = new Heap<Entry>((x, y) => x.a < y.a || (x.a === y.a && x.b < y.b));
  private readonly sleeping = new Heap<Entry>((x, y) => x.a < y.a);
  private readonly starts: number[] = [];
  private readonly idleWaiters: Array<() => void> = [];
  private seq = 0;
  private pending = 0;
  private parkedNow = 0;
  private timer: unknown;
  private timerAt = Infinity;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly deps: { logger: Logger; metrics?: Metrics; channel?: ChannelId; limits?: Partial<OutboxLimits>; timers?: OutboxTimers },
  ) {
    this.limits = { ...DEFAULT_OUTBOX_LIMITS, ...deps.limits };
    this.timers = deps.timers ?? realTimers;
  }

  /** Queues a call; resolves with its first known outcome (never rejects). */
  enqueue(task: OutboxTask): Promise<OutboxOutcome> {
    if (this.stopped) return Promise.resolve({ status: 'failed', description: 'outbox stopped' });
    return new Promise((resolve) => {
      const job: Job = { task, seq: this.seq++, attempts: 0, parks: 0, settled: false, resolve };
      const chat = this.chatOf(task.chatId);
      insertJob(chat.jobs, job);
      this.pending += 1;
      this.reschedule(chat);
      this.gauge();
      this.pump();
    });
  }

  /** Messages waiting or in flight. */
  get depth(): number {
    return this.pending;
  }

  /** Messages parked now (waiting out a long 429). */
  get parked(): number {
    return this.parkedNow;
  }

  /** Resolves when nothing is waiting or in flight, or after `timeoutMs`; true when empty. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    return new Promise((resolve) => {
      const handle = this.timers.setTimeout(() => resolve(this.pending === 0), timeoutMs);
      this.idleWaiters.push(() => {
        this.timers.clearTimeout(handle);
        resolve(true);
      });
    });
  }

  /** Stops sending; what is still queued is failed (and logged as lost). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    let lost = 0;
    for (const chat of this.chats.values())
      for (const job of chat.jobs.splice(0)) {
        lost += 1;
        this.settle(job, { status: 'failed', description: 'outbox stopped' });
      }
    if (lost > 0) this.deps.logger.warn('telegram outbox stopped with messages unsent', { lost });
    this.pending -= lost;
    this.gauge();
  }

  private chatOf(id: string): ChatQueue {
    let chat = this.chats.get(id);
    if (!chat) {
      chat = { id, jobs: [], nextAt: -Infinity, busy: false, version: 0 };
      this.chats.set(id, chat);
    }
    return chat;
  }

  /** Files a chat under ready or sleeping after any change to it; older entries go stale by version. */
  private reschedule(chat: ChatQueue): void {
    chat.version += 1;
    if (chat.busy || chat.jobs.length === 0) return;
    const head = chat.jobs[0]!;
    if (chat.nextAt > this.timers.now()) this.sleeping.push({ chat, version: chat.version, a: chat.nextAt, b: 0 });
    else this.ready.push({ chat, version: chat.version, a: head.task.priority, b: head.seq });
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.timers.now();
    for (let top = this.sleeping.peek(); top && top.a <= now; top = this.sleeping.peek()) {
      this.sleeping.pop();
      if (top.version === top.chat.version) this.reschedule(top.chat);
    }
    const { globalPerWindow, globalWindowMs } = this.limits;
    while (this.ready.size > 0) {
      while (this.starts.length > 0 && this.starts[0]! <= now - globalWindowMs) this.starts.shift();
      if (this.starts.length >= globalPerWindow) break;
      const entry = this.ready.pop()!;
      if (entry.version !== entry.chat.version) continue;
      const chat = entry.chat;
      const job = chat.jobs.shift()!;
      chat.busy = true;
      chat.version += 1;
      this.starts.push(now);
      void this.run(chat, job);
    }
    this.sweep(now);
    this.arm(now);
  }

  /** Sets the one timer for the next moment something may become sendable. */
  private arm(now: number): void {
    while (this.sleeping.size > 0 && this.sleeping.peek()!.version !== this.sleeping.peek()!.chat.version) this.sleeping.pop();
    let at = this.sleeping.peek()?.a ?? Infinity;
    if (this.ready.size > 0 && this.starts.length >= this.limits.globalPerWindow) at = Math.min(at, this.starts[0]! + this.limits.globalWindowMs);
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - now));
  }

  /** Forgets idle chats whose pacing has passed, at most once a second. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [id, chat] of this.chats) if (!chat.busy && chat.jobs.length === 0 && chat.nextAt <= now) this.chats.delete(id);
  }

  private async run(chat: ChatQueue, job: Job): Promise<void> {
    const { task } = job;
    const { logger } = this.deps;
    job.attempts += 1;
    let done = true;
    let waitMs = 0;
    try {
      const result = await task.call();
      this.count('ok');
      this.settle(job, { status: 'sent', result });
    } catch (error) {
      const api = apiErrorOf(error);
      // Not `code`: the logger redacts any field named like one (SMS codes, RULES R8).
      const fields = { method: task.method, chat: chat.id, apiError: api.code, description: api.description };
      if (api.code === 429) {
        this.deps.metrics?.rateLimited.inc({ channel: this.deps.channel ?? 'telegram' });
        waitMs = (api.retryAfterS ?? 1) * 1000;
        if (waitMs > this.limits.maxRetryAfterMs) {
          job.parks += 1;
          if (job.parks > this.limits.maxParks) {
            this.count('failed');
            logger.error('telegram outbox gave up a message after repeated long rate limits', { ...fields, retryAfterMs: waitMs, alert: true });
            this.settle(job, { status: 'failed', code: api.code, description: api.description });
          } else {
            done = false;
            this.count('parked');
            if (job.parks === 1) this.parkedNow += 1;
            logger.error('telegram outbox parked a message: rate limit above the cap', { ...fields, retryAfterMs: waitMs, capMs: this.limits.maxRetryAfterMs, alert: true });
            this.settle(job, { status: 'parked', retryInMs: waitMs });
          }
        } else {
          done = false;
          this.count('retry');
          logger.warn('telegram rate limited; waiting retry_after', { ...fields, retryAfterMs: waitMs });
        }
      } else if ((api.code === undefined || api.code >= 500) && job.attempts < this.limits.maxAttempts) {
        done = false;
        waitMs = this.limits.retryBaseMs * job.attempts;
        this.count('retry');
        logger.warn('telegram send failed; retrying', { ...fields, attempt: job.attempts, retryInMs: waitMs });
      } else {
        this.count('failed');
        logger.warn('telegram send failed', { ...fields, attempt: job.attempts });
        this.settle(job, { status: 'failed', code: api.code, description: api.description });
      }
    } finally {
      const now = this.timers.now();
      chat.busy = false;
      if (!done && !this.stopped) insertJob(chat.jobs, job);
      else {
        this.pending -= 1;
        if (job.parks > 0) this.parkedNow -= 1;
        if (!done) this.settle(job, { status: 'failed', description: 'outbox stopped' });
      }
      chat.nextAt = Math.max(chat.nextAt, now + waitMs, task.paced === false ? -Infinity : now + this.limits.perChatIntervalMs);
      this.reschedule(chat);
      this.gauge();
      this.pump();
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private settle(job: Job, outcome: OutboxOutcome): void {
    if (job.settled) {
      if (outcome.status !== 'parked') this.deps.logger.info('telegram parked message finished', { method: job.task.method, chat: job.task.chatId, outcome: outcome.status });
      return;
    }
    job.settled = true;
    job.resolve(outcome);
  }

  private count(outcome: 'ok' | 'retry' | 'parked' | 'failed'): void {
    this.deps.metrics?.sends.inc({ channel: this.deps.channel ?? 'telegram', outcome });
  }

  private gauge(): void {
    this.deps.metrics?.outboxDepth.set({ channel: this.deps.channel ?? 'telegram' }, this.pending);
  }
}

/** Inserts a job in priority-then-arrival order. */
function insertJob(jobs: Job[], job: Job): void {
  let lo = 0;
  let hi = jobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const other = jobs[mid]!;
    if (other.task.priority < job.task.priority || (other.task.priority === job.task.priority && other.seq < job.seq)) lo = mid + 1;
    else hi = mid;
  }
  jobs.splice(lo, 0, job);
}

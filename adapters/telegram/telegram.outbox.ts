/**
 * The one outbox every Telegram send goes through: paced per chat (about 1/s) and globally (at
 * most about 25/s), most urgent first, honouring 429 `retry_after`; one slow chat never holds up
 * the others.
 */
import type { ChannelId } from '../../src/activity.js';
import { Heap } from '../../src/heap.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import { apiErrorOf, DEFAULT_OUTBOX_LIMITS, type OutboxLimits, type OutboxOutcome, type OutboxTask, type OutboxTimers } from './telegram.outbox.types.js';

export { apiErrorOf, DEFAULT_OUTBOX_LIMITS, PRIORITY_INTERACTIVE, PRIORITY_PROACTIVE_DEFAULT, type OutboxLimits, type OutboxOutcome, type OutboxTask, type OutboxTimers } from './telegram.outbox.types.js';

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

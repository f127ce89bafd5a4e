/**
 * The Dispatcher drains an OutboxStore through per-platform Senders: most urgent first
 * (interactive, then earliest deadline), within the RateLimiter's sliding windows, one send in
 * flight per chat, and a chat that is slow or rate-limited never holds up the others.
 *
 * Delivery is at least once. A message leaves the store only after its platform accepted it, so
 * a crash repeats at most the sends in flight at that moment: at most `maxInFlight` messages
 * (64 by default), each at most once more. Messages claimed but not yet sent come back after their
 * lease and are sent for the first time, not repeated.
 *
 * Hung platforms: `concurrency` (8) sends share the bot's pace, but a send still waiting after
 * `slowSendMs` (1 s) stops counting against it, so chats whose calls hang (each held to one send in
 * flight) cannot take every slot while the others wait; `maxInFlight` bounds them all. Each Sender
 * gives up a call after its own timeout, shorter than the lease, and a send given up is retried later.
 *
 * (About 360 lines: claiming, pacing, sending and the outcome of a send share the state of
 * one drain loop, and splitting them would pass that state around instead.)
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../log.js';
import type { OutboxStats, OutboxStore } from './outbox.store.js';
import { realTimers, type NewOutboxMessage, type OutboxChannel, type OutboxMessage, type OutboxTimers, type Sender, type SendResult } from './outbox.types.js';
import { SlidingWindowLimiter, type RateLimiter } from './rate.limiter.js';
import { ChatHolds } from './chat.order.js';
import type { DropReason, OutboxHooks } from './outbox.hooks.js';

const chatKey = (m: OutboxMessage) => `${m.channel}:${m.chatId}`;

/**
 * How long claimed messages that only wait for a bot-wide window are kept in hand rather than
 * handed back and claimed again: at 1,000/s a claim per send cost more than the send (issue 12).
 * Anything more urgent enqueued here hands them back at once; this bounds what another instance
 * enqueued (or a retry come due) may wait behind them.
 */
const HOLD_CLAIMED_MS = 250;

// Whether a new message would be claimed before `m` (compareUrgency; a new one comes after any equal, having a later seq).
function moreUrgent(n: NewOutboxMessage, m: OutboxMessage): boolean {
  if (n.priority !== m.priority) return n.priority === 'interactive';
  return n.deadline < m.deadline;
}

export type { DropReason, OutboxHooks, Unreachable } from './outbox.hooks.js';

/** How the dispatcher behaves; every number can be injected so tests run fast. */
export interface DispatcherOptions {
  store: OutboxStore;
  senders: Partial<Record<OutboxChannel, Sender>>;
  limiter?: RateLimiter;
  timers?: OutboxTimers;
  hooks?: OutboxHooks;
  logger?: Logger;
  /** This instance's name on its leases. */
  owner?: string;
  /** Sends in flight at once that are not yet slow. */
  concurrency?: number;
  /** How long a send may take before it stops counting against `concurrency` (its platform may be hanging). */
  slowSendMs?: number;
  /** Sends in flight at once, slow ones included, which also bounds what a crash can repeat. */
  maxInFlight?: number;
  /**
   * How long the dispatcher may finish no send while work is due before it reports itself stalled;
   * half the lease by default, which every send outlives only when its Sender has no timeout of its own.
   */
  stallMs?: number;
  /** Messages claimed per store round trip. */
  claimBatch?: number;
  /** How long a claim holds; at least twice a Sender's own timeout (the configuration checks it). */
  leaseMs?: number;
  /** The longest wait a platform's retry_after can impose before the message is tried again (a probe). */
  maxRetryAfterMs?: number;
  /** Transient failures before a message is given up. */
  maxAttempts?: number;
  /** First back-off after a transient failure; it doubles per attempt, up to the cap. */
  retryBaseMs?: number;
  /** How often an idle dispatcher looks for work another instance enqueued. */
  pollMs?: number;
  /** How long a message waits when its chat already has a send in flight. */
  chatBusyRetryMs?: number;
}

/** How a call outside the stored messages takes its slot (see `Dispatcher.paced`). */
export interface PacedCall {
  /** How long it may wait for a slot before it is given up. */
  waitMs: number;
  /** Only in a slot no claimed message waits for (an optional call, such as "typing"). */
  spareOnly?: boolean;
}

/** Whether the dispatcher keeps up: `stalledMs` > 0 when it finished no send for that long while work was due. */
export interface Progress {
  stalledMs: number;
  /** Sends in flight now, and how many of them are past `slowSendMs`. */
  inFlight: number;
  slow: number;
}

/** What a stop left behind. */
export interface StopSummary {
  pending: number;
}

// stallMs: half the lease given, set in the constructor.
const DEFAULTS = { concurrency: 8, slowSendMs: 1000, maxInFlight: 64, stallMs: 0, claimBatch: 32, leaseMs: 60_000, maxRetryAfterMs: 300_000, maxAttempts: 5, retryBaseMs: 1000, pollMs: 1000, chatBusyRetryMs: 1000 };

/** Drains the outbox; `start` resumes whatever is pending, `stop(graceMs)` leaves the rest stored. */
export class Dispatcher {
  private readonly o: typeof DEFAULTS & { owner: string };
  private readonly store: OutboxStore;
  private readonly limiter: RateLimiter;
  private readonly timers: OutboxTimers;
  private readonly hooks: OutboxHooks;
  private readonly log: Logger;
  private state: 'idle' | 'running' | 'draining' = 'idle';
  private loop?: Promise<void>;
  private buffer: OutboxMessage[] = [];
  /** When the buffer was claimed, and whether something more urgent than its least urgent message was enqueued since. */
  private claimedAt = 0;
  private overtaken = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Sends in flight past `slowSendMs`: they no longer count against `concurrency`. */
  private slow = 0;
  /** When a send last finished, or the dispatcher last found nothing due: stalled when this lies long ago. */
  private progressAt = 0;
  private readonly busyChats = new Set<string>();
  private readonly holds = new ChatHolds();
  private graceEnd = Infinity;
  private waker?: () => void;
  private wakePending = false;

  constructor(private readonly deps: DispatcherOptions) {
    const given = Object.fromEntries(Object.entries(deps).filter(([k, v]) => k in DEFAULTS && v !== undefined));
    const leaseMs = deps.leaseMs ?? DEFAULTS.leaseMs;
    this.o = { ...DEFAULTS, stallMs: leaseMs / 2, ...given, owner: deps.owner ?? `outbox-${process.pid}-${randomUUID().slice(0, 8)}` };
    this.store = deps.store;
    this.limiter = deps.limiter ?? new SlidingWindowLimiter();
    this.timers = deps.timers ?? realTimers;
    this.hooks = deps.hooks ?? {};
    this.log = deps.logger ?? silentLogger;
  }

  /** Stores messages (atomically) and wakes the loop; returns how many were new (a known id is a no-op). */
  async enqueue(messages: readonly NewOutboxMessage[]): Promise<number> {
    const added = await this.store.enqueue(messages, this.timers.now());
    const last = this.buffer.at(-1);
    if (last && messages.some((n) => moreUrgent(n, last))) this.overtaken = true;
    if (added > 0) this.wake();
    return added;
  }

  /**
   * Runs a platform call that is no stored message (a chat action, a callback answer) within the
   * bot-wide budget, so every call counts. Its per-chat pace is a lane of its own, so it never holds
   * back that chat's messages. It waits at most `waitMs` for a slot; with `spareOnly` it is skipped
   * while claimed messages wait for one. Resolves whether the call ran.
   */
  async paced(channel: OutboxChannel, chatId: string, call: () => Promise<unknown>, o: PacedCall): Promise<boolean> {
    const giveUpAt = this.timers.now() + o.waitMs;
    for (;;) {
      if (o.spareOnly && this.buffer.some((m) => m.channel === channel)) return false;
      const now = this.timers.now();
      const grant = await this.limiter.acquire(channel, `${chatId}:call`, now);
      if (grant.ok) {
        try {
          await call();
        } finally {
          this.limiter.sent?.(grant.ticket, this.timers.now());
        }
        return true;
      }
      if (grant.retryAt > giveUpAt) return false;
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, grant.retryAt - now));
    }
  }

  /** Starts draining whatever is pending, most urgent first. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.graceEnd = Infinity;
    this.progressAt = this.timers.now();
    this.loop = this.run();
  }

  /**
   * Keeps sending for up to `graceMs` (less when nothing is due in that time), then claims
   * nothing more, hands unsent claims back, waits for the sends in flight and resolves. What is
   * left stays in the store for the next start.
   */
  async stop(graceMs = 0): Promise<StopSummary> {
    if (this.state === 'running') {
      this.state = 'draining';
      this.graceEnd = this.timers.now() + graceMs;
      this.wake();
    }
    await this.loop;
    this.loop = undefined;
    const unsent = this.buffer.splice(0).map((m) => m.id);
    await this.store.release(unsent);
    await Promise.allSettled([...this.inFlight]);
    this.state = 'idle';
    return { pending: (await this.store.stats(this.timers.now())).pending };
  }

  /** How full the store is. */
  stats(): Promise<OutboxStats> {
    return this.store.stats(this.timers.now());
  }

  /** Whether sends are finishing; a stopped dispatcher is never stalled (nothing is due to it). */
  progress(): Progress {
    const since = this.state === 'idle' ? 0 : this.timers.now() - this.progressAt;
    return { stalledMs: since >= this.o.stallMs ? since : 0, inFlight: this.inFlight.size, slow: this.slow };
  }

  /** Whether no further send may start now: the shared slots are taken, or too many sends hang. */
  private full(): boolean {
    return this.inFlight.size - this.slow >= this.o.concurrency || this.inFlight.size >= this.o.maxInFlight;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.state === 'draining' && this.timers.now() >= this.graceEnd) return;
      let wait: number;
      try {
        wait = await this.step();
      } catch (error) {
        this.log.error('outbox store failed; retrying', { error });
        wait = this.o.pollMs;
      }
      if (this.state === 'draining') {
        const now = this.timers.now();
        if (this.inFlight.size === 0 && this.buffer.length === 0 && now + wait >= this.graceEnd) return;
        wait = Math.min(wait, this.graceEnd - now);
      }
      if (wait > 0) await this.sleep(Math.min(wait, this.o.pollMs));
    }
  }

  /** Starts every send it may now; returns how long to wait before the next step (0: step again at once). */
  private async step(): Promise<number> {
    const now = this.timers.now();
    // Something more urgent came in (a reply during a burst): the claims in hand go back, so it is claimed ahead of them.
    if (this.buffer.length > 0 && (this.overtaken || now - this.claimedAt >= HOLD_CLAIMED_MS)) await this.store.release(this.buffer.splice(0).map((m) => m.id));
    if (this.buffer.length === 0) {
      if (this.full()) return Infinity;
      this.overtaken = false;
      this.claimedAt = now;
      this.buffer = await this.store.claim({ now, limit: this.o.claimBatch, leaseMs: this.o.leaseMs, owner: this.o.owner });
      if (this.buffer.length === 0) {
        // Nothing is due: caught up, however long ago the last send finished.
        if (this.inFlight.size === 0) this.progressAt = now;
        const next = await this.store.nextDueAt(now);
        return next === undefined ? Infinity : Math.max(1, next - now);
      }
    }
    const waitingOn = new Map<OutboxChannel, number>();
    let i = 0;
    while (i < this.buffer.length) {
      if (this.full()) return Infinity;
      const m = this.buffer[i]!;
      if (waitingOn.has(m.channel)) {
        i += 1;
        continue;
      }
      const at = this.timers.now();
      const sender = this.deps.senders[m.channel];
      if (m.expiresAt !== undefined && m.expiresAt <= at) await this.dropFromBuffer(i, 'expired', at);
      else if (!sender) await this.dropFromBuffer(i, 'no-sender', at);
      else if (this.holds.heldUntil(chatKey(m), at) > at) {
        this.buffer.splice(i, 1);
        // An earlier message of this chat waits until then: this one may not overtake it.
        await this.store.reschedule(m.id, { notBefore: this.holds.heldUntil(chatKey(m), at), reason: 'chat order' });
      } else if (this.busyChats.has(chatKey(m))) {
        this.buffer.splice(i, 1);
        await this.store.reschedule(m.id, { notBefore: this.holds.hold(chatKey(m), at + this.o.chatBusyRetryMs, at), reason: 'chat busy' });
      } else {
        const grant = await this.limiter.acquire(m.channel, m.chatId, at);
        if (grant.ok) {
          this.buffer.splice(i, 1);
          this.launch(m, sender, grant.ticket);
        } else if (grant.scope === 'chat') {
          this.buffer.splice(i, 1);
          // A blocked chat keeps its order through the limiter's block, which every later message meets too.
          if (!grant.blocked) this.holds.hold(chatKey(m), grant.retryAt, at);
          // A chat held back by a rate limit or back-off is unreachable for this message too (it counts towards the alert).
          if (grant.blocked) await this.retryLater(m, at, grant.retryAt, m.lastError ?? 'chat rate-limited', m.attempts, false);
          else await this.store.reschedule(m.id, { notBefore: grant.retryAt, reason: 'paced' });
        } else waitingOn.set(m.channel, grant.retryAt);
      }
    }
    if (this.buffer.length === 0) return 0;
    // Everything left waits on a bot-wide window. It stays in hand for the next window unless held
    // long enough or overtaken (the next step hands it back then), so a more urgent message enqueued
    // meanwhile (a reply during a reminder burst) is still claimed ahead of it.
    return Math.max(1, Math.min(...waitingOn.values()) - this.timers.now());
  }

  private async dropFromBuffer(i: number, reason: DropReason, now: number): Promise<void> {
    const [m] = this.buffer.splice(i, 1);
    await this.store.drop(m!.id, reason, now);
    this.log.warn('outbox dropped a message', { id: m!.id, channel: m!.channel, reason, kind: m!.meta?.kind });
    this.hook(() => this.hooks.onDropped?.(m!, reason));
  }

  private launch(m: OutboxMessage, sender: Sender, ticket: unknown): void {
    const key = chatKey(m);
    this.busyChats.add(key);
    let slow = false;
    // A send this slow is likely hanging: its slot goes to the other chats until its own timeout ends it.
    const slowTimer = this.timers.setTimeout(() => {
      slow = true;
      this.slow += 1;
      this.wake();
    }, this.o.slowSendMs);
    const flight: Promise<void> = this.deliver(m, sender, () => this.limiter.sent(ticket, this.timers.now()))
      .catch((error) => this.log.error('outbox could not record a send outcome; the message comes back after its lease', { id: m.id, error }))
      .finally(() => {
        this.timers.clearTimeout(slowTimer);
        if (slow) this.slow -= 1;
        this.busyChats.delete(key);
        this.inFlight.delete(flight);
        this.progressAt = this.timers.now();
        this.wake();
      });
    this.inFlight.add(flight);
  }

  private async deliver(m: OutboxMessage, sender: Sender, finished: () => void): Promise<void> {
    let result: SendResult;
    try {
      result = await sender.send(m.chatId, m.payload);
    } catch (error) {
      result = { kind: 'transient', error: error instanceof Error ? error.message : String(error) };
    }
    finished();
    const now = this.timers.now();
    if (result.kind === 'ok') {
      await this.store.ack(m.id, now);
      this.hook(() => this.hooks.onSent?.(m));
    } else if (result.kind === 'permanent' || (result.kind === 'transient' && m.attempts + 1 >= this.o.maxAttempts)) {
      await this.store.drop(m.id, result.error, now);
      this.log.warn('outbox gave up a message', { id: m.id, channel: m.channel, error: result.error, attempts: m.attempts + 1 });
      this.hook(() => this.hooks.onDropped?.(m, 'failed'));
    } else if (result.kind === 'retry-after') {
      const parked = result.retryAfterMs > this.o.maxRetryAfterMs;
      const wait = Math.max(0, Math.min(result.retryAfterMs, this.o.maxRetryAfterMs));
      await this.retryLater(m, now, now + wait, `429 retry_after ${Math.ceil(result.retryAfterMs / 1000)}s`, m.attempts);
      if (parked) this.log.warn('outbox parked a message: rate limit above the cap', { id: m.id, channel: m.channel, retryAfterMs: result.retryAfterMs, capMs: this.o.maxRetryAfterMs });
      this.hook(() => this.hooks.onRetry?.(m, parked ? 'parked' : 'rate-limited'));
    } else {
      const attempts = m.attempts + 1;
      const wait = Math.min(this.o.retryBaseMs * 2 ** (attempts - 1), this.o.maxRetryAfterMs);
      await this.retryLater(m, now, now + wait, result.error, attempts);
      this.hook(() => this.hooks.onRetry?.(m, 'transient'));
    }
  }

  /** Holds the chat back (so its later messages keep their order) and stores when to try again. */
  private async retryLater(m: OutboxMessage, now: number, notBefore: number, reason: string, attempts: number, blockChat = true): Promise<void> {
    if (blockChat) await this.limiter.block(m.channel, m.chatId, notBefore);
    const failingSince = m.failingSince ?? now;
    const alert = !m.alerted && now - failingSince >= this.o.maxRetryAfterMs;
    // The alert goes out before `alerted` is stored: a crash in between repeats it, rather than lose it.
    if (alert) this.hook(() => this.hooks.onUnreachable?.({ id: m.id, channel: m.channel, chatId: m.chatId, meta: m.meta, failingForMs: now - failingSince, lastError: reason }));
    await this.store.reschedule(m.id, { notBefore, reason, failed: true, attempts, failingSince, alerted: alert || m.alerted });
  }

  private hook(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log.error('outbox hook failed', { error });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.timers.setTimeout(() => done(), ms);
      const done = () => {
        this.timers.clearTimeout(handle);
        this.waker = undefined;
        resolve();
      };
      this.waker = done;
      if (this.wakePending) done();
      this.wakePending = false;
    });
  }

  /** Ends the current sleep at once, or the next one if the loop is busy. */
  private wake(): void {
    if (this.waker) this.waker();
    else this.wakePending = true;
  }
}

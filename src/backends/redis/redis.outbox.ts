/**
 * The shared OutboxStore on Redis (issue 10 item 4): any instance may enqueue, claim and send; a
 * claim is a lease, so what a crashed instance had claimed comes back once its lease ends.
 *
 * Why hand-written Lua and not BullMQ 6.7.0 (installed, and preferred by the issue): we checked
 * BullMQ against what this port and the Dispatcher need, and it falls short on four of five points:
 * - Earliest deadline first across classes: BullMQ orders by an integer priority of at most
 *   2^21 − 1 (`PRIORITY_LIMIT` in job.js), then FIFO. An epoch-ms deadline does not fit, so a 1 h
 *   reminder enqueued after a burst of 12 h ones would wait behind them.
 * - Per-chat pacing without head-of-line blocking: the open-source limiter is per queue; limits per
 *   group (chat) are BullMQ Pro. One queue per chat would mean a worker per chat.
 * - A global limiter measured over ANY one-second window: BullMQ's limiter is a fixed window
 *   (`INCR` then `PEXPIRE duration` on the first job, moveToActive.lua / prepareJobForProcessing.lua),
 *   so up to 2 × max jobs can start within one second across a window edge: 50/s where Telegram
 *   allows about 30. Our limiter is a sliding log (redis.limiter.ts).
 * - Reschedule to a later notBefore (a 429's retry_after) works (`moveToDelayed`), and idempotent
 *   ids work (a custom `jobId`, kept after completion for the retention) — those two would fit.
 * - Claim-many with a lease, release, stats by class: BullMQ's model is a Worker running a
 *   processor with lock renewal; the Dispatcher (the pacing, EDF and crash semantics tested in
 *   dispatcher.test.ts and durability.test.ts) would have to be rewritten around it.
 * So the queue is five short Lua scripts (redis.outbox.scripts.ts) over sorted sets, with the same
 * contract tests as the memory and SQLite stores. It needs one Redis node (or Sentinel), not a
 * Redis Cluster: the scripts derive per-message keys from the prefix.
 *
 * Layout: every key under `<root>.outbox:` (outside `<root>:*`, so StateStore.keys() never lists it).
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './redis.connection.js';
import { CLAIM, ENQUEUE, FINISH, FORGET, PROBE, RELEASE, RESCHEDULE } from './redis.outbox.scripts.js';
import { DEFAULT_KEEP_DONE_MS, isForgotten, namesForgotten, type ClaimOptions, type Forgotten, type OutboxStats, type OutboxStore, type Reschedule } from '../../outbox/outbox.store.js';
import { toStoredMessage, type NewOutboxMessage, type OutboxMessage, type PriorityClass } from '../../outbox/outbox.types.js';

/** Options for the Redis outbox. */
export interface RedisOutboxOptions {
  /** Root of the keys (the StateStore's, `beian` by default): keys live under `<root>.outbox:`. */
  root?: string;
  /** How long finished ids are remembered, so a replayed enqueue stays a no-op. */
  keepDoneMs?: number;
}

// The class is the top bit of the urgency score and the deadline the rest: a double holds both
// exactly (2^45 < 2^53), and deadlines until the year 2527 fit in 44 bits.
const CLASS_WEIGHT = 2 ** 44;
const CLASS: Record<PriorityClass, number> = { interactive: 0, proactive: 1 };
// Messages read or deleted per round trip when people are forgotten: one call never blocks Redis long.
const FORGET_BATCH = 500;

/** The immutable part of a message, stored as the caller's JSON. */
type Body = Pick<OutboxMessage, 'id' | 'channel' | 'chatId' | 'payload' | 'priority' | 'deadline' | 'expiresAt' | 'meta'>;

/** The outbox in Redis, shared by every instance on it. */
export class RedisOutboxStore implements OutboxStore {
  private readonly p: string;
  private readonly keepDoneMs: number;

  constructor(
    private readonly connection: RedisConnection,
    opts: RedisOutboxOptions = {},
  ) {
    this.p = `${opts.root ?? 'beian'}.outbox:`;
    this.keepDoneMs = opts.keepDoneMs ?? DEFAULT_KEEP_DONE_MS;
  }

  async enqueue(messages: readonly NewOutboxMessage[], now: number): Promise<number> {
    // Validated in full first: a batch with one bad message stores nothing.
    const stored = messages.map((m) => toStoredMessage(m, now, 0));
    const args: (string | number)[] = [this.p, now, now - this.keepDoneMs, stored.length];
    for (const m of stored) {
      const body: Body = { id: m.id, channel: m.channel, chatId: m.chatId, payload: m.payload, priority: m.priority, deadline: m.deadline, expiresAt: m.expiresAt, meta: m.meta };
      const urgency = CLASS[m.priority] * CLASS_WEIGHT + Math.min(Math.max(m.deadline, 0), CLASS_WEIGHT - 1);
      args.push(m.id, JSON.stringify(body), m.priority, urgency, m.notBefore);
    }
    return Number(await this.connection.run('outbox', (c) => ENQUEUE.run(c, [], args)));
  }

  async claim(opts: ClaimOptions): Promise<OutboxMessage[]> {
    const rows = (await this.connection.run('outbox', (c) => CLAIM.run(c, [], [this.p, opts.now, opts.limit, opts.now + opts.leaseMs, opts.owner]))) as Array<Array<string | null>>;
    return rows.map(toMessage);
  }

  async ack(id: string, now: number): Promise<void> {
    await this.connection.run('outbox', (c) => FINISH.run(c, [], [this.p, id, now]));
  }

  async drop(id: string, _reason: string, now: number): Promise<void> {
    await this.connection.run('outbox', (c) => FINISH.run(c, [], [this.p, id, now]));
  }

  async reschedule(id: string, change: Reschedule): Promise<void> {
    const opt = (v: number | boolean | undefined) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : v);
    const args = [this.p, id, change.notBefore, change.failed ? '1' : '', change.reason, opt(change.attempts), opt(change.failingSince), opt(change.alerted)];
    await this.connection.run('outbox', (c) => RESCHEDULE.run(c, [], args));
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.connection.run('outbox', (c) => RELEASE.run(c, [], [this.p, ...ids]));
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    const [ready, delayed, leased] = await this.connection.run('outbox', (c) =>
      Promise.all([c.zcard(`${this.p}ready`), c.zrange(`${this.p}delayed`, 0, 0, 'WITHSCORES'), c.zrange(`${this.p}leased`, 0, 0, 'WITHSCORES')]),
    );
    if (ready > 0) return now;
    const times = [delayed[1], leased[1]].filter((t): t is string => t !== undefined).map(Number);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  async stats(now: number): Promise<OutboxStats> {
    const [interactive, proactive, leased] = await this.connection.run('outbox', (c) => Promise.all([this.classStats(c, 'interactive'), this.classStats(c, 'proactive'), c.zcount(`${this.p}leased`, `(${now}`, '+inf')]));
    const oldest = Math.min(interactive.oldest, proactive.oldest);
    return {
      pending: interactive.n + proactive.n,
      byClass: { interactive: interactive.n, proactive: proactive.n },
      leased,
      oldestAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
    };
  }

  async forget(forgotten: Forgotten): Promise<number> {
    const ids = await this.connection.run('outbox', async (c) => {
      const out = (await c.zrange(`${this.p}done`, 0, -1)).filter((id) => namesForgotten(id, forgotten));
      // Every waiting message is in exactly one class set; its member is the 16-digit sequence and the id.
      const pending = (await Promise.all([c.zrange(`${this.p}class:interactive`, 0, -1), c.zrange(`${this.p}class:proactive`, 0, -1)])).flat().map((m) => m.slice(16));
      for (let i = 0; i < pending.length; i += FORGET_BATCH) {
        const ids = pending.slice(i, i + FORGET_BATCH);
        const bodies = await Promise.all(ids.map((id) => c.hget(`${this.p}m:${id}`, 'b')));
        ids.forEach((id, j) => {
          const body = bodies[j];
          if (body && isForgotten(JSON.parse(body) as Body, forgotten)) out.push(id);
        });
      }
      return out;
    });
    let n = 0;
    for (let i = 0; i < ids.length; i += FORGET_BATCH) n += Number(await this.connection.run('outbox', (c) => FORGET.run(c, [], [this.p, ...ids.slice(i, i + FORGET_BATCH)])));
    return n;
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const row = await this.connection.run('outbox', (c) => c.hmget(`${this.p}m:${id}`, 'b', 'nb', 's', 'a', 'le', 'fs', 'al'));
    return row[0] === null ? undefined : toMessage(row);
  }

  async ping(): Promise<void> {
    // Atomic, under the outbox's own prefix, as its own scripts write: a write refused there (out of memory, a read-only replica) shows.
    const token = randomUUID();
    const read = await this.connection.run('outbox', (c) => PROBE.run(c, [`${this.p}probe:${token}`], [token]));
    if (read !== token) throw new Error('the outbox probe read back a different value than it wrote');
  }

  /** Nothing of its own to close: the connection is the backend's. */
  async close(): Promise<void> {}

  private async classStats(c: RedisConnection['client'], cls: PriorityClass): Promise<{ n: number; oldest: number }> {
    const key = `${this.p}class:${cls}`;
    const [n, first] = await Promise.all([c.zcard(key), c.zrange(key, 0, 0, 'WITHSCORES')]);
    return { n, oldest: first[1] === undefined ? Infinity : Number(first[1]) };
  }
}

/** Rebuilds a message from the fields the scripts return: body, notBefore, seq, attempts, lastError, failingSince, alerted. */
function toMessage(row: Array<string | null>): OutboxMessage {
  const [body, nb, seq, attempts, lastError, failingSince, alerted] = row;
  const b = JSON.parse(body!) as Body;
  const message: OutboxMessage = { id: b.id, channel: b.channel, chatId: b.chatId, payload: b.payload, priority: b.priority, deadline: b.deadline, notBefore: Number(nb), seq: Number(seq), attempts: Number(attempts) };
  if (b.expiresAt !== undefined) message.expiresAt = b.expiresAt;
  if (b.meta !== undefined) message.meta = b.meta;
  if (lastError) message.lastError = lastError;
  if (failingSince) message.failingSince = Number(failingSince);
  if (alerted === '1') message.alerted = true;
  return message;
}

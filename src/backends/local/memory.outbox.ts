/** The in-memory OutboxStore: tests, the console, and the baseline the SQLite store is measured against. */
import { Heap } from '../../heap.js';
import { DEFAULT_KEEP_DONE_MS, type ClaimOptions, type OutboxStats, type OutboxStore, type Reschedule } from '../../outbox/outbox.store.js';
import { compareUrgency, toStoredMessage, type NewOutboxMessage, type OutboxMessage } from '../../outbox/outbox.types.js';

interface Slot {
  message: OutboxMessage;
  enqueuedAt: number;
  leaseUntil: number;
  /** Bumped on every change; heap entries carrying an older version are stale and skipped. */
  version: number;
}

interface Entry {
  slot: Slot;
  version: number;
  /** For the waiting heap: when the entry becomes claimable. */
  at: number;
}

/**
 * Pending messages in two heaps: `ready` by urgency (claimable since it was pushed, unless stale)
 * and `waiting` by the time a message becomes claimable (a later `notBefore` or a lease end).
 * Stale entries are dropped lazily, so every operation is O(log n).
 */
export class MemoryOutboxStore implements OutboxStore {
  private readonly slots = new Map<string, Slot>();
  private readonly done = new Map<string, number>();
  private readonly ready = new Heap<Entry>((x, y) => compareUrgency(x.slot.message, y.slot.message) < 0);
  private readonly waiting = new Heap<Entry>((x, y) => x.at < y.at);
  private seq = 0;

  constructor(private readonly opts: { keepDoneMs?: number } = {}) {}

  async enqueue(messages: readonly NewOutboxMessage[], now: number): Promise<number> {
    this.forgetDone(now);
    // Checked in full before any is stored: a batch is all or none.
    const fresh: OutboxMessage[] = [];
    const ids = new Set<string>();
    for (const input of messages) {
      const message = toStoredMessage(input, now, this.seq + fresh.length + 1);
      if (this.slots.has(message.id) || this.done.has(message.id) || ids.has(message.id)) continue;
      ids.add(message.id);
      fresh.push(message);
    }
    for (const message of fresh) {
      this.seq += 1;
      const slot: Slot = { message, enqueuedAt: now, leaseUntil: 0, version: 0 };
      this.slots.set(message.id, slot);
      this.file(slot, now);
    }
    return fresh.length;
  }

  async claim(opts: ClaimOptions): Promise<OutboxMessage[]> {
    const { now } = opts;
    for (let top = this.waiting.peek(); top && top.at <= now; top = this.waiting.peek()) {
      this.waiting.pop();
      if (this.isLive(top)) this.ready.push({ slot: top.slot, version: top.version, at: 0 });
    }
    const out: OutboxMessage[] = [];
    while (out.length < opts.limit && this.ready.size > 0) {
      const entry = this.ready.pop()!;
      if (!this.isLive(entry)) continue;
      const slot = entry.slot;
      slot.leaseUntil = now + opts.leaseMs;
      slot.version += 1;
      // Comes back by itself if the claimer never acknowledges (it crashed).
      this.waiting.push({ slot, version: slot.version, at: slot.leaseUntil });
      out.push(structuredClone(slot.message));
    }
    return out;
  }

  async ack(id: string, now: number): Promise<void> {
    this.finish(id, now);
  }

  async drop(id: string, _reason: string, now: number): Promise<void> {
    this.finish(id, now);
  }

  async reschedule(id: string, change: Reschedule): Promise<void> {
    const slot = this.slots.get(id);
    if (!slot) return;
    const m = slot.message;
    m.notBefore = change.notBefore;
    if (change.failed) m.lastError = change.reason;
    if (change.attempts !== undefined) m.attempts = change.attempts;
    if (change.failingSince !== undefined) m.failingSince = change.failingSince;
    if (change.alerted !== undefined) m.alerted = change.alerted;
    slot.leaseUntil = 0;
    slot.version += 1;
    this.file(slot, -Infinity);
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      slot.leaseUntil = 0;
      slot.version += 1;
      this.file(slot, -Infinity);
    }
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    while (this.waiting.size > 0 && !this.isLive(this.waiting.peek()!)) this.waiting.pop();
    while (this.ready.size > 0 && !this.isLive(this.ready.peek()!)) this.ready.pop();
    if (this.ready.size > 0) return now;
    return this.waiting.peek()?.at;
  }

  async stats(now: number): Promise<OutboxStats> {
    const stats: OutboxStats = { pending: this.slots.size, byClass: { interactive: 0, proactive: 0 }, leased: 0, oldestAgeMs: 0 };
    for (const slot of this.slots.values()) {
      stats.byClass[slot.message.priority] += 1;
      if (slot.leaseUntil > now) stats.leased += 1;
      stats.oldestAgeMs = Math.max(stats.oldestAgeMs, now - slot.enqueuedAt);
    }
    return stats;
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const slot = this.slots.get(id);
    return slot ? structuredClone(slot.message) : undefined;
  }

  async close(): Promise<void> {}

  private isLive(entry: Entry): boolean {
    return this.slots.get(entry.slot.message.id) === entry.slot && entry.version === entry.slot.version;
  }

  /** Files a slot under ready or waiting after a change; `now` -Infinity files by `notBefore` alone. */
  private file(slot: Slot, now: number): void {
    const at = slot.message.notBefore;
    if (at <= now) this.ready.push({ slot, version: slot.version, at: 0 });
    else this.waiting.push({ slot, version: slot.version, at });
  }

  private finish(id: string, now: number): void {
    if (!this.slots.delete(id)) return;
    this.done.set(id, now);
  }

  /** Forgets finished ids past the retention; the map is in finishing order, so it stops at the first fresh one. */
  private forgetDone(now: number): void {
    const keep = this.opts.keepDoneMs ?? DEFAULT_KEEP_DONE_MS;
    for (const [id, at] of this.done) {
      if (at > now - keep) break;
      this.done.delete(id);
    }
  }
}

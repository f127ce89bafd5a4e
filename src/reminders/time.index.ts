/** A time index for the reminder scheduler: each filing's next due time in a min-heap, so a tick costs O(due · log n). */
import { Heap } from '../heap.js';

/**
 * The scheduler's view of a time index: the in-process heap below, or a sorted set in Redis shared
 * by every instance (backends/redis/redis.due.ts). Writes are synchronous to the caller; a shared index
 * sends them in order before its next `popDue`.
 */
export interface DueIndex {
  /** How many keys are indexed (a shared index: as of its last `popDue`). */
  readonly size: number;
  set(id: string, at: number): void;
  setEarlier(id: string, at: number): void;
  delete(id: string): void;
  /** The earliest due time, if any (a shared index: as of its last `popDue`). */
  peek(): number | undefined;
  /** The keys due at or before `now`, earliest first; each must then be handed to `reschedule`. */
  popDue(now: number): string[] | Promise<string[]>;
  /** After a tick planned a popped key: in again at `next` (or earlier, if it changed meanwhile), or out when `next` is undefined. */
  reschedule(id: string, next: number | undefined): void;
}

interface Entry {
  at: number;
  id: string;
}

/**
 * Keys (filing ids) by the next instant (epoch ms) something may fall due for them. Re-setting a key
 * leaves its old heap entry behind; it is skipped when popped (lazy deletion) and the heap is rebuilt
 * when such garbage outgrows the live keys, so memory stays O(filings).
 */
export class TimeIndex implements DueIndex {
  private readonly heap = new Heap<Entry>((x, y) => x.at < y.at);
  private readonly current = new Map<string, number>();

  /** How many keys are indexed. */
  get size(): number {
    return this.current.size;
  }

  /** The due time of a key, if indexed. */
  get(id: string): number | undefined {
    return this.current.get(id);
  }

  /** Sets (or moves) a key's due time. */
  set(id: string, at: number): void {
    if (this.current.get(id) === at) return;
    this.current.set(id, at);
    this.heap.push({ at, id });
    // Lazy deletion leaves stale entries behind; rebuilding when they outgrow the live keys keeps memory O(filings).
    if (this.heap.size > 2 * this.current.size + 1024) this.heap.reset([...this.current].map(([key, due]) => ({ id: key, at: due })));
  }

  /** Moves a key earlier only: keeps the sooner of its current and the given time. */
  setEarlier(id: string, at: number): void {
    const now = this.current.get(id);
    if (now === undefined || at < now) this.set(id, at);
  }

  /** Removes a key. */
  delete(id: string): void {
    this.current.delete(id);
  }

  /** The earliest due time, if any. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap.peek()?.at;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap.peek();
      if (!top || top.at > now) return out;
      this.heap.pop();
      this.current.delete(top.id);
      out.push(top.id);
    }
  }

  /** A popped key left the heap; it comes back only with a next due time. */
  reschedule(id: string, next: number | undefined): void {
    if (next !== undefined) this.setEarlier(id, next);
  }

  private isLive(e: Entry): boolean {
    return this.current.get(e.id) === e.at;
  }

  private dropStale(): void {
    for (let top = this.heap.peek(); top && !this.isLive(top); top = this.heap.peek()) this.heap.pop();
  }
}

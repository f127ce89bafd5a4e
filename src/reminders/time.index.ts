/** A time index for the reminder scheduler: each filing's next due time in a min-heap, so a tick costs O(due · log n). */

interface Entry {
  at: number;
  id: string;
}

/**
 * Keys (filing ids) by the next instant (epoch ms) something may fall due for them. Re-setting a key
 * leaves its old heap entry behind; it is skipped when popped (lazy deletion) and the heap is rebuilt
 * when such garbage outgrows the live keys, so memory stays O(filings).
 */
export class TimeIndex {
  private heap: Entry[] = [];
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
    this.push({ at, id });
    if (this.heap.length > 2 * this.current.size + 1024) this.rebuild();
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
    return this.heap[0]?.at;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) return out;
      this.pop();
      this.current.delete(top.id);
      out.push(top.id);
    }
  }

  private isLive(e: Entry): boolean {
    return this.current.get(e.id) === e.at;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0]!)) this.pop();
  }

  private rebuild(): void {
    this.heap = [...this.current].map(([id, at]) => ({ id, at }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(e: Entry): void {
    this.heap.push(e);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heap[parent]!.at <= e.at) break;
      this.heap[i] = this.heap[parent]!;
      i = parent;
    }
    this.heap[i] = e;
  }

  private pop(): Entry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(start: number): void {
    const h = this.heap;
    const e = h[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= e.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }
}

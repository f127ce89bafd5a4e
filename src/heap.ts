/** A generic binary min-heap: the one priority queue behind the outboxes and the reminders' time index. */

/** A binary min-heap ordered by `less`; ties come out in no particular order, so put a tie-breaker in `less` when order matters. */
export class Heap<T> {
  private items: T[] = [];

  constructor(private readonly less: (x: T, y: T) => boolean) {}

  /** How many items are held. */
  get size(): number {
    return this.items.length;
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item: O(log n). */
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  /** Removes and returns the least item: O(log n). */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Replaces every item at once, in O(n) (Floyd's heapify). */
  reset(items: T[]): void {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private down(start: number): void {
    const a = this.items;
    const item = a[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && this.less(a[r]!, a[l]!) ? r : l;
      if (!this.less(a[c]!, item)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = item;
  }
}

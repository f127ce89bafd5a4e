/** The one binary min-heap (issue 9 item 8): order, ties broken by the comparator, heapify, empty cases. */
import { describe, expect, it } from 'vitest';
import { Heap } from '../../src/heap.js';

const drain = <T>(h: Heap<T>): T[] => {
  const out: T[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  return out;
};

/** A small deterministic generator, so the test needs no randomness it cannot replay. */
function numbers(n: number, seed = 7): number[] {
  let s = seed;
  return Array.from({ length: n }, () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) % 1000);
}

describe('Heap', () => {
  it('is empty at first: size 0, peek and pop give undefined', () => {
    const h = new Heap<number>((a, b) => a < b);
    expect(h.size).toBe(0);
    expect(h.peek()).toBeUndefined();
    expect(h.pop()).toBeUndefined();
  });

  it('pops in ascending order whatever the push order, duplicates included', () => {
    const h = new Heap<number>((a, b) => a < b);
    const input = numbers(500);
    for (const n of input) h.push(n);
    expect(h.size).toBe(500);
    expect(h.peek()).toBe(Math.min(...input));
    expect(drain(h)).toEqual([...input].sort((a, b) => a - b));
    expect(h.size).toBe(0);
  });

  it('keeps order across interleaved pushes and pops', () => {
    const h = new Heap<number>((a, b) => a < b);
    h.push(5);
    h.push(1);
    h.push(3);
    expect(h.pop()).toBe(1);
    h.push(0);
    h.push(4);
    expect(h.pop()).toBe(0);
    expect(drain(h)).toEqual([3, 4, 5]);
  });

  it('breaks ties by the comparator it is given (priority, then arrival)', () => {
    const h = new Heap<{ p: number; seq: number }>((x, y) => x.p < y.p || (x.p === y.p && x.seq < y.seq));
    for (const [seq, p] of [2, 1, 2, 1, 2].entries()) h.push({ p, seq });
    expect(drain(h).map((e) => `${e.p}.${e.seq}`)).toEqual(['1.1', '1.3', '2.0', '2.2', '2.4']);
  });

  it('reset builds a valid heap from any array in one go', () => {
    const h = new Heap<number>((a, b) => a < b);
    h.push(-1);
    const input = numbers(257, 3);
    h.reset([...input]);
    expect(h.size).toBe(257);
    expect(drain(h)).toEqual([...input].sort((a, b) => a - b));
  });
});

/** Writes to a store's marks that a step returns as data, and how its caller applies them. */
import type { StateStore } from './state-store.js';

/** One write to a mark: set for a time, or delete. */
export type MarkWrite = { type: 'mark.set'; key: string; value: unknown; ttlMs: number } | { type: 'mark.delete'; key: string };

/** What a step on a mark comes to: its answer, and the writes its caller applies. */
export interface MarkStep<R> {
  result: R;
  writes: MarkWrite[];
}

/** Applies mark writes, in order. */
export async function applyMarkWrites(marks: Pick<StateStore, 'set' | 'delete'>, writes: readonly MarkWrite[]): Promise<void> {
  for (const write of writes) {
    if (write.type === 'mark.set') await marks.set(write.key, write.value, write.ttlMs);
    else await marks.delete(write.key);
  }
}

/**
 * Runs a step on one mark as the runner runs a turn on a conversation: under the mark's lock, the
 * step reads it and returns its answer and writes, which are applied before the lock is let go.
 */
export async function stepOnMark<M, R>(marks: Pick<StateStore, 'get' | 'set' | 'delete' | 'withLock'>, key: string, step: (current: M | undefined) => Promise<MarkStep<R>>): Promise<R> {
  return marks.withLock(key, async () => {
    const { result, writes } = await step(await marks.get<M>(key));
    await applyMarkWrites(marks, writes);
    return result;
  });
}

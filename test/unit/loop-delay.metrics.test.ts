/** Issue 12 item 5: `beian_event_loop_delay_max_seconds` reports a stall of the event loop, once watching starts. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';

async function gauge(metrics: ReturnType<typeof createMetrics>): Promise<number | undefined> {
  return (await metrics.eventLoopDelayMax.get()).values[0]?.value;
}

describe('issue 12 the event-loop stall gauge', () => {
  it('reports nothing before main starts watching (the synchronous load before the port opens does not count)', async () => {
    expect((await gauge(createMetrics())) ?? 0).toBe(0);
  });

  it('reports a deliberate 150 ms stall as at least 0.1 s, and is exposed on /metrics by name', async () => {
    const metrics = createMetrics();
    const stop = metrics.watchEventLoop();
    try {
      await sleep(30);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          const until = performance.now() + 150;
          while (performance.now() < until);
          resolve();
        }, 15),
      );
      await sleep(30);
      expect(await gauge(metrics)).toBeGreaterThanOrEqual(0.1);
      expect(await metrics.registry.metrics()).toMatch(/^beian_event_loop_delay_max_seconds \S+$/m);
    } finally {
      stop();
    }
  });
});

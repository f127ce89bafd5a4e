/** The bounded stop: intake everywhere first, a grace for sending, the store last, and an exit whatever hangs. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { stopSignal, stopWithin, type StopPlan } from '../../src/shutdown.js';
import { waitFor } from '../support/wait.js';

function recorder() {
  const events: string[] = [];
  const logs: Array<{ msg: string } & Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(JSON.parse(line)) });
  return { events, logs, logger };
}

const never = () => new Promise<void>(() => undefined);

describe('stopWithin', () => {
  it('stops every service at once, giving each the grace, then closes the server and the store in order', async () => {
    const { events, logs, logger } = recorder();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const stopping = stopWithin({
      logger,
      signal: 'SIGTERM',
      graceMs: 60_000,
      services: [
        { name: 'reminders', stop: async (graceMs) => void events.push(`reminders: stop within ${graceMs}`) },
        {
          name: 'telegram',
          stop: async () => {
            events.push('telegram: stop');
            await slow;
            events.push('telegram: drained');
          },
        },
        { name: 'slack', stop: async () => void events.push('slack: stop') },
      ],
      closers: [
        { name: 'http', close: async () => void events.push('http: close') },
        { name: 'store', close: async () => void events.push('store: close') },
      ],
      exit: () => events.push('exit'),
    });
    await waitFor('every service asked to stop', () => events.length === 3);
    // The slow drain holds the closers back: nothing is closed under a sender.
    expect(events).toEqual(['reminders: stop within 60000', 'telegram: stop', 'slack: stop']);
    release();
    await stopping;
    expect(events).toEqual(['reminders: stop within 60000', 'telegram: stop', 'slack: stop', 'telegram: drained', 'http: close', 'store: close']);
    expect(logs.map((l) => l.msg)).toEqual(['stopping', 'stopped']);
    expect(logs[0]).toMatchObject({ level: 'info', signal: 'SIGTERM', graceMs: 60_000 });
  });

  it('closes anyway when a service is still sending at the end of the grace', async () => {
    const { events, logs, logger } = recorder();
    await stopWithin({
      logger,
      signal: 'SIGINT',
      graceMs: 20,
      services: [{ name: 'telegram', stop: never }],
      closers: [{ name: 'store', close: async () => void events.push('store: close') }],
      exit: () => events.push('exit'),
    });
    expect(events).toEqual(['store: close']);
    expect(logs.map((l) => l.msg)).toEqual(['stopping', 'grace over; stopping with sends still queued', 'stopped']);
  });

  it('a service whose stop fails is logged and the rest still close', async () => {
    const { events, logs, logger } = recorder();
    await stopWithin({
      logger,
      signal: 'SIGTERM',
      graceMs: 60_000,
      services: [{ name: 'slack', stop: () => Promise.reject(new Error('socket gone')) }],
      closers: [{ name: 'store', close: async () => void events.push('store: close') }],
    });
    expect(events).toEqual(['store: close']);
    expect(logs.find((l) => l.msg === 'stop failed')).toMatchObject({ level: 'error', part: 'slack', error: { message: 'socket gone' } });
  });

  it('exits with 0 when closing hangs past the grace and the margin', async () => {
    const { logs, logger } = recorder();
    const codes: number[] = [];
    const plan: StopPlan = { logger, signal: 'SIGTERM', graceMs: 10, marginMs: 10, services: [], closers: [{ name: 'store', close: never }], exit: (code) => codes.push(code) };
    void stopWithin(plan);
    await waitFor('the forced exit', () => codes.length > 0);
    expect(codes).toEqual([0]);
    expect(logs.map((l) => l.msg)).toContain('stop took too long; exiting');
  });
});

describe('stopSignal', () => {
  it('resolves with the first SIGTERM or SIGINT and absorbs later ones, logging them', async () => {
    const { logs, logger } = recorder();
    const proc = new EventEmitter();
    const signal = stopSignal(logger, proc as unknown as NodeJS.Process);
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGINT', 'SIGINT');
    expect(await signal).toBe('SIGTERM');
    expect(logs).toEqual([expect.objectContaining({ msg: 'already stopping', signal: 'SIGINT' })]);
  });
});

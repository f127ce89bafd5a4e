/** An orderly, bounded stop (issue 15 §5): intake ends first, queued sends get a grace, the store closes last, and the process always exits. */
import type { Logger } from './log.js';

/** Time after the grace for closing the HTTP server and the store before the process exits regardless. */
export const SHUTDOWN_MARGIN_MS = 3000;

/** Something that takes work in and sends it out: its stop() ends intake at once, then sends what it holds. */
export interface Stoppable {
  name: string;
  stop(graceMs?: number): Promise<void>;
}

/** Something closed last, once nothing sends any more. */
export interface Closable {
  name: string;
  close(): Promise<void>;
}

/** What a stop needs to know. */
export interface StopPlan {
  logger: Logger;
  /** The signal that asked for the stop (for the log). */
  signal: string;
  graceMs: number;
  /** Adapters and the reminder service; all are stopped at once, so intake ends everywhere before anything waits. */
  services: Stoppable[];
  /** Closed in order after the services finish or the grace ends, whichever is first. */
  closers: Closable[];
  /** Ends the process when the stop hangs past the grace and the margin; process.exit by default. */
  exit?: (code: number) => void;
  marginMs?: number;
}

/**
 * Resolves with the first SIGTERM or SIGINT. Later ones are logged and absorbed, because a second
 * signal is common (npm forwards the one a supervisor also sent to the whole group) and must not
 * cut short the sending of what is queued; the stop is bounded by its own timer instead.
 */
export function stopSignal(logger: Logger, proc: Pick<NodeJS.Process, 'on'> = process): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first) {
        logger.info('already stopping', { signal });
        return;
      }
      first = signal;
      resolve(signal);
    };
    proc.on('SIGTERM', onSignal);
    proc.on('SIGINT', onSignal);
  });
}

/** Exits with 0 after `limitMs` and says so; unref'd, so it never holds up a process that ends by itself first. */
export function exitAfter(logger: Logger, limitMs: number, exit: (code: number) => void = (code) => process.exit(code)): NodeJS.Timeout {
  const timer = setTimeout(() => {
    logger.error('stop took too long; exiting', { afterMs: limitMs });
    exit(0);
  }, limitMs);
  timer.unref();
  return timer;
}

/** Runs the stop: logs "stopping", stops the services within `graceMs`, closes the rest; exits the process with 0 if anything hangs past grace + margin. */
export async function stopWithin(plan: StopPlan): Promise<void> {
  const { logger, graceMs } = plan;
  const limitMs = graceMs + (plan.marginMs ?? SHUTDOWN_MARGIN_MS);
  const exit = plan.exit ?? ((code: number) => process.exit(code));
  logger.info('stopping', { signal: plan.signal, graceMs });
  // A hung send or store must not keep the process alive.
  const hard = exitAfter(logger, limitMs, exit);
  let graceTimer: NodeJS.Timeout | undefined;
  try {
    const stopped = Promise.all(
      plan.services.map((s) =>
        s.stop(graceMs).catch((error: unknown) => {
          logger.error('stop failed', { part: s.name, error });
        }),
      ),
    ).then(() => true);
    const graceOver = new Promise<false>((resolve) => {
      graceTimer = setTimeout(() => resolve(false), graceMs);
    });
    if (!(await Promise.race([stopped, graceOver]))) logger.warn('grace over; stopping with sends still queued', { graceMs });
    for (const c of plan.closers) {
      try {
        await c.close();
      } catch (error) {
        logger.error('close failed', { part: c.name, error });
      }
    }
    logger.info('stopped');
  } finally {
    clearTimeout(graceTimer);
    clearTimeout(hard);
  }
}

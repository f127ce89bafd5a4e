/** Paced posting: one queue per channel, a pause after every post, so a channel gets about one message a second. */

/** Waits between two posts to one channel; tests inject one they control. */
export type Pause = () => Promise<void>;

/** A pause of `ms` on a timer that does not keep the process alive. */
export function timerPause(ms: number): Pause {
  return () =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
    });
}

interface Job<M> {
  message: M;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The outbox was stopped before a message could be sent. */
export class OutboxStoppedError extends Error {
  constructor() {
    super('slack outbox stopped');
  }
}

/**
 * Posts messages per channel in order, pausing after each one before the next, so bursts
 * (alerts for several filings at once) stay within Slack's ~1 message/s per channel.
 */
export class Outbox<M> {
  private readonly queues = new Map<string, Job<M>[]>();
  private stopped = false;

  constructor(
    private readonly send: (channel: string, message: M) => Promise<void>,
    private readonly pause: Pause,
  ) {}

  /** Queues a message; resolves once it was posted, rejects if posting failed. */
  post(channel: string, message: M): Promise<void> {
    if (this.stopped) return Promise.reject(new OutboxStoppedError());
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(channel);
      const job = { message, resolve, reject };
      if (queue) queue.push(job);
      else {
        this.queues.set(channel, [job]);
        void this.drain(channel);
      }
    });
  }

  private async drain(channel: string): Promise<void> {
    const queue = this.queues.get(channel)!;
    while (queue.length > 0 && !this.stopped) {
      const job = queue[0]!;
      try {
        await this.send(channel, job.message);
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
      // The pause comes after the post, before the queue may count as idle: a message queued
      // within the pause waits for it, so posts to one channel are always a pause apart.
      await this.pause();
      queue.shift();
    }
    for (const job of queue.splice(0)) job.reject(new OutboxStoppedError());
    this.queues.delete(channel);
  }

  /** Stops posting; messages still queued are rejected. */
  stop(): void {
    this.stopped = true;
    for (const queue of this.queues.values()) for (const job of queue.splice(1)) job.reject(new OutboxStoppedError());
  }
}

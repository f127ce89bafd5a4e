/**
 * The app's one outbox: the durable store, the dispatcher that drains it through each platform's
 * Sender, and what operators see of it (metrics, /healthz). Adapters register their Sender at
 * start; the dispatcher starts once every Sender is in, so nothing pending is dropped for want of one.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Dispatcher, type DispatcherOptions, type DropReason, type PacedCall, type Unreachable } from './outbox.dispatcher.js';
import type { OutboxStats, OutboxStore } from './outbox.store.js';
import type { NewOutboxMessage, OutboxChannel, OutboxMessage, OutboxTimers, Sender } from './outbox.types.js';
import { DEFAULT_CHANNEL_LIMITS, limitsOf, SlidingWindowLimiter, type ChannelLimits, type RateLimiter } from './rate.limiter.js';

/** The dispatcher's numbers an operator or a test may set. */
export type OutboxTuning = Pick<DispatcherOptions, 'concurrency' | 'slowSendMs' | 'maxInFlight' | 'stallMs' | 'claimBatch' | 'leaseMs' | 'maxRetryAfterMs' | 'maxAttempts' | 'retryBaseMs' | 'pollMs' | 'chatBusyRetryMs'>;

/** What the outbox is built from. */
export interface OutboxOptions {
  store: OutboxStore;
  metrics: Metrics;
  logger: Logger;
  /** Per-platform send limits (defaults: 25/s for the bot, 1/s per chat). */
  limits?: Partial<Record<OutboxChannel, ChannelLimits>>;
  limiter?: RateLimiter;
  timers?: OutboxTimers;
  tuning?: OutboxTuning;
}

/** What /healthz shows of the outbox. */
export interface OutboxHealth {
  ok: boolean;
  /** Messages stored and not yet accepted by their platform. */
  depth: number;
  /** Age of the oldest of them, in seconds. */
  oldestAgeS: number;
  /** Messages waiting out a platform's retry_after longer than the cap (as seen by this process). */
  parked: number;
  detail?: string;
}

/** Called when a chat stayed unreachable past the cap (the team is told, see unreachable.alert.ts). */
export type UnreachableHandler = (info: Unreachable) => Promise<void>;

const GAUGE_EVERY_MS = 1000;

/** Telegram's limits with the bot-wide rate set (25/s by default; up to 1000/s with paid broadcast); 1/s per chat stays. */
export function telegramLimits(maxPerSecond: number): Partial<Record<OutboxChannel, ChannelLimits>> {
  return { telegram: { ...limitsOf(DEFAULT_CHANNEL_LIMITS, 'telegram'), global: { max: maxPerSecond, windowMs: 1000 } } };
}

/** The durable outbox of the running app. */
export class Outbox {
  private readonly senders: Partial<Record<OutboxChannel, Sender>> = {};
  private readonly dispatcher: Dispatcher;
  private readonly parkedIds = new Set<string>();
  private unreachable?: UnreachableHandler;
  private gaugeTimer?: NodeJS.Timeout;
  private started = false;

  constructor(private readonly o: OutboxOptions) {
    const { metrics, logger } = o;
    const settled = (m: OutboxMessage) => this.parkedIds.delete(m.id);
    this.dispatcher = new Dispatcher({
      ...o.tuning,
      store: o.store,
      senders: this.senders,
      limiter: o.limiter ?? new SlidingWindowLimiter(o.limits),
      timers: o.timers,
      logger: logger.child({ part: 'outbox' }),
      hooks: {
        onSent: (m) => {
          settled(m);
          metrics.sends.inc({ channel: m.channel, outcome: 'ok' });
        },
        onDropped: (m, reason: DropReason) => {
          settled(m);
          metrics.sends.inc({ channel: m.channel, outcome: 'failed' });
          metrics.outboxDropped.inc({ reason });
        },
        onRetry: (m, kind) => {
          if (kind !== 'transient') metrics.rateLimited.inc({ channel: m.channel });
          if (kind === 'parked') this.parkedIds.add(m.id);
          metrics.sends.inc({ channel: m.channel, outcome: kind === 'transient' ? 'retry' : kind });
        },
        onUnreachable: (info) => {
          logger.error('outbox: a chat stayed unreachable past the cap', {
            channel: info.channel,
            chat: info.chatId,
            filingId: info.meta?.filingId,
            kind: info.meta?.kind,
            failingForMs: info.failingForMs,
            lastError: info.lastError,
            alert: true,
          });
          void this.unreachable?.(info).catch((error: unknown) => logger.error('outbox: unreachable alert failed', { error }));
        },
      },
    });
  }

  /** Registers the Sender of a platform (an adapter does at its start). */
  register(channel: OutboxChannel, sender: Sender): void {
    this.senders[channel] = sender;
  }

  /** Whether a platform's Sender is registered. */
  has(channel: OutboxChannel): boolean {
    return this.senders[channel] !== undefined;
  }

  /** Sets what happens when a chat stays unreachable past the cap (a team alert). */
  onUnreachable(handler: UnreachableHandler): void {
    this.unreachable = handler;
  }

  /** Stores messages (all or none; a known id is a no-op) and wakes the dispatcher; rejects when the store cannot write. */
  enqueue(messages: readonly NewOutboxMessage[]): Promise<number> {
    if (messages.length === 0) return Promise.resolve(0);
    return this.dispatcher.enqueue(messages);
  }

  /** Runs a platform call that is no stored message within the bot's send budget; resolves whether it ran (see `Dispatcher.paced`). */
  paced(channel: OutboxChannel, chatId: string, call: () => Promise<unknown>, o: PacedCall): Promise<boolean> {
    return this.dispatcher.paced(channel, chatId, call, o);
  }

  /** Whether a message is stored and not yet accepted by its platform. */
  async pending(id: string): Promise<boolean> {
    return (await this.o.store.get(id)) !== undefined;
  }

  /** Starts sending whatever is pending, most urgent first. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.dispatcher.start();
    this.gaugeTimer = setInterval(() => void this.refreshGauge(), GAUGE_EVERY_MS);
    this.gaugeTimer.unref();
  }

  /** Sends for up to `graceMs`, then leaves the rest stored for the next start. */
  async stop(graceMs = 0): Promise<void> {
    clearInterval(this.gaugeTimer);
    if (!this.started) return;
    this.started = false;
    const { pending } = await this.dispatcher.stop(graceMs);
    if (pending > 0) this.o.logger.info('outbox stopped; messages kept for the next start', { pending });
    await this.refreshGauge();
  }

  /** How full the store is. */
  stats(): Promise<OutboxStats> {
    return this.dispatcher.stats();
  }

  /** Depth, oldest age and parked messages; not ok when the outbox store cannot be written or read, or no send finished for long while messages wait. */
  async health(): Promise<OutboxHealth> {
    try {
      await this.o.store.ping().catch((error: unknown) => {
        throw new Error(`the outbox store cannot be written: ${error instanceof Error ? error.message : String(error)}`);
      });
      const stats = await this.stats();
      this.o.metrics.outboxDepth.set({ channel: 'all' }, stats.pending);
      const health = { ok: true, depth: stats.pending, oldestAgeS: Math.round(stats.oldestAgeMs / 1000), parked: this.parkedIds.size };
      const { stalledMs, inFlight, slow } = this.dispatcher.progress();
      if (stalledMs === 0 || stats.pending === 0) return health;
      const detail = `stalled: no send finished for ${Math.round(stalledMs / 1000)} s while ${stats.pending} messages wait (${inFlight} sends in flight, ${slow} of them slow)`;
      return { ...health, ok: false, detail };
    } catch (error) {
      return { ok: false, depth: 0, oldestAgeS: 0, parked: this.parkedIds.size, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async refreshGauge(): Promise<void> {
    try {
      this.o.metrics.outboxDepth.set({ channel: 'all' }, (await this.stats()).pending);
    } catch {
      // The next refresh or /healthz says it; a gauge is no place to raise.
    }
  }
}

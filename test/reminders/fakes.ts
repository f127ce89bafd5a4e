/** Fakes for the reminder tests and the benchmark: a recording channel, a paced platform, team alerts, and a world on a fake clock. */
import type { ChannelId, ConversationRef, Locale, OutgoingMessage } from '../../src/activity.js';
import type { AlertKind, TeamAlerts } from '../../src/adapter.js';
import type { Channel, SendOptions } from '../../src/channel.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { createLogger } from '../../src/log.js';
import { maskPhone } from '../../src/rules/phone.rules.js';
import { HttpServer } from '../../src/server.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import type { RemindersOptions, RunningReminders } from '../../src/reminders/service.js';
import { startServices } from '../support/services.js';
import { route } from '../../flows/router.js';
import type { Backend } from '../../src/backends/backend.js';
import { localBackend } from '../../src/backends/local/local.backend.js';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import type { OutboxStore } from '../../src/outbox/outbox.store.js';

/** One message a fake channel was asked to send. */
export interface Sent {
  ref: ConversationRef;
  message: OutgoingMessage;
  priority?: number;
}

/**
 * A channel that records every send and can be told to fail. Like the real channels it stores a
 * send with an id in an outbox first (the world's backend outbox), and records only what that
 * outbox took as new: enqueueing an id again is a no-op there.
 */
export class RecordingChannel implements Channel {
  readonly sent: Sent[] = [];
  /** When set, sends to these user ids throw. */
  failFor = new Set<string>();
  /** Where sends with an id are stored; the world sets its backend's outbox. */
  outbox: OutboxStore = new SqliteOutboxStore(':memory:');

  constructor(readonly id: ChannelId = 'telegram') {}

  async send(ref: ConversationRef, messages: OutgoingMessage[], opts?: SendOptions): Promise<void> {
    if (this.failFor.has(ref.userId)) throw new Error('platform said no');
    if (opts?.id) {
      const stored = { id: opts.id, channel: this.id, chatId: ref.conversationId, payload: {}, priority: 'proactive' as const, deadline: opts.priority ?? 0 };
      if ((await this.outbox.enqueue([stored], Date.now())) === 0) return;
    }
    for (const message of messages) this.sent.push({ ref, message, priority: opts?.priority });
  }

  /** Messages sent to one user. */
  to(userId: string): OutgoingMessage[] {
    return this.sent.filter((s) => s.ref.userId === userId).map((s) => s.message);
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/**
 * A platform that delivers at most `perSecond` messages a second, like a real outbox. `priority`
 * ordering serves the lowest priority (earliest deadline) waiting; `fifo` serves in arrival order.
 */
export class PacedChannel implements Channel {
  readonly delivered: Sent[] = [];
  private readonly queue: Array<Sent & { seq: number; resolve: () => void }> = [];
  private seq = 0;
  // A token bucket: `perSecond` sustained, a burst of a few milliseconds' worth (at least one message).
  private tokens: number;
  private readonly burst: number;
  private last = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(
    readonly perSecond: number,
    readonly order: 'priority' | 'fifo' = 'priority',
    readonly id: ChannelId = 'telegram',
  ) {
    this.burst = Math.max(1, (perSecond / 1000) * 4);
    this.tokens = this.burst;
  }

  send(ref: ConversationRef, messages: OutgoingMessage[], opts?: { priority?: number }): Promise<void> {
    return new Promise((resolve) => {
      let left = messages.length;
      for (const message of messages) {
        const entry = { ref, message, priority: opts?.priority, seq: this.seq++, resolve: () => void (--left === 0 && resolve()) };
        // Kept sorted on arrival (binary insertion after equal priorities), so serving is a shift.
        const key = this.order === 'priority' ? (entry.priority ?? Infinity) : 0;
        let lo = 0;
        let hi = this.queue.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          const k = this.order === 'priority' ? (this.queue[mid]!.priority ?? Infinity) : 0;
          if (k <= key) lo = mid + 1;
          else hi = mid;
        }
        this.queue.splice(lo, 0, entry);
      }
      if (!this.timer) this.pump();
    });
  }

  /** Messages waiting. */
  get depth(): number {
    return this.queue.length;
  }

  private pump(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    while (this.tokens >= 1 && this.queue.length > 0) {
      this.tokens -= 1;
      const next = this.queue.shift()!;
      this.delivered.push({ ref: next.ref, message: next.message, priority: next.priority });
      next.resolve();
    }
    this.timer = this.queue.length > 0 ? setTimeout(() => this.pump(), Math.max(1, ((1 - this.tokens) / this.perSecond) * 1000)) : undefined;
  }
}

/** Team alerts that record what was posted, at most once per filing, cycle and kind (as the Slack adapter promises). */
export class RecordingAlerts implements TeamAlerts {
  readonly posted: Array<{ kind: AlertKind; filingId: string; cycle?: number }> = [];
  private readonly seen = new Set<string>();
  fail = false;

  async alert(kind: AlertKind, filing: Filing): Promise<boolean> {
    if (this.fail) throw new Error('slack down');
    const cycle = filing.cycle?.number;
    const key = `${filing.id}#${cycle}#${kind}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.posted.push({ kind, filingId: filing.id, cycle });
    return true;
  }

  kinds(filingId?: string): AlertKind[] {
    return this.posted.filter((p) => !filingId || p.filingId === filingId).map((p) => p.kind);
  }
}

/** A test world: core on a fake clock, a recording Telegram channel, team alerts, the reminders service with no timer. */
export interface ReminderWorld {
  core: Core;
  clock: FakeClock;
  channel: RecordingChannel;
  alerts: RecordingAlerts;
  server: HttpServer;
  reminders: RunningReminders;
  logs: string[];
  /** Links a Telegram user to a phone (as /start with a shared contact would). */
  link(userId: string, phone: string, locale?: Locale): Promise<void>;
  /** Advances the fake clock and runs one tick. */
  at(iso: string): Promise<void>;
  close(): Promise<void>;
}

/** The events secret the worlds use. */
export const SECRET = 'test-events-secret-0123456789';

/** Builds a world. */
export async function reminderWorld(opts: {
  now: string;
  filings: Filing[];
  store?: KeyvStateStore;
  /** The whole backend (a shared one, for several instances); `store` alone runs the local backend on it. */
  backend?: Backend;
  env?: Record<string, string>;
  channel?: RecordingChannel;
  alerts?: boolean;
  reminders?: RemindersOptions;
}): Promise<ReminderWorld> {
  const clock = new FakeClock(opts.now);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const config = loadConfig({ STORE_URL: 'memory://', EVENTS_SECRET: SECRET, DEFAULT_LOCALE: 'en', ...opts.env });
  const core = await createCore(config, { route, clock, logger, backend: opts.backend ?? localBackend(opts.store ?? KeyvStateStore.memory()), filings: opts.filings });
  const channel = opts.channel ?? new RecordingChannel();
  channel.outbox = core.backend.outbox;
  core.channels.add(channel);
  const alerts = new RecordingAlerts();
  const server = new HttpServer(logger);
  const reminders = await startServices(core, server, { teamAlerts: opts.alerts !== false ? alerts : undefined, reminders: { intervalMs: 0, ...opts.reminders } });
  return {
    core,
    clock,
    channel,
    alerts,
    server,
    reminders,
    logs,
    async link(userId, phone, locale) {
      await core.people.link({ channel: channel.id, userId, conversationId: `chat-${userId}` }, phone, maskPhone(phone));
      if (locale) await core.people.updateUser(channel.id, userId, (u) => ({ ...u, locale }));
    },
    async at(iso) {
      clock.set(iso);
      await reminders.tick();
    },
    async close() {
      await reminders.stop();
      await server.close();
      await core.close();
    },
  };
}

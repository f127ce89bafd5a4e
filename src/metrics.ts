/** Prometheus metrics (prom-client): one registry per app instance, so tests can run several side by side. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { APP_VERSION } from './paths.js';

/** The app's metrics. */
export interface Metrics {
  registry: Registry;
  turns: Counter<'channel' | 'outcome'>;
  turnSeconds: Histogram<'channel'>;
  sends: Counter<'channel' | 'outcome'>;
  remindersSent: Counter<'stage'>;
  remindersLate: Counter<'stage'>;
  alertsSent: Counter<'kind'>;
  outboxDepth: Gauge<'channel'>;
  /** Messages the outbox gave up: expired (a reminder past its deadline), failed (refused or out of attempts), no-sender. */
  outboxDropped: Counter<'reason'>;
  rateLimited: Counter<'channel'>;
  openWindows: Gauge;
  events: Counter<'type' | 'outcome'>;
  buildInfo: Gauge<'version' | 'node'>;
  eventLoopDelayMax: Gauge;
  /**
   * Starts measuring how long the event loop stalls, for `beian_event_loop_delay_max_seconds` (main
   * calls it once the port is open, so the synchronous load before it does not count); returns a stop.
   */
  watchEventLoop(): () => void;
  /** Gives `beian_open_windows` its source, read at each scrape (the count changes with events, not with ticks). */
  watchOpenWindows(count: () => number | Promise<number>): void;
}

// Sampling every 10 ms costs nothing measurable and resolves the 50 ms goal of issue 12.
const LOOP_RESOLUTION_MS = 10;

/** Creates a registry with the app's metrics (and Node's defaults when asked). */
export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let openWindowsSource: (() => number | Promise<number>) | undefined;
  let loop: IntervalHistogram | undefined;
  const buildInfo = new Gauge({ name: 'beian_build_info', help: 'Always 1; the labels say which build is running', labelNames: ['version', 'node'], registers });
  buildInfo.set({ version: APP_VERSION, node: process.version }, 1);
  return {
    registry,
    turns: new Counter({ name: 'beian_turns_total', help: 'Conversation turns handled', labelNames: ['channel', 'outcome'], registers }),
    turnSeconds: new Histogram({ name: 'beian_turn_duration_seconds', help: 'Turn time through the runner', labelNames: ['channel'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    sends: new Counter({ name: 'beian_sends_total', help: 'Messages sent to platforms', labelNames: ['channel', 'outcome'], registers }),
    remindersSent: new Counter({ name: 'beian_reminders_sent_total', help: 'Reminders sent to applicants', labelNames: ['stage'], registers }),
    remindersLate: new Counter({ name: 'beian_reminders_late_total', help: 'Reminders sent more than one minute after their stage was due', labelNames: ['stage'], registers }),
    alertsSent: new Counter({ name: 'beian_alerts_sent_total', help: 'Team alerts sent', labelNames: ['kind'], registers }),
    outboxDepth: new Gauge({ name: 'beian_outbox_depth', help: 'Messages waiting in an outbox', labelNames: ['channel'], registers }),
    outboxDropped: new Counter({ name: 'beian_outbox_dropped_total', help: 'Messages the outbox gave up unsent', labelNames: ['reason'], registers }),
    rateLimited: new Counter({ name: 'beian_rate_limited_total', help: 'Platform answers of 429 Too Many Requests', labelNames: ['channel'], registers }),
    openWindows: new Gauge({
      name: 'beian_open_windows',
      help: 'Filings in a 24 h SMS verification window (status verifying)',
      registers,
      async collect() {
        if (openWindowsSource) this.set(await openWindowsSource());
      },
    }),
    events: new Counter({ name: 'beian_filing_events_total', help: 'Filing events received', labelNames: ['type', 'outcome'], registers }),
    buildInfo,
    eventLoopDelayMax: new Gauge({
      name: 'beian_event_loop_delay_max_seconds',
      help: 'The longest event-loop stall since the previous scrape (since the port opened, at the first scrape)',
      registers,
      collect() {
        if (!loop) return;
        // The histogram holds whole sampling intervals (and 9.2e18 ns before its first sample): the stall is what exceeds the interval.
        this.set(loop.count > 0 ? Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS) / 1000 : 0);
        loop.reset();
      },
    }),
    watchEventLoop() {
      loop?.disable();
      const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      histogram.enable();
      loop = histogram;
      return () => {
        histogram.disable();
        if (loop === histogram) loop = undefined;
      };
    },
    watchOpenWindows(count) {
      openWindowsSource = count;
    },
  };
}

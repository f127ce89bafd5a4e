/** The core, assembled: store, filings, people, runner, channels and metrics, ready for adapters to plug into. */
import type { TeamAlerts } from './adapter.js';
import type { Config } from './config.js';
import { DEMO_FILINGS_FILE } from './config.js';
import { Channels } from './channel.js';
import { systemClock, type Clock } from './clock.js';
import { FilingSource, readFilingsFile, shiftDemo } from './filings.js';
import type { Filing } from './filing.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { People } from './people.js';
import { openPhoneKeyer, phoneKeySource } from './privacy.js';
import { loadWorkCalendar, type WorkCalendar } from './rules/workday.rules.js';
import { TurnRunner, type Nudger } from './runner.js';
import { openStore } from './store/keyv.store.js';
import type { StateStore } from './store/state-store.js';

/** Everything adapters and services share. */
export interface Core {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  channels: Channels;
  runner: TurnRunner;
  /** Set by the reminders service: reaches the linked pending verifiers of a filing. */
  nudger: { current?: Nudger };
  /** Set by the Slack adapter when SLACK_ALERT_CHANNEL is configured. */
  teamAlerts: { current?: TeamAlerts };
  close(): Promise<void>;
}

/** Options for tests: inject the clock, logger, store or filings. */
export interface CoreOptions {
  clock?: Clock;
  logger?: Logger;
  store?: StateStore;
  filings?: Filing[];
  metrics?: Metrics;
}

/** Opens the store, loads the filings (the demo shifted to now) and builds the runner. */
export async function createCore(config: Config, opts: CoreOptions = {}): Promise<Core> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger();
  const metrics = opts.metrics ?? createMetrics({ defaults: !opts.metrics && !opts.clock });
  const store = opts.store ?? openStore(config.storeUrl);
  const keyOf = await openPhoneKeyer(store, phoneKeySource(config), logger);
  let records = opts.filings;
  if (!records) {
    records = readFilingsFile(config.filingsFile);
    if (config.filingsFile === DEMO_FILINGS_FILE) records = shiftDemo(records, clock.now());
  }
  const filings = await FilingSource.open(records, store.namespace('filings'), keyOf);
  const people = new People(store.namespace('people'), keyOf);
  const calendar = loadWorkCalendar();
  const channels = new Channels();
  const nudger: Core['nudger'] = {};
  const runner = new TurnRunner({
    store,
    people,
    filings,
    clock,
    calendar,
    defaultLocale: config.defaultLocale,
    logger,
    metrics,
    nudge: (filing, o) => nudger.current?.(filing, o) ?? Promise.resolve(0),
  });
  logger.info('core ready', { filings: filings.size, store: config.storeUrl.split(':')[0] });
  return { config, clock, logger, metrics, store, filings, people, calendar, channels, runner, nudger, teamAlerts: {}, close: () => store.close() };
}

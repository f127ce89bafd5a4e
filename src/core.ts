/** The core, assembled: store, filings, people, nudger, runner, channels and metrics, as plain parts for main (and tests) to hand on. */
import type { Config } from './config.js';
import { DEMO_FILINGS_FILE } from './config.js';
import { Channels } from './channel.js';
import { systemClock, type Clock } from './clock.js';
import { readFilingsFile, shiftDemo } from './filings/filings.file.js';
import { filingsImport } from './filings/filings.import.js';
import type { FilingSource } from './filings/filings.port.js';
import type { Filing } from './filings/filing.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { People } from './people.js';
import { openPhoneKeyer, phoneKeySource } from './privacy.js';
import { calendarStatus, calendarWarning, loadWorkCalendar, type WorkCalendar } from './rules/workday.rules.js';
import { createNudger, type Nudger } from './reminders/nudge.sender.js';
import { startRetention, SWEEP_EVERY_MS, type RunningRetention } from './retention.js';
import { TurnRunner } from './runner.js';
import { type Backend, openBackend } from './backends/backend.js';
import type { StateStore } from './store/state-store.js';
import type { Route } from './turn.types.js';

/** The assembled parts; each consumer is handed only the parts it uses. */
export interface Core {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Every part kept in the store STORE_URL names (state, outbox, send budget, time index, leader lease, filings). */
  backend: Backend;
  /** The backend's state (`backend.state`), which most parts use alone. */
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  channels: Channels;
  runner: TurnRunner;
  /** Reaches the linked pending verifiers of a filing; the runner got the same one when it was built. Optional so a test can take it away. */
  nudge?: Nudger;
  /** The retention sweep (issue 11 §4): ran at start (or, with `deferStart`, once main opened the port), runs hourly on the clock. */
  retention: RunningRetention;
  close(): Promise<void>;
}

/** The router to inject (flows/router.ts), and for tests: the clock, logger, backend, filings or nudger. */
export interface CoreOptions {
  route: Route;
  nudge?: Nudger;
  clock?: Clock;
  logger?: Logger;
  backend?: Backend;
  filings?: Filing[];
  metrics?: Metrics;
  /**
   * Leave writing a new file's filings into the backend (`FilingSource.settle`) and the first
   * retention sweep to the caller: main runs them once the port is open (issue 12).
   */
  deferStart?: boolean;
  /**
   * The caller shows the person the working-day calendar's warning itself (the console demo's short
   * line), so the log keeps the operator's detail at info level, below a terminal's warnings.
   */
  calendarShown?: boolean;
}

/** Opens the backend, loads the filings (the demo shifted to now), builds the nudger, then the runner with it. */
export async function createCore(config: Config, opts: CoreOptions): Promise<Core> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger();
  const metrics = opts.metrics ?? createMetrics({ defaults: !opts.metrics && !opts.clock });
  const backend = opts.backend ?? openBackend(config.storeUrl);
  const store = backend.state;
  const keyOf = await openPhoneKeyer(store, phoneKeySource(config), logger);
  const records = (): Filing[] => {
    if (opts.filings) return opts.filings;
    const read = readFilingsFile(config.filingsFile);
    return config.filingsFile === DEMO_FILINGS_FILE ? shiftDemo(read, clock.now()) : read;
  };
  const filings = await backend.openFilings({ state: store, source: await filingsImport(config, clock, keyOf, records, opts.filings), keyOf, logger });
  if (!opts.deferStart) await filings.settle();
  metrics.watchOpenWindows(() => filings.countOpen());
  const people = new People(store.namespace('people'), keyOf, { retentionDays: config.retentionDays });
  const calendar = loadWorkCalendar();
  const calendarNow = calendarStatus(calendar, clock.now());
  if (calendarNow.warn) logger[opts.calendarShown ? 'info' : 'warn'](calendarWarning(calendarNow), { ...calendarNow });
  const channels = new Channels();
  const nudge = opts.nudge ?? createNudger({ clock, people, channels, defaultLocale: config.defaultLocale });
  const runner = new TurnRunner({
    route: opts.route,
    store,
    people,
    filings,
    clock,
    calendar,
    defaultLocale: config.defaultLocale,
    logger,
    metrics,
    nudge,
  });
  // Several instances on one backend: one instance an hour sweeps them all, rather than every instance.
  const claimSweep = backend.severalInstances ? () => store.setIfAbsent('retention:sweep', 1, SWEEP_EVERY_MS - 60_000) : undefined;
  const retention = await startRetention({ clock, filings, people, backend, logger, claimSweep }, { sweepNow: !opts.deferStart });
  logger.info('core ready', { store: config.storeUrl.split(':')[0] });
  const close = async () => {
    retention.stop();
    await backend.close();
  };
  return { config, clock, logger, metrics, backend, store, filings, people, calendar, channels, runner, nudge, retention, close };
}

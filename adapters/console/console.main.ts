/**
 * The console demo, assembled (issue 13): the chat, the applicant's pushed messages, the team's
 * alerts marked as Slack's, the reminder scheduler ticking only when the demo clock moves, and
 * filing events through the hook's own handler. No timers, so a piped run is deterministic.
 */
import { randomBytes } from 'node:crypto';
import type { Locale } from '../../src/activity.js';
import { FakeClock } from '../../src/clock.js';
import { DEMO_FILINGS_FILE } from '../../src/config.js';
import type { Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { readFilingsFile } from '../../src/filings/filings.file.js';
import { filingEventsHandler } from '../../src/http/filing-events.hook.js';
import { t } from '../../src/i18n/catalog.js';
import { createLogger } from '../../src/log.js';
import { startReminders } from '../../src/reminders/service.js';
import { phonesOf } from '../../src/rules/verifiers.rules.js';
import { calendarStatus } from '../../src/rules/workday.rules.js';
import type { StateStore } from '../../src/store/state-store.js';
import { toChinaTime } from '../../src/time.js';
import { consoleTeamAlerts } from './console.alerts.js';
import { CONSOLE_CAPABILITIES, consoleChannel, runConsole, ShownButtons } from './console.adapter.js';
import { DemoControls } from './console.demo.js';

const USER = 'console-user';

// Where the demo's time is kept with the rest of its state, under the console's namespace.
const DEMO_TIME = 'demo:time';

/** The demo's time as saved with its state (epoch ms): the instant its filings were shifted to, and where its clock stood. */
interface DemoTime {
  start: number;
  now: number;
}

async function savedTime(store: StateStore): Promise<DemoTime | undefined> {
  const saved = await store.namespace('console').get<DemoTime>(DEMO_TIME);
  return saved && Number.isFinite(saved.start) && Number.isFinite(saved.now) && saved.now >= saved.start ? saved : undefined;
}

// Which namespace holds the current demo, at the store's root: 0 (or absent) is the root itself.
const DEMO_GENERATION = 'console-demo:generation';

/** The demo as it opens: its store, its clock, and whether a stale saved demo was set aside. */
export interface OpenedDemo {
  store: StateStore;
  clock: FakeClock;
  setAside: boolean;
}

/**
 * Opens the demo on `root`. Its clock starts at the real now and then moves only when the person
 * moves it. A demo saved with its time starts again where that demo started, so the demo filings
 * shift to the same instant as before, and `runConsoleDemo` moves it on to where that demo stopped.
 * State saved without its time (by an older version) would show windows longer than 24 h on the new
 * clock, so in the embedded store it is set aside, kept untouched, and this demo starts in a fresh namespace.
 */
export async function openDemo(root: StateStore): Promise<OpenedDemo> {
  const generation = (await root.get<number>(DEMO_GENERATION)) ?? 0;
  const store = generation > 0 ? root.namespace(`console-demo-${generation}`) : root;
  const saved = await savedTime(store);
  if (saved) return { store, clock: new FakeClock(saved.start), setAside: false };
  // A networked store (it describes itself) is shared with running instances and holds real filings on the real
  // timeline: it is not the demo's to set aside, and the real now is the right start for it.
  if (!root.describe && !(await isEmpty(store))) {
    await root.set(DEMO_GENERATION, generation + 1);
    return { store: root.namespace(`console-demo-${generation + 1}`), clock: new FakeClock(Date.now()), setAside: true };
  }
  return { store, clock: new FakeClock(Date.now()), setAside: false };
}

async function isEmpty(store: StateStore): Promise<boolean> {
  for await (const _ of store.keys('')) return false;
  return true;
}

/** What the greeting suggests: ids from the loaded filings, and the demo's phone only for the shipped demo file. */
export interface Suggestions {
  phone?: string;
  /** A filing to look up: one in its verification window when there is one. */
  lookup?: string;
  event?: { kind: 'reported' | 'returned'; id: string };
}

/**
 * Picks the greeting's examples from the filings: a phone to link (only from the shipped demo, never
 * a real file's), a filing in its verification window, and a filing to send an event about, each
 * preferring filings that name that phone so the person sees their own notices.
 */
export function suggestions(filings: Filing[], demo: boolean): Suggestions {
  const verifying = filings.filter((f) => f.status === 'verifying');
  const phone = demo ? verifying[0]?.subject.principal.phone : undefined;
  const mine = (list: Filing[]) => (phone ? list.find((f) => phonesOf(f).includes(phone)) : undefined) ?? list[0];
  const returned = mine(filings.filter((f) => f.status === 'returned'));
  const open = mine(verifying);
  const lookup = open ?? filings[0];
  const event = returned ? { kind: 'reported' as const, id: returned.id } : open ? { kind: 'returned' as const, id: open.id } : undefined;
  return { ...(phone ? { phone } : {}), ...(lookup ? { lookup: lookup.id } : {}), ...(event ? { event } : {}) };
}

/** The banner: what this is, what to try with ids from the loaded file, how to switch language and how to start fresh, then any notes. */
export function greeting(locale: Locale, s: Suggestions, notes: string[] = []): string {
  const lines = [t(locale, 'console.banner')];
  const phone = s.phone ?? t(locale, 'console.phone');
  lines.push(t(locale, 'console.try', { phone, lookup: s.lookup ?? '<id>' }));
  lines.push(t(locale, 'console.tryClock', { event: s.event?.kind ?? 'reported', eventId: s.event?.id ?? '<id>' }));
  lines.push(t(locale, 'console.otherLanguage'), t(locale, 'console.fresh'), ...notes);
  return `${lines.join('\n')}\n`;
}

/** Runs the console demo over an assembled core (built with the store and clock openDemo gave) until the input ends; `setAside` says a stale demo was set aside. */
export async function runConsoleDemo(core: Core, clock: FakeClock, io: { input?: NodeJS.ReadableStream; tty?: boolean; setAside?: boolean } = {}): Promise<void> {
  const { config } = core;
  const write = (text: string) => process.stdout.write(`${text}\n`);
  const locale = async (): Promise<Locale> => (await core.people.user('console', USER))?.locale ?? config.defaultLocale;
  // What a saved demo stored (filing changes, reminders sent, alerts) happened on its own timeline: the clock resumes there.
  const saved = await savedTime(core.store);
  const start = saved?.start ?? clock.now().valueOf();
  if (saved) clock.set(saved.now);
  const keepTime = () => core.store.namespace('console').set<DemoTime>(DEMO_TIME, { start, now: clock.now().valueOf() });
  // Pushed output (reminders, alerts) is dated once per instant, so a long /wait reads as a timeline.
  let stamped: number | undefined;
  const pushed = async (text: string) => {
    const now = clock.now().valueOf();
    if (stamped !== now) write(t(await locale(), 'console.stamp', { time: toChinaTime(clock.now()) }));
    stamped = now;
    write(text);
  };
  const buttons = new ShownButtons();
  // Channel sends are awaited by the scheduler's tick, so the output keeps the dispatch order.
  let queue = Promise.resolve();
  const serial = (text: string, header?: 'console.toYou') =>
    (queue = queue
      .then(async () => pushed(header ? `${t(await locale(), header)}\n${text}` : text))
      // One failed write (the store gone while reading the locale) must not silence every later one.
      .catch((error) => core.logger.error('console: output failed', { error })));
  core.channels.add(consoleChannel((text) => void serial(text, 'console.toYou'), buttons));
  const teamAlerts = consoleTeamAlerts({ ...core, locale, write: (text) => void serial(text) });
  // intervalMs 0: no timer; the demo ticks when its clock moves or a line was handled.
  const reminders = await startReminders({ ...core, reminderOffsets: config.reminderOffsets, defaultLocale: config.defaultLocale, teamAlerts }, { intervalMs: 0 });
  // Every move of the clock comes with a tick, so the saved time is kept before anything is stored at the new time.
  const tick = async () => {
    await keepTime();
    await reminders.tick();
    await queue;
  };
  const secret = randomBytes(32).toString('hex');
  const controls = new DemoControls({
    clock,
    tick,
    nextDueAt: () => reminders.scheduler.nextDueAt(),
    // The demo prints a refused event in its own words; only a failure to save one still reaches stderr.
    hook: filingEventsHandler({ ...core, logger: createLogger({ level: 'error', format: 'text' }) }, secret),
    secret,
    locale,
    write,
  });
  // Loaded filings are sealed (no phone in clear); the shipped demo file is read again for its example phone.
  const demo = config.filingsFile === DEMO_FILINGS_FILE;
  // A sample of another file is enough for the suggestions; the demo's come from the file itself.
  const loaded: Filing[] = [];
  if (!demo) for await (const f of core.filings.all()) if (loaded.push(f) >= 1000) break;
  const lang = await locale();
  const calendar = calendarStatus(core.calendar, clock.now());
  const notes: string[] = [];
  if (saved) notes.push(t(lang, 'console.resumed', { time: toChinaTime(clock.now()) }));
  if (io.setAside) notes.push(t(lang, 'console.setAside', { time: toChinaTime(clock.now()) }));
  // The person sees one short line; the log keeps the operator's detail (createCore's `calendarShown`).
  if (calendar.warn) notes.push(t(lang, 'console.calendar', { date: calendar.officialThrough }));
  write(greeting(lang, suggestions(demo ? readFilingsFile(DEMO_FILINGS_FILE) : loaded, demo), notes));
  // What is due at start (a stage, an at-risk filing) shows at once, as the service's catch-up tick would send it.
  await tick();
  try {
    await runConsole({
      handle: (a) => core.runner.handle(a, CONSOLE_CAPABILITIES),
      ...(io.input ? { input: io.input } : {}),
      write,
      control: (line) => controls.handle(line),
      afterLine: tick,
      buttons,
      locale,
      ...(io.tty ? { prompt: (text: string) => process.stdout.write(text) } : {}),
    });
  } finally {
    await reminders.stop();
  }
}

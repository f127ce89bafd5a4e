/** The console adapter: a local, trusted demo chat over stdin/stdout (CONTRACT §4). Translates only. */
import { createInterface } from 'node:readline';
import { isLinkButton, type ActionButton, type Activity, type Capabilities, type ConversationRef, type Locale, type OutgoingMessage } from '../../src/activity.js';
import type { Channel } from '../../src/channel.js';
import { t } from '../../src/i18n/catalog.js';

const USER = 'console-user';
const CONVERSATION = 'console';

/** What the console can do: no contact button and no deleting, but it is the trusted demo where `/link <phone>` works (CONTRACT §4). */
export const CONSOLE_CAPABILITIES: Capabilities = { canRequestContact: false, canDeleteMessages: false, canLinkByCommand: true };

// Button numbers stay below 1000: four digits and more may be a filing id typed without `/lookup`.
const MAX_NUMBER = 999;
const NUMBER = /^\d{1,3}$/;

/**
 * The buttons on screen that can be pressed, by number. Numbers run on across the run, so no two
 * buttons on screen share one; a reply's buttons replace those that can be pressed, and a pushed
 * message's (a reminder's) are added to them.
 */
export class ShownButtons {
  private next = 1;
  private readonly offered = new Map<number, ActionButton<string>>();

  /** Renders messages with their buttons numbered on from the last one shown; `pushed` keeps the buttons offered before. */
  render(messages: OutgoingMessage[], pushed = false): string {
    const count = messages.reduce((n, m) => n + m.buttons.flat().length, 0);
    if (this.next + count - 1 > MAX_NUMBER) this.next = 1;
    const { text, buttons } = renderMessages(messages, this.next);
    if (!pushed) this.offered.clear();
    for (const [i, button] of buttons.entries()) this.offered.set(this.next + i, button);
    this.next += buttons.length;
    return text;
  }

  /** The offered button with the typed number or label, if any. */
  find(line: string): ActionButton<string> | undefined {
    const trimmed = line.trim();
    return NUMBER.test(trimmed) ? this.offered.get(Number(trimmed)) : [...this.offered.values()].find((b) => b.label === trimmed);
  }
}

/** Turns a typed line into an Activity: a number or a label presses an offered button, anything else is text; undefined for a number not offered now. */
export function toActivity(line: string, shown: ShownButtons): Activity | undefined {
  const pressed = shown.find(line);
  // A number that presses nothing is a choice that is gone, never a chat line (it would get the help text).
  if (!pressed && NUMBER.test(line.trim())) return undefined;
  return {
    channel: 'console',
    userId: USER,
    conversationId: CONVERSATION,
    input: pressed ? { type: 'action', data: pressed.data } : { type: 'text', text: line },
  };
}

/**
 * Renders messages as plain text with the buttons numbered from `first`; returns the buttons in the
 * order they are numbered. A link cannot be pressed here, so it shows its address on a line of its
 * own, unnumbered.
 */
export function renderMessages(messages: OutgoingMessage[], first = 1): { text: string; buttons: Array<ActionButton<string>> } {
  const buttons: Array<ActionButton<string>> = [];
  const blocks = messages.map((msg) => {
    const lines = [msg.text];
    for (const row of msg.buttons) {
      const pressable = row.flatMap((b) => (isLinkButton(b) ? [] : [`[${first - 1 + buttons.push(b)}] ${b.label}`]));
      if (pressable.length > 0) lines.push(pressable.join('   '));
      for (const b of row) if (isLinkButton(b)) lines.push(`${b.label}: ${b.url}`);
    }
    return lines.join('\n');
  });
  return { text: blocks.join('\n\n'), buttons };
}

/** What runConsole takes: the turn handler, and for the demo its controls, the after-turn hook and the prompt. */
export interface ConsoleOptions {
  handle: (activity: Activity) => Promise<OutgoingMessage[]>;
  input?: NodeJS.ReadableStream;
  write?: (text: string) => void;
  greeting?: string;
  /** Answers a demo command line (true) before it would become a chat turn; false lets the line through. */
  control?: (line: string) => Promise<boolean>;
  /** Runs after each line, so what a turn made due (a reminder after linking) shows before the next prompt. */
  afterLine?: () => Promise<unknown>;
  /** Writes `> ` before each line is read; for a terminal only, so piped output stays clean. */
  prompt?: (text: string) => void;
  /** The buttons on screen, shared with the channel that shows a reminder's, so both are pressed by number alike. */
  buttons?: ShownButtons;
  /** The console user's language now, for the console's own answers. */
  locale: () => Promise<Locale>;
}

/** Runs the console chat until the input ends; every turn finishes before the next line is read. */
export async function runConsole(opts: ConsoleOptions): Promise<void> {
  const write = opts.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
  const shown = opts.buttons ?? new ShownButtons();
  if (opts.greeting) write(opts.greeting);
  opts.prompt?.('> ');
  for await (const line of rl) {
    if (line.trim() !== '' && !(await opts.control?.(line))) {
      const activity = toActivity(line, shown);
      if (activity) write(`${shown.render(await opts.handle(activity))}\n`);
      else write(`${t(await opts.locale(), 'console.notOffered', { n: line.trim() })}\n`);
    }
    if (line.trim() !== '') await opts.afterLine?.();
    opts.prompt?.('> ');
  }
}

/** The console as a Channel, so reminders can reach the console user while the demo runs; their buttons join those to press. */
export function consoleChannel(write: (text: string) => void = (text) => process.stdout.write(`${text}\n`), buttons = new ShownButtons()): Channel {
  return {
    id: 'console',
    async send(_ref: ConversationRef, messages: OutgoingMessage[]) {
      write(`${buttons.render(messages, true).replace(/^/gm, '» ')}\n`);
    },
  };
}

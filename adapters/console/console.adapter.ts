/** The console adapter: a local, trusted demo chat over stdin/stdout (CONTRACT §4). Translates only. */
import { createInterface } from 'node:readline';
import { isLinkButton, type Activity, type Capabilities, type ConversationRef, type OutgoingMessage } from '../../src/activity.js';
import type { Channel } from '../../src/channel.js';

const USER = 'console-user';
const CONVERSATION = 'console';

/** What the console can do: no contact button and no deleting, but it is the trusted demo where `/link <phone>` works (CONTRACT §4). */
export const CONSOLE_CAPABILITIES: Capabilities = { canRequestContact: false, canDeleteMessages: false, canLinkByCommand: true };

/** Turns a typed line into an Activity: a number or a label presses a button shown last; anything else is text. */
export function toActivity(line: string, lastButtons: Array<{ label: string; data: string }>): Activity {
  const trimmed = line.trim();
  const byNumber = /^\d{1,2}$/.test(trimmed) ? lastButtons[Number(trimmed) - 1] : undefined;
  const byLabel = lastButtons.find((b) => b.label === trimmed);
  const pressed = byNumber ?? byLabel;
  return {
    channel: 'console',
    userId: USER,
    conversationId: CONVERSATION,
    input: pressed ? { type: 'action', data: pressed.data } : { type: 'text', text: line },
  };
}

/**
 * Renders messages as plain text with numbered buttons; returns the buttons in the order they are
 * numbered. A link cannot be pressed here, so it shows its address on a line of its own, unnumbered.
 */
export function renderMessages(messages: OutgoingMessage[]): { text: string; buttons: Array<{ label: string; data: string }> } {
  const buttons: Array<{ label: string; data: string }> = [];
  const blocks = messages.map((msg) => {
    const lines = [msg.text];
    for (const row of msg.buttons) {
      const pressable = row.flatMap((b) => (isLinkButton(b) ? [] : [`[${buttons.push(b)}] ${b.label}`]));
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
  /** Buttons shown outside a turn (a reminder's), to press by number like a reply's. */
  buttons?: { last: Array<{ label: string; data: string }> };
}

/** Runs the console chat until the input ends; every turn finishes before the next line is read. */
export async function runConsole(opts: ConsoleOptions): Promise<void> {
  const write = opts.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
  const shown = opts.buttons ?? { last: [] };
  if (opts.greeting) write(opts.greeting);
  opts.prompt?.('> ');
  for await (const line of rl) {
    if (line.trim() !== '' && !(await opts.control?.(line))) {
      const rendered = renderMessages(await opts.handle(toActivity(line, shown.last)));
      shown.last = rendered.buttons;
      write(`${rendered.text}\n`);
    }
    if (line.trim() !== '') await opts.afterLine?.();
    opts.prompt?.('> ');
  }
}

/** The console as a Channel, so reminders can reach the console user while the demo runs; their buttons become the ones to press. */
export function consoleChannel(write: (text: string) => void = (text) => process.stdout.write(`${text}\n`), buttons?: { last: Array<{ label: string; data: string }> }): Channel {
  return {
    id: 'console',
    async send(_ref: ConversationRef, messages: OutgoingMessage[]) {
      const rendered = renderMessages(messages);
      if (buttons) buttons.last = rendered.buttons;
      write(`${rendered.text.replace(/^/gm, '» ')}\n`);
    },
  };
}

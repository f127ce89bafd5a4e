/** The console adapter: a local, trusted demo chat over stdin/stdout (CONTRACT §4). Translates only. */
import { createInterface } from 'node:readline';
import type { Activity, Capabilities, ConversationRef, OutgoingMessage } from '../../src/activity.js';
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

/** Renders messages as plain text with numbered buttons; returns the buttons in the order they are numbered. */
export function renderMessages(messages: OutgoingMessage[]): { text: string; buttons: Array<{ label: string; data: string }> } {
  const buttons: Array<{ label: string; data: string }> = [];
  const blocks = messages.map((msg) => {
    const lines = [msg.text];
    for (const row of msg.buttons) lines.push(row.map((b) => `[${buttons.push(b)}] ${b.label}`).join('   '));
    return lines.join('\n');
  });
  return { text: blocks.join('\n\n'), buttons };
}

/** Runs the console chat until the input ends; every turn finishes before the next line is read. */
export async function runConsole(opts: {
  handle: (activity: Activity) => Promise<OutgoingMessage[]>;
  input?: NodeJS.ReadableStream;
  write?: (text: string) => void;
  greeting?: string;
}): Promise<void> {
  const write = opts.write ?? ((text: string) => process.stdout.write(text + '\n'));
  const rl = createInterface({ input: opts.input ?? process.stdin, terminal: false });
  let lastButtons: Array<{ label: string; data: string }> = [];
  if (opts.greeting) write(opts.greeting);
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const rendered = renderMessages(await opts.handle(toActivity(line, lastButtons)));
    lastButtons = rendered.buttons;
    write(rendered.text + '\n');
  }
}

/** The console as a Channel, so reminders can reach the console user while the demo runs. */
export function consoleChannel(write: (text: string) => void = (text) => process.stdout.write(text + '\n')): Channel {
  return {
    id: 'console',
    async send(_ref: ConversationRef, messages: OutgoingMessage[]) {
      write(renderMessages(messages).text.replace(/^/gm, '» ') + '\n');
    },
  };
}

/** Block Kit building blocks: the message shape, the action ids, mrkdwn escaping, sections, buttons and headers. */
import { echoable } from '../../src/rules/echo.rules.js';
import type { types } from '@slack/bolt';

/** A Block Kit block. */
export type Block = types.KnownBlock;
/** A message as Slack takes it: notification text plus blocks. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Action ids of every button this app renders. */
export const ACTION = {
  open: 'beian_open',
  back: 'beian_back',
  nudge: 'beian_nudge',
  recovery: 'beian_recovery',
  confirmPick: 'beian_confirm_pick',
  confirm: /^beian_confirm_\d+$/,
  page: 'beian_page',
} as const;

// Slack caps a section's text at 3000 characters; lines are packed below that.
const SECTION_LIMIT = 2900;

/** Escapes text for mrkdwn: `&`, `<` and `>` are control characters there (links, mentions). */
export function escapeMrkdwn(text: string): string {
  return echoable(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Packs lines into as few mrkdwn sections as fit Slack's limit. */
export function sections(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    const piece = line.length > SECTION_LIMIT ? `${line.slice(0, SECTION_LIMIT - 1)}…` : line;
    if (current && current.length + 1 + piece.length > SECTION_LIMIT) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
      current = '';
    }
    current = current ? `${current}\n${piece}` : piece;
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
  return blocks;
}

/** A button; the label is plain text, so it needs no escaping (only trimming to Slack's 75 characters). */
export function button(label: string, actionId: string, value: string, style?: 'primary' | 'danger'): types.Button {
  const b: types.Button = { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label.slice(0, 75), emoji: true }, value };
  if (style) b.style = style;
  return b;
}

/** A header block; Slack caps its plain text at 150 characters. */
export function header(label: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: label.slice(0, 150), emoji: true } };
}

/** A plain ephemeral line (already mrkdwn). */
export function renderLine(line: string): SlackMessage {
  return { text: line, blocks: sections([line]) };
}

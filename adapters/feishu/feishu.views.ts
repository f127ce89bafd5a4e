/** The team view as Feishu cards: a filing's summary, the pending list, the recovery path, the confirmation chooser and alerts. Text from filings is escaped. */
import type { Locale, Msg } from '../../src/activity.js';
import type { AlertKind, UnreachableDetail } from '../../src/adapter.js';
import type { Filing } from '../../src/filings/filing.js';
import { renderMsg, t, type MessageKey } from '../../src/i18n/catalog.js';
import type { FilingSummary, VerifierView } from '../../src/summary/filing.summary.js';
import type { RecoveryPath } from '../../flows/team.flow.js';
import { offeredActions, pendingCount, type ListedFiling } from '../../flows/team.views.js';
import { MIIT_SYSTEM_URL } from '../../flows/menu.replies.js';
import { button, card, escapeMd, md, type CardButton, type CardElement, type FeishuCard } from './feishu.cards.js';

/** A key of the Feishu team wording (kept in the one catalog, src/i18n, under `feishu.`). */
export type FeishuKey = MessageKey extends infer K ? (K extends `feishu.${infer R}` ? R : never) : never;

/** Renders a Feishu wording; parameters go in as given, so callers escape what comes from a filing. */
export function ft(locale: Locale, key: FeishuKey, params: Record<string, string | number> = {}): string {
  return t(locale, `feishu.${key}`, params);
}

/** A catalog message, escaped for lark_md. */
export function msg(locale: Locale, m: Msg): string {
  return escapeMd(renderMsg(locale, m));
}

/** One lark_md line as a card. */
export function line(text: string): FeishuCard {
  return card([md(text)]);
}

/** The team's action ids (a button's `t`). */
export const TEAM_ACTION = { open: 'open', back: 'back', page: 'page', recovery: 'recovery', nudge: 'nudge', confirmPick: 'confirm_pick', confirm: 'confirm' } as const;

const ICON: Record<VerifierView['state'], string> = { verified: '✅', team: '📞', self: '🙋', pending: '⏳' };

function teamButton(locale: Locale, label: FeishuKey, action: string, value: string, primary = false): CardButton {
  return button(ft(locale, label), { t: action, v: value }, primary);
}

function verifierLine(locale: Locale, v: VerifierView): string {
  const roles = v.roles.map((r) => msg(locale, r)).join(locale === 'zh' ? '、' : ', ');
  return ft(locale, 'summary.verifier', { icon: ICON[v.state], name: escapeMd(v.name), phone: escapeMd(v.phone), roles, state: msg(locale, { key: `state.${v.state}` }) });
}

/** `/beian <id>`: type, status, every verifier masked, the deadline in China time, warnings, and the team's buttons. */
export function renderSummary(locale: Locale, filing: Filing, s: FilingSummary, note?: string): FeishuCard {
  const lines = [ft(locale, 'summary.typeStatus', { type: msg(locale, s.type), status: msg(locale, s.status) }), ft(locale, 'summary.subject', { name: escapeMd(s.subjectName) })];
  if (s.returnReason) lines.push(ft(locale, 'summary.returned', { reason: msg(locale, s.returnReason) }));
  const c = s.cycle;
  if (s.noSms) lines.push(msg(locale, { key: 'lookup.noSms' }));
  else if (!c) lines.push(ft(locale, 'summary.notReported'));
  else {
    lines.push(ft(locale, 'summary.cycle', { cycle: c.number, reportedAt: c.reportedAt }));
    if (c.allVerified) lines.push(ft(locale, 'summary.allVerified'));
    else if (c.open) lines.push(ft(locale, 'summary.deadline', { deadline: c.deadline, left: msg(locale, c.left) }), ft(locale, 'summary.miit', { url: MIIT_SYSTEM_URL }));
    else if (c.overdue && !s.returnReason) lines.push(ft(locale, 'summary.overdue', { deadline: c.deadline }));
    else lines.push(ft(locale, 'summary.closed', { deadline: c.deadline }));
  }
  const elements: CardElement[] = [md(lines.join('\n'))];
  if (!s.noSms) elements.push(md([ft(locale, 'summary.verifiers', { pending: pendingCount(s), total: s.verifiers.length }), ...s.verifiers.map((v) => verifierLine(locale, v))].join('\n')));
  if (s.warnings.length > 0) elements.push(md(s.warnings.map((w) => `⚠️ ${msg(locale, w)}`).join('\n')));
  if (note) elements.push({ tag: 'note', elements: [{ tag: 'lark_md', content: note }] });
  const offered = offeredActions(filing, s);
  const buttons: CardButton[] = [];
  if (offered.nudge) buttons.push(teamButton(locale, 'btn.nudge', TEAM_ACTION.nudge, s.id, true));
  if (offered.recovery) buttons.push(teamButton(locale, 'btn.recovery', TEAM_ACTION.recovery, s.id, filing.status === 'returned'));
  if (offered.confirm) buttons.push(teamButton(locale, 'btn.confirm', TEAM_ACTION.confirmPick, s.id));
  if (buttons.length > 0) elements.push({ tag: 'action', actions: buttons });
  return card(elements, ft(locale, 'summary.title', { id: s.id }));
}

/** The chooser of "Record confirmation": one button per pending verifier, carrying an index and a key prefix (never a phone). */
export function renderConfirmChooser(locale: Locale, s: FilingSummary, cycle: number): FeishuCard {
  const choices: CardButton[] = [];
  s.verifiers.forEach((v, i) => {
    if (v.state === 'pending') choices.push(button(`${v.name} ${v.phone}`, { t: TEAM_ACTION.confirm, v: `${s.id}:${cycle}:${i}:${v.key.slice(0, 8)}` }));
  });
  return card([md(ft(locale, 'confirm.ask', { id: s.id, cycle })), { tag: 'action', actions: [...choices.slice(0, 20), teamButton(locale, 'btn.back', TEAM_ACTION.back, s.id)] }]);
}

/** The recovery path as text: the notes, then each question, each answer and the steps it leads to. */
export function renderRecovery(locale: Locale, path: RecoveryPath): FeishuCard {
  const lines = [ft(locale, 'recovery.title', { id: path.filingId, type: msg(locale, { key: `type.${path.type}` }) }), ...path.notes.map((n) => msg(locale, n))];
  const tree = path.tree;
  const indent = (depth: number, text: string) => '\u3000'.repeat(depth * 2) + text;
  const walk = (nodeId: string, depth: number): void => {
    const node = tree?.nodes[nodeId];
    if (!node || depth > 8) return;
    if (node.kind === 'end') {
      for (const [i, key] of node.steps.entries()) lines.push(indent(depth, msg(locale, { key: 'recovery.step', params: { n: i + 1, text: { key, params: path.params } } })));
      return;
    }
    lines.push(indent(depth, ft(locale, 'recovery.question', { text: msg(locale, { key: node.text, params: path.params }) })));
    for (const answer of node.answers) {
      lines.push(indent(depth, ft(locale, 'recovery.answer', { label: msg(locale, { key: answer.label }) })));
      walk(answer.next, depth + 1);
    }
  };
  if (tree) {
    walk(tree.start, 0);
    lines.push(msg(locale, path.reportedBy));
  }
  return card([md(lines.join('\n'))]);
}

/** `/beian pending`: one page of filings in an open window, most urgent first, each with Open, and Prev/Next. */
export function renderPendingPage(locale: Locale, entries: ListedFiling[], page: number, pageSize: number): FeishuCard {
  if (entries.length === 0) return line(ft(locale, 'pending.none'));
  const pages = Math.ceil(entries.length / pageSize);
  const current = Math.min(Math.max(0, page), pages - 1);
  const elements: CardElement[] = [md(ft(locale, 'pending.title', { page: current + 1, pages }))];
  for (const { filing, summary: s } of entries.slice(current * pageSize, (current + 1) * pageSize)) {
    const item = ft(locale, 'pending.item', {
      id: s.id,
      type: msg(locale, s.type),
      pending: pendingCount(s),
      total: s.verifiers.length,
      deadline: s.cycle?.deadline ?? '',
      left: s.cycle ? msg(locale, s.cycle.left) : '',
    });
    elements.push(md(item), { tag: 'action', actions: [teamButton(locale, 'btn.open', TEAM_ACTION.open, filing.id)] });
  }
  const nav: CardButton[] = [];
  if (current > 0) nav.push(teamButton(locale, 'btn.prev', TEAM_ACTION.page, String(current - 1)));
  if (current < pages - 1) nav.push(teamButton(locale, 'btn.next', TEAM_ACTION.page, String(current + 1)));
  if (nav.length > 0) elements.push({ tag: 'action', actions: nav });
  return card(elements);
}

/** An alert for the team's chat: at risk, window closed, returned with the whole recovery path, or a person who cannot be reached. */
export function renderAlert(locale: Locale, kind: AlertKind, filing: Filing, s: FilingSummary, path: RecoveryPath, detail?: UnreachableDetail): FeishuCard {
  const pending = s.verifiers.filter((v) => v.state === 'pending').map((v) => verifierLine(locale, v));
  const c = s.cycle;
  const buttons = [teamButton(locale, 'btn.open', TEAM_ACTION.open, filing.id)];
  let elements: CardElement[];
  if (kind === 'at_risk') {
    elements = [md([ft(locale, 'alert.atRisk', { id: s.id, left: c ? msg(locale, c.left) : '', deadline: c?.deadline ?? '', pending: pending.length }), ...pending].join('\n'))];
    if (offeredActions(filing, s).nudge) buttons.push(teamButton(locale, 'btn.nudge', TEAM_ACTION.nudge, filing.id, true));
  } else if (kind === 'unreachable') {
    const d = detail ?? { person: '?', platform: '?', minutes: 0, reason: '?' };
    elements = [md(ft(locale, 'alert.unreachable', { id: s.id, person: escapeMd(d.person), platform: escapeMd(d.platform), minutes: d.minutes, reason: escapeMd(d.reason) }))];
  } else if (kind === 'window_closed') {
    elements = [md([ft(locale, 'alert.windowClosed', { id: s.id, deadline: c?.deadline ?? '', pending: pending.length }), ...pending].join('\n'))];
  } else {
    elements = [md(ft(locale, 'alert.returned', { id: s.id, type: msg(locale, s.type), reason: msg(locale, s.returnReason ?? { key: 'reason.other' }) })), ...renderRecovery(locale, path).elements];
  }
  return card([...elements, { tag: 'action', actions: buttons }]);
}

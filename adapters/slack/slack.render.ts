/** Block Kit rendering of the team view: summaries, lists, the recovery tree, App Home and alerts. Text from filings is escaped. */
import type { types } from '@slack/bolt';
import type { Locale, Msg } from '../../src/activity.js';
import type { AlertKind, UnreachableDetail } from '../../src/adapter.js';
import { FILING_STATUSES, type Filing } from '../../src/filings/filing.js';
import { renderMsg } from '../../src/i18n/catalog.js';
import { MAX_RESENDS, resendBudget } from '../../src/rules/resend.rules.js';
import { WRONG_ENTRY_LIMIT, wrongEntryBudget } from '../../src/rules/warnings.rules.js';
import type { CycleFacts } from '../../src/people.js';
import type { FilingSummary, VerifierView } from '../../src/summary/filing.summary.js';
import type { RecoveryPath } from '../../flows/team.flow.js';
import { offeredActions, pendingCount, type HomeData, type ListedFiling } from '../../flows/team.views.js';
import { MIIT_SYSTEM_URL } from '../../flows/menu.replies.js';
import { ACTION, button, escapeMrkdwn, header, sections, type Block, type SlackMessage } from './slack.blocks.js';
import { st, type SlackKey } from './slack.messages.js';

const MAX_HOME_ITEMS = 15;

/** What a renderer needs: the locale. */
export interface RenderContext {
  locale: Locale;
}

function msg(ctx: RenderContext, m: Msg): string {
  return escapeMrkdwn(renderMsg(ctx.locale, m));
}

function text(ctx: RenderContext, key: SlackKey, params: Record<string, string | number> = {}): string {
  return st(ctx.locale, key, params);
}

const ICON: Record<VerifierView['state'], string> = {
  verified: ':white_check_mark:',
  team: ':telephone_receiver:',
  self: ':raising_hand:',
  pending: ':hourglass_flowing_sand:',
};

/** One verifier line: icon, masked name and phone, roles, state (verified, team-confirmed, self-reported or pending). */
export function verifierLine(ctx: RenderContext, v: VerifierView): string {
  return text(ctx, 'summary.verifier', {
    icon: ICON[v.state],
    name: escapeMrkdwn(v.name),
    phone: v.phone,
    roles: v.roles.map((r) => msg(ctx, r)).join(ctx.locale === 'zh' ? '、' : ', '),
    state: msg(ctx, { key: `state.${v.state}` }),
  });
}

/** R4/R7: the resends and wrong entries pending verifiers reported in this cycle, with a warning near the wrong-entry limit. */
function counterLines(ctx: RenderContext, s: FilingSummary, facts: Record<string, CycleFacts>): { counters: string[]; warnings: string[] } {
  const counters: string[] = [];
  const warnings: string[] = [];
  for (const v of s.verifiers) {
    const f = facts[v.key];
    if (v.state !== 'pending' || !f || (!f.resends && !f.wrong)) continue;
    const who = { name: escapeMrkdwn(v.name), phone: v.phone };
    const resends = MAX_RESENDS - resendBudget(f.resends ?? 0).remaining;
    const wrong = wrongEntryBudget(f.wrong ?? 0);
    counters.push(text(ctx, 'summary.counters', { ...who, resends, maxResends: MAX_RESENDS, wrong: wrong.count, maxWrong: WRONG_ENTRY_LIMIT }));
    if (wrong.exhausted) warnings.push(text(ctx, 'summary.wrongOut', { ...who, wrong: wrong.count }));
    else if (wrong.lastChance) warnings.push(text(ctx, 'summary.wrongLast', { ...who, wrong: wrong.count }));
  }
  return { counters, warnings };
}

/**
 * The `/beian <id>` summary: type, status, every verifier masked, the deadline in China time, R7
 * warnings, what pending verifiers reported (resends, wrong entries) and the team's buttons.
 */
export function renderSummary(ctx: RenderContext, filing: Filing, s: FilingSummary, facts: Record<string, CycleFacts> = {}, note?: string): SlackMessage {
  const about = [text(ctx, 'summary.typeStatus', { type: msg(ctx, s.type), status: msg(ctx, s.status) }), text(ctx, 'summary.subject', { name: escapeMrkdwn(s.subjectName) })];
  if (filing.type === 'access' && filing.currentAccessProvider) about.push(text(ctx, 'summary.provider', { provider: escapeMrkdwn(filing.currentAccessProvider) }));
  if (s.returnReason) about.push(text(ctx, 'summary.returned', { reason: msg(ctx, s.returnReason) }));

  const cycleLines: string[] = [];
  const c = s.cycle;
  if (s.noSms) cycleLines.push(msg(ctx, { key: 'lookup.noSms' }));
  else if (!c) cycleLines.push(text(ctx, 'summary.notReported'));
  else {
    cycleLines.push(text(ctx, 'summary.cycle', { cycle: c.number, reportedAt: c.reportedAt }));
    if (c.allVerified) cycleLines.push(text(ctx, 'summary.allVerified'));
    else if (c.open) cycleLines.push(text(ctx, 'summary.deadline', { deadline: c.deadline, left: msg(ctx, c.left) }), text(ctx, 'summary.miit', { url: MIIT_SYSTEM_URL }));
    else if (c.overdue && !s.returnReason) cycleLines.push(text(ctx, 'summary.overdue', { deadline: c.deadline }));
    else cycleLines.push(text(ctx, 'summary.closed', { deadline: c.deadline }));
  }

  const blocks: Block[] = [header(text(ctx, 'summary.title', { id: s.id })), ...sections(about), ...sections(cycleLines)];
  const reported = c ? counterLines(ctx, s, facts) : { counters: [], warnings: [] };
  if (!s.noSms) {
    const who = [text(ctx, 'summary.verifiers', { pending: pendingCount(s), total: s.verifiers.length }), ...s.verifiers.map((v) => verifierLine(ctx, v))];
    blocks.push(...sections(who));
  }
  if (reported.counters.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: reported.counters.join('\n') }] });
  const warnings = [...reported.warnings, ...s.warnings.map((w) => `:warning: ${msg(ctx, w)}`)];
  if (warnings.length > 0) blocks.push(...sections(warnings));
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });

  const buttons: types.Button[] = [];
  const offered = offeredActions(filing, s);
  if (offered.nudge) buttons.push(button(text(ctx, 'btn.nudge'), ACTION.nudge, s.id, 'primary'));
  if (offered.recovery) buttons.push(button(text(ctx, 'btn.recovery'), ACTION.recovery, s.id, filing.status === 'returned' ? 'primary' : undefined));
  if (offered.confirm) buttons.push(button(text(ctx, 'btn.confirm'), ACTION.confirmPick, s.id));
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'beian_summary_actions', elements: buttons });
  return { text: `${text(ctx, 'summary.title', { id: s.id })}: ${msg(ctx, s.status)}`, blocks };
}

/** The "Record confirmation" chooser: one button per pending verifier, carrying an index (never a phone). */
export function renderConfirmChooser(ctx: RenderContext, s: FilingSummary, cycle: number): SlackMessage {
  const elements: types.Button[] = [];
  s.verifiers.forEach((v, i) => {
    // The key prefix (a keyed hash, not the phone) catches a record that changed under the same cycle.
    if (v.state === 'pending') elements.push(button(`${v.name} ${v.phone}`, `beian_confirm_${i}`, `${s.id}:${cycle}:${i}:${v.key.slice(0, 8)}`));
  });
  const ask = text(ctx, 'confirm.ask', { id: s.id, cycle });
  const blocks: Block[] = [...sections([ask]), { type: 'actions', block_id: 'beian_confirm_choices', elements: [...elements.slice(0, 24), button(text(ctx, 'btn.back'), ACTION.back, s.id)] }];
  return { text: ask, blocks };
}

/** One line of the recovery tree, indented by depth. */
function indent(depth: number, line: string): string {
  // Slack trims ordinary leading spaces in mrkdwn; em spaces survive.
  return '\u2003'.repeat(depth * 2) + line;
}

/** R6: the whole recovery path as text: the notes, then each question, each answer and the steps it leads to. */
export function recoveryLines(ctx: RenderContext, path: RecoveryPath): string[] {
  const lines = [text(ctx, 'recovery.title', { id: path.filingId, type: msg(ctx, { key: `type.${path.type}` }) }), ...path.notes.map((note) => msg(ctx, note))];
  const tree = path.tree;
  if (!tree) return lines;
  const walk = (nodeId: string, depth: number): void => {
    const node = tree.nodes[nodeId];
    if (!node || depth > 8) return;
    if (node.kind === 'end') {
      for (const [i, key] of node.steps.entries()) lines.push(indent(depth, msg(ctx, { key: 'recovery.step', params: { n: i + 1, text: { key, params: path.params } } })));
      return;
    }
    lines.push(indent(depth, text(ctx, 'recovery.question', { text: msg(ctx, { key: node.text, params: path.params }) })));
    for (const answer of node.answers) {
      lines.push(indent(depth, text(ctx, 'recovery.answer', { label: msg(ctx, { key: answer.label }) })));
      walk(answer.next, depth + 1);
    }
  };
  walk(tree.start, 0);
  lines.push(msg(ctx, path.reportedBy));
  return lines;
}

/** The "Recovery path" reply. */
export function renderRecovery(ctx: RenderContext, path: RecoveryPath): SlackMessage {
  const lines = recoveryLines(ctx, path);
  return { text: lines[0]!, blocks: sections(lines) };
}

/** `/beian pending`: one page of filings in an open window, most urgent first, with Prev/Next. */
export function renderPendingPage(ctx: RenderContext, entries: ListedFiling[], page: number, pageSize: number): SlackMessage {
  if (entries.length === 0) {
    const none = text(ctx, 'pending.none');
    return { text: none, blocks: sections([none]) };
  }
  const pages = Math.ceil(entries.length / pageSize);
  const current = Math.min(Math.max(0, page), pages - 1);
  const title = text(ctx, 'pending.title', { page: current + 1, pages });
  const blocks: Block[] = [...sections([title])];
  for (const { filing, summary: s } of entries.slice(current * pageSize, (current + 1) * pageSize)) {
    const item = text(ctx, 'pending.item', {
      id: s.id,
      type: msg(ctx, s.type),
      pending: pendingCount(s),
      total: s.verifiers.length,
      deadline: s.cycle?.deadline ?? '',
      left: s.cycle ? msg(ctx, s.cycle.left) : '',
    });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: item }, accessory: button(text(ctx, 'btn.open'), ACTION.open, filing.id) });
  }
  const nav: types.Button[] = [];
  if (current > 0) nav.push(button(text(ctx, 'btn.prev'), ACTION.page, String(current - 1)));
  if (current < pages - 1) nav.push(button(text(ctx, 'btn.next'), ACTION.page, String(current + 1)));
  if (nav.length > 0) blocks.push({ type: 'actions', block_id: 'beian_pending_nav', elements: nav });
  return { text: title, blocks };
}

function capped(ctx: RenderContext, lines: string[]): string[] {
  if (lines.length === 0) return [text(ctx, 'home.none')];
  if (lines.length <= MAX_HOME_ITEMS) return lines;
  return [...lines.slice(0, MAX_HOME_ITEMS), text(ctx, 'home.more', { count: lines.length - MAX_HOME_ITEMS })];
}

/** The App Home tab: at-risk filings, returns of the last 7 days, counts by status. */
export function renderHome(ctx: RenderContext, data: HomeData): types.HomeView {
  const risk = data.atRisk.map(({ summary: s }) =>
    s.cycle && s.cycle.msLeft > 0
      ? text(ctx, 'home.atRiskItem', { id: s.id, type: msg(ctx, s.type), pending: pendingCount(s), deadline: s.cycle.deadline, left: msg(ctx, s.cycle.left) })
      : text(ctx, 'home.atRiskClosed', { id: s.id, type: msg(ctx, s.type), pending: pendingCount(s), deadline: s.cycle?.deadline ?? '' }),
  );
  const returned = data.returned.map((r) =>
    text(ctx, 'home.returnedItem', {
      id: r.filing.id,
      type: msg(ctx, { key: `type.${r.filing.type}` }),
      reason: msg(ctx, { key: `reason.${r.filing.returnReason ?? 'other'}` }),
      at: r.at,
      approx: r.approximate ? text(ctx, 'home.approx') : '',
    }),
  );
  const counts = FILING_STATUSES.map((status) => text(ctx, 'home.count', { status: msg(ctx, { key: `status.${status}` }), count: data.counts[status] ?? 0 }));
  return {
    type: 'home',
    blocks: [
      header(text(ctx, 'home.title')),
      { type: 'context', elements: [{ type: 'mrkdwn', text: text(ctx, 'home.updated', { now: data.now }) }] },
      { type: 'divider' },
      ...sections([text(ctx, 'home.atRisk'), ...capped(ctx, risk)]),
      { type: 'divider' },
      ...sections([text(ctx, 'home.returned'), ...capped(ctx, returned)]),
      { type: 'divider' },
      ...sections([text(ctx, 'home.counts'), counts.join('\n')]),
    ],
  };
}

/** The App Home tab for someone who may not use the app. */
export function renderDeniedHome(ctx: RenderContext): types.HomeView {
  return { type: 'home', blocks: [header(text(ctx, 'home.title')), ...sections([text(ctx, 'home.denied')])] };
}

/** An alert for the team's channel: at risk, window closed, returned with the whole recovery path, or a person who cannot be reached. */
export function renderAlert(ctx: RenderContext, kind: AlertKind, filing: Filing, s: FilingSummary, path: RecoveryPath, detail?: UnreachableDetail): SlackMessage {
  const pendingLines = s.verifiers.filter((v) => v.state === 'pending').map((v) => verifierLine(ctx, v));
  const c = s.cycle;
  let lines: string[];
  const buttons = [button(text(ctx, 'btn.open'), ACTION.open, filing.id)];
  if (kind === 'at_risk') {
    lines = [text(ctx, 'alert.atRisk', { id: s.id, left: c ? msg(ctx, c.left) : '', deadline: c?.deadline ?? '', pending: pendingLines.length }), ...pendingLines];
    if (offeredActions(filing, s).nudge) buttons.push(button(text(ctx, 'btn.nudge'), ACTION.nudge, filing.id, 'primary'));
  } else if (kind === 'unreachable') {
    const d = detail ?? { person: '?', platform: '?', minutes: 0, reason: '?' };
    lines = [text(ctx, 'alert.unreachable', { id: s.id, person: escapeMrkdwn(d.person), platform: escapeMrkdwn(d.platform), minutes: d.minutes, reason: escapeMrkdwn(d.reason) })];
  } else if (kind === 'window_closed') {
    lines = [text(ctx, 'alert.windowClosed', { id: s.id, deadline: c?.deadline ?? '', pending: pendingLines.length }), ...pendingLines];
  } else {
    lines = [text(ctx, 'alert.returned', { id: s.id, type: msg(ctx, s.type), reason: msg(ctx, s.returnReason ?? { key: 'reason.other' }) }), ...recoveryLines(ctx, path)];
  }
  return { text: lines[0]!, blocks: [...sections(lines), { type: 'actions', block_id: `beian_alert_${kind}`, elements: buttons }] };
}

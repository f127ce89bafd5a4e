/**
 * The team's alert channel in the console demo (RULES R5): the same alert data the Slack adapter
 * posts (the team view's summary and recovery path) and the same catalog wording (`slack.alert.*`),
 * printed as plain text under a line that marks it as the Slack channel's.
 */
import type { Locale, Msg } from '../../src/activity.js';
import type { AlertKind, TeamAlerts } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import type { Filing } from '../../src/filings/filing.js';
import type { FilingSource } from '../../src/filings/filings.port.js';
import { renderMsg, t } from '../../src/i18n/catalog.js';
import type { People } from '../../src/people.js';
import type { WorkCalendar } from '../../src/rules/workday.rules.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { FilingSummary, VerifierView } from '../../src/summary/filing.summary.js';
import { recoveryPath, type RecoveryPath } from '../../flows/team.flow.js';
import { summaryOf, type TeamViewDeps } from '../../flows/team.views.js';

/** How long an alert's once-per-cycle mark is kept, as on Slack: far longer than any cycle. */
const ALERT_MARK_TTL_MS = 60 * 86_400_000;

// Slack's emoji shortcodes in the shared wording, as the characters Slack shows for them.
const EMOJI: Record<string, string> = {
  warning: '⚠️',
  no_entry: '⛔',
  leftwards_arrow_with_hook: '↩️',
  white_check_mark: '✅',
  telephone_receiver: '📞',
  raising_hand: '🙋',
  hourglass_flowing_sand: '⏳',
};

// The state icons Slack's summary shows (slack.render.ts), as characters.
const ICON: Record<VerifierView['state'], string> = {
  verified: EMOJI.white_check_mark!,
  team: EMOJI.telephone_receiver!,
  self: EMOJI.raising_hand!,
  pending: EMOJI.hourglass_flowing_sand!,
};

/** Turns Slack mrkdwn into plain text: emoji shortcodes into characters, `*bold*` into its words. */
export function plainText(mrkdwn: string): string {
  return mrkdwn.replace(/:([a-z_]+):/g, (whole, name: string) => EMOJI[name] ?? whole).replace(/\*([^*\n]+)\*/g, '$1');
}

/**
 * The wording of the team's channel: a `slack.*` key of the one catalog, made plain. Only the
 * template's own markup is removed: the parameters go in afterwards, since a masked name (`张*`)
 * or phone (`138**8000`) holds asterisks of its own.
 */
function st(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  const names = Object.keys(params);
  const slots = Object.fromEntries(names.map((name, i) => [name, `\uE000${i}\uE000`]));
  return plainText(t(locale, `slack.${key}`, slots)).replace(/\uE000(\d+)\uE000/g, (_, i: string) => String(params[names[Number(i)]!]));
}

function verifierLine(locale: Locale, v: VerifierView): string {
  const roles = v.roles.map((r) => renderMsg(locale, r)).join(locale === 'zh' ? '、' : ', ');
  return st(locale, 'summary.verifier', { icon: ICON[v.state], name: v.name, phone: v.phone, roles, state: renderMsg(locale, { key: `state.${v.state}` }) });
}

/** R6: the recovery path as the alert shows it: notes, then each question, answer and its steps, indented. */
export function recoveryText(locale: Locale, path: RecoveryPath): string[] {
  const msg = (m: Msg) => renderMsg(locale, m);
  const lines = [st(locale, 'recovery.title', { id: path.filingId, type: msg({ key: `type.${path.type}` }) }), ...path.notes.map(msg)];
  const tree = path.tree;
  if (!tree) return lines;
  const walk = (nodeId: string, depth: number): void => {
    const node = tree.nodes[nodeId];
    if (!node || depth > 8) return;
    const pad = '  '.repeat(depth * 2);
    if (node.kind === 'end') {
      for (const [i, key] of node.steps.entries()) lines.push(pad + msg({ key: 'recovery.step', params: { n: i + 1, text: { key, params: path.params } } }));
      return;
    }
    lines.push(pad + st(locale, 'recovery.question', { text: msg({ key: node.text, params: path.params }) }));
    for (const answer of node.answers) {
      lines.push(pad + st(locale, 'recovery.answer', { label: msg({ key: answer.label }) }));
      walk(answer.next, depth + 1);
    }
  };
  walk(tree.start, 0);
  lines.push(msg(path.reportedBy));
  return lines;
}

/** One alert as plain text lines, from the data the Slack alert is built from. */
export function alertText(locale: Locale, kind: AlertKind, s: FilingSummary, path: RecoveryPath): string[] {
  const pending = s.verifiers.filter((v) => v.state === 'pending').map((v) => verifierLine(locale, v));
  const c = s.cycle;
  if (kind === 'at_risk') return [st(locale, 'alert.atRisk', { id: s.id, left: c ? renderMsg(locale, c.left) : '', deadline: c?.deadline ?? '', pending: pending.length }), ...pending];
  if (kind === 'window_closed') return [st(locale, 'alert.windowClosed', { id: s.id, deadline: c?.deadline ?? '', pending: pending.length }), ...pending];
  const reason = renderMsg(locale, s.returnReason ?? { key: 'reason.other' });
  return [st(locale, 'alert.returned', { id: s.id, type: renderMsg(locale, s.type), reason }), ...recoveryText(locale, path)];
}

/** What the console's team channel reads: the team view's parts and a store for its once-only marks. */
export interface ConsoleAlertsDeps {
  clock: Clock;
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  /** The console user's language: in the demo one person plays every part, so the team's channel speaks it too. */
  locale: () => Promise<Locale>;
  write: (text: string) => void;
}

/** The team's alerts printed to the console under `[Slack #alerts]`, at most once per filing, cycle and kind. */
export function consoleTeamAlerts(deps: ConsoleAlertsDeps): TeamAlerts {
  const marks = deps.store.namespace('console');
  const team: TeamViewDeps & { calendar: WorkCalendar } = {
    clock: deps.clock,
    calendar: deps.calendar,
    filings: deps.filings,
    people: deps.people,
    marks,
  };
  return {
    async alert(kind, filing: Filing) {
      const key = `alert:${filing.id}:${filing.cycle?.number ?? 0}:${kind}`;
      if (!(await marks.setIfAbsent(key, { at: deps.clock.now().toISOString() }, ALERT_MARK_TTL_MS))) return false;
      const locale = await deps.locale();
      const lines = alertText(locale, kind, await summaryOf(team, filing), recoveryPath(team, filing));
      deps.write(`${[t(locale, 'console.slackChannel'), ...lines].join('\n')}\n`);
      return true;
    },
  };
}

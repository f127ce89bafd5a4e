/**
 * The team's buttons and `/beian` command, as one table from action id to operation: each entry
 * turns a button's value into a team-flow call and renders the result. Decisions stay in the flow.
 */
import { FilingIdSchema, type Filing } from '../../src/filings/filing.js';
import { renderMsg } from '../../src/i18n/catalog.js';
import { echoId } from '../../src/rules/echo.rules.js';
import { confirmChoices, recoveryPath, type NudgeResult } from '../../flows/team.flow.js';
import { cycleFacts, pendingWindows, summaryOf } from '../../flows/team.views.js';
import { calendarStatus } from '../../src/rules/workday.rules.js';
import { ACTION, escapeMrkdwn, renderLine, type SlackMessage } from './slack.blocks.js';
import { st, type SlackKey } from './slack.messages.js';
import { runConfirmation, runNudge, type SlackTeam } from './slack.team.js';
import { renderConfirmChooser, renderPendingPage, renderRecovery, renderSummary, type RenderContext } from './slack.render.js';

/** What an operation answers: the message, and whether it replaces the one whose button was pressed. */
export interface ActionAnswer {
  message: SlackMessage;
  replace?: boolean;
}

/** One entry of the table: the action id (or pattern), a name for logs, and the operation on the button's value. */
export interface ActionEntry {
  id: string | RegExp;
  name: string;
  run(value: string | undefined, user: string): Promise<ActionAnswer>;
}

/** A chooser button's value: filing, cycle, verifier index, and a prefix of that verifier's phone key. */
export function parseConfirmValue(value: string): { filingId: string; cycle: number; index: number; keyPrefix: string } | undefined {
  const match = /^([A-Za-z0-9_-]{4,40}):(\d{1,6}):(\d{1,3}):([A-Za-z0-9_-]{1,22})$/.exec(value);
  if (!match) return undefined;
  return { filingId: match[1]!, cycle: Number(match[2]), index: Number(match[3]), keyPrefix: match[4]! };
}

/** The rendering helpers the command and every button share. */
export class SlackViews {
  constructor(
    readonly team: SlackTeam,
    readonly ctx: RenderContext,
    private readonly pageSize: number,
  ) {}

  /** A Slack message text in the app's locale. */
  say(key: SlackKey, params?: Record<string, string | number>): string {
    return st(this.ctx.locale, key, params);
  }

  /** The filing with this id, when the id is well formed and known. */
  async find(id: string | undefined): Promise<Filing | undefined> {
    return id && FilingIdSchema.safeParse(id).success ? this.team.filings.get(id) : undefined;
  }

  /** "No such filing", with the id escaped and cut short. */
  notFound(id: string | undefined): SlackMessage {
    return renderLine(this.say('notFound', { id: escapeMrkdwn(echoId(id ?? '')) }));
  }

  /** A filing's summary with what its verifiers reported, and an optional note on top. */
  async summary(filing: Filing, note?: string): Promise<SlackMessage> {
    const summary = await summaryOf(this.team, filing);
    return renderSummary(this.ctx, filing, summary, await cycleFacts(this.team, filing, summary), note);
  }

  /** One page of the pending list. */
  async pendingPage(page: number): Promise<SlackMessage> {
    return renderPendingPage(this.ctx, await pendingWindows(this.team), page, this.pageSize);
  }

  /** `/beian help`, with a line on estimated re-report dates once they are in use (R6). */
  help(): SlackMessage {
    const calendar = calendarStatus(this.team.calendar, this.team.clock.now());
    const lines = [this.say('help')];
    if (calendar.estimating) lines.push(this.say('helpEstimating', { officialThrough: calendar.officialThrough }));
    return renderLine(lines.join('\n'));
  }

  /** `/beian [help | pending | <filing id>]`. */
  async command(text: string): Promise<SlackMessage> {
    const [first] = text.trim().split(/\s+/).filter(Boolean);
    if (!first || /^(help|帮助)$/i.test(first)) return this.help();
    if (/^pending$/i.test(first)) return this.pendingPage(0);
    const filing = await this.find(first);
    return filing ? this.summary(filing) : this.notFound(first);
  }

  /** The line answering a nudge. */
  nudgeLine(id: string, result: NudgeResult): string {
    if (result.status === 'done') return this.say(result.count > 0 ? 'nudge.done' : 'nudge.noneLinked', { id, count: result.count });
    if (result.status === 'refused') return this.say('nudge.refused', { id, at: result.at, user: result.by, next: result.next });
    return result.status === 'no_service' ? this.say('nudge.noService') : this.say('nudge.nothing', { id });
  }
}

/** Every button of the app, from action id to operation. */
export function actionTable(v: SlackViews): ActionEntry[] {
  /** An operation on the filing a button names; an unknown id answers "not found". */
  const onFiling =
    (op: (filing: Filing, user: string) => Promise<ActionAnswer>, replace = false) =>
    async (value: string | undefined, user: string): Promise<ActionAnswer> => {
      const filing = await v.find(value);
      return filing ? op(filing, user) : { message: v.notFound(value), replace };
    };
  return [
    { id: ACTION.open, name: 'beian_open', run: onFiling(async (f) => ({ message: await v.summary(f) })) },
    { id: ACTION.back, name: 'beian_back', run: onFiling(async (f) => ({ message: await v.summary(f), replace: true }), true) },
    { id: ACTION.page, name: 'beian_page', run: async (value) => ({ message: await v.pendingPage(Number(value) || 0), replace: true }) },
    { id: ACTION.recovery, name: 'beian_recovery', run: onFiling(async (f) => ({ message: renderRecovery(v.ctx, recoveryPath(v.team, f)) })) },
    { id: ACTION.nudge, name: 'beian_nudge', run: onFiling(async (f, user) => ({ message: renderLine(v.nudgeLine(f.id, await runNudge(v.team, f, user))) })) },
    {
      id: ACTION.confirmPick,
      name: 'beian_confirm_pick',
      run: onFiling(async (f) => {
        const choices = await confirmChoices(v.team, f);
        const message = choices.status === 'choose' ? renderConfirmChooser(v.ctx, choices.summary, choices.cycle) : await v.summary(f, v.say('confirm.none', { id: f.id }));
        return { message, replace: true };
      }),
    },
    {
      id: ACTION.confirm,
      name: 'beian_confirm_<n>',
      run: async (value, user) => {
        const choice = parseConfirmValue(value ?? '');
        const filing = await v.find(choice?.filingId);
        if (!choice || !filing) return { message: v.notFound(choice?.filingId), replace: true };
        const result = await runConfirmation(v.team, filing, choice, user);
        const who = result.status === 'stale' ? '' : `${escapeMrkdwn(result.who.name)} ${result.who.phone}`;
        const note =
          result.status === 'recorded'
            ? v.say('summary.recorded', { who, user, state: escapeMrkdwn(renderMsg(v.ctx.locale, { key: 'state.team' })) })
            : result.status === 'already'
              ? v.say('confirm.already', { who })
              : v.say('confirm.stale');
        return { message: await v.summary(filing, note), replace: true };
      },
    },
  ];
}

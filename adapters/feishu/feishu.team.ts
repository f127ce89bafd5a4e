/**
 * The internal team on Feishu: the team flow's ports (marks under `feishu:`, audit lines named
 * `feishu.*` with the open_id), the nudge and the phone confirmation applied, `/beian`, its buttons
 * as a table from action id to operation, and who may use them.
 */
import type { Locale } from '../../src/activity.js';
import type { Clock } from '../../src/clock.js';
import type { FeishuConfig } from '../../src/config.js';
import { FilingIdSchema, type Filing } from '../../src/filings/filing.js';
import type { FilingSource } from '../../src/filings/filings.port.js';
import type { Logger } from '../../src/log.js';
import type { People } from '../../src/people.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import type { WorkCalendar } from '../../src/rules/workday.rules.js';
import { applyMarkWrites, stepOnMark } from '../../src/store/marks.js';
import type { StateStore } from '../../src/store/state-store.js';
import {
  confirmationWritten,
  confirmChoices,
  confirmStep,
  nudgeKey,
  nudgeSent,
  nudgeStep,
  recoveryPath,
  type ConfirmChoice,
  type ConfirmResult,
  type NudgeMark,
  type NudgeResult,
  type NudgeStep,
  type TeamDeps,
} from '../../flows/team.flow.js';
import { pendingWindows, returnDate, summaryOf } from '../../flows/team.views.js';
import { escapeMd, type FeishuCard } from './feishu.cards.js';
import { ft, line, msg, renderConfirmChooser, renderPendingPage, renderRecovery, renderSummary, TEAM_ACTION } from './feishu.views.js';

/** What the team side uses. */
export interface FeishuTeamDeps {
  config: { feishu?: FeishuConfig; defaultLocale: Locale };
  clock: Clock;
  logger: Logger;
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  /** Reaches a filing's linked pending verifiers (the reminder service); absent when it is not running. */
  nudge?: Nudger;
}

/** The team flow's ports, with the marks (under `feishu:`) and the people writable for the adapter that applies the flow's writes. */
export interface FeishuTeam extends TeamDeps {
  marks: StateStore;
  people: Pick<People, 'confirmations' | 'facts' | 'keyOf' | 'teamConfirm'>;
}

/** The team flow's ports over the adapter's dependencies. */
export function teamOf(deps: FeishuTeamDeps): FeishuTeam {
  const { clock, calendar, filings, people, logger, nudge } = deps;
  return {
    clock,
    calendar,
    filings,
    people,
    marks: deps.store.namespace('feishu'),
    ...(nudge ? { nudge } : {}),
    audit: (action, { actor, ...fields }) => logger.info('audit', { action: `feishu.${action}`, ...fields, feishuUser: actor }),
  };
}

/** A nudge: decided under the filing's nudge mark, sent, and the claim released should sending fail. */
async function runNudge(team: FeishuTeam, filing: Filing, actor: string): Promise<NudgeResult> {
  const step = await stepOnMark<NudgeMark, NudgeStep>(team.marks, nudgeKey(filing.id), (last) => nudgeStep(team, filing, actor, last));
  if (step.status !== 'claimed') return step;
  let count: number;
  try {
    count = await team.nudge!(filing, { kind: 'team' });
  } catch (error) {
    await applyMarkWrites(team.marks, step.release);
    throw error;
  }
  return nudgeSent(team, filing, step, actor, count);
}

/** A phone confirmation: decided by the flow, written once, answered by the flow. */
async function runConfirmation(team: FeishuTeam, filing: Filing, choice: ConfirmChoice, actor: string): Promise<ConfirmResult> {
  const step = await confirmStep(team, filing, choice, actor);
  if (step.status !== 'record') return step;
  const { filingId, cycle, phoneKey, confirmation } = step.write;
  return confirmationWritten(team, step, await team.people.teamConfirm(filingId, cycle, phoneKey, confirmation));
}

/** Dates each return as it happens, writing the mark the team view reads; the function returned stops it. */
export function trackReturns(team: FeishuTeam, filings: Pick<FilingSource, 'onChange'>, logger: Logger): () => void {
  let active = true;
  filings.onChange((filing, previous, event) => {
    const write = active ? returnDate(team, filing, previous, event) : undefined;
    if (write) void applyMarkWrites(team.marks, [write]).catch((error: unknown) => logger.warn('feishu: could not date a return', { filingId: filing.id, error }));
  });
  return () => {
    active = false;
  };
}

/**
 * Whether a person may use the team commands: someone of the app's own tenant (an external contact
 * writing to the bot is not), and on FEISHU_ALLOWED_USERS when it is set.
 */
export function mayUseTeam(cfg: Pick<FeishuConfig, 'allowedUsers'>, who: { openId: string; tenantKey?: string }, appTenant: string | undefined): boolean {
  if (!who.openId || !who.tenantKey || !appTenant || who.tenantKey !== appTenant) return false;
  return cfg.allowedUsers.length === 0 || cfg.allowedUsers.includes(who.openId);
}

/** What a team operation answers: a card, and whether it replaces the card whose button was pressed. */
export interface TeamAnswer {
  card: FeishuCard;
  replace: boolean;
}

/** A chooser button's value: filing, cycle, verifier index, and a prefix of that verifier's phone key. */
function parseConfirmValue(value: string): { filingId: string; cycle: number; index: number; keyPrefix: string } | undefined {
  const match = /^([A-Za-z0-9_-]{4,40}):(\d{1,6}):(\d{1,3}):([A-Za-z0-9_-]{1,22})$/.exec(value);
  if (!match) return undefined;
  return { filingId: match[1]!, cycle: Number(match[2]), index: Number(match[3]), keyPrefix: match[4]! };
}

/** The team view in one locale: `/beian` and every button. */
export class FeishuTeamViews {
  constructor(
    readonly team: FeishuTeam,
    readonly locale: Locale,
    private readonly pageSize = 10,
  ) {}

  private async find(id: string | undefined): Promise<Filing | undefined> {
    return id && FilingIdSchema.safeParse(id).success ? this.team.filings.get(id) : undefined;
  }

  /** One line of the view's wording as a card. */
  say(key: Parameters<typeof ft>[1], params?: Record<string, string | number>): FeishuCard {
    return line(ft(this.locale, key, params));
  }

  private notFound(id: string | undefined): FeishuCard {
    return this.say('notFound', { id: escapeMd((id ?? '').slice(0, 40)) });
  }

  private async summary(filing: Filing, note?: string): Promise<FeishuCard> {
    return renderSummary(this.locale, filing, await summaryOf(this.team, filing), note);
  }

  /** `/beian [help | pending | <filing id>]`. */
  async command(text: string): Promise<FeishuCard> {
    const [first] = text.trim().split(/\s+/).filter(Boolean);
    if (!first || /^(help|帮助)$/i.test(first)) return this.say('help');
    if (/^pending$/i.test(first)) return renderPendingPage(this.locale, await pendingWindows(this.team), 0, this.pageSize);
    const filing = await this.find(first);
    return filing ? this.summary(filing) : this.notFound(first);
  }

  private nudgeLine(id: string, r: NudgeResult): string {
    if (r.status === 'done') return ft(this.locale, r.count > 0 ? 'nudge.done' : 'nudge.noneLinked', { id, count: r.count });
    if (r.status === 'refused') return ft(this.locale, 'nudge.refused', { id, at: r.at, user: r.by, next: r.next });
    return r.status === 'no_service' ? ft(this.locale, 'nudge.noService') : ft(this.locale, 'nudge.nothing', { id });
  }

  /** Runs a pressed team button; an unknown action or filing answers "not found". */
  async action(action: string, value: string, user: string): Promise<TeamAnswer> {
    if (action === TEAM_ACTION.page) return { card: renderPendingPage(this.locale, await pendingWindows(this.team), Number(value) || 0, this.pageSize), replace: true };
    if (action === TEAM_ACTION.confirm) {
      const choice = parseConfirmValue(value);
      const filing = await this.find(choice?.filingId);
      if (!choice || !filing) return { card: this.notFound(choice?.filingId), replace: true };
      const result = await runConfirmation(this.team, filing, choice, user);
      const who = result.status === 'stale' ? '' : escapeMd(`${result.who.name} ${result.who.phone}`);
      const note =
        result.status === 'recorded'
          ? ft(this.locale, 'summary.recorded', { who, user, state: msg(this.locale, { key: 'state.team' }) })
          : result.status === 'already'
            ? ft(this.locale, 'confirm.already', { who })
            : ft(this.locale, 'confirm.stale');
      return { card: await this.summary(filing, note), replace: true };
    }
    const filing = await this.find(value);
    if (!filing) return { card: this.notFound(value), replace: action === TEAM_ACTION.back };
    switch (action) {
      case TEAM_ACTION.open:
        return { card: await this.summary(filing), replace: false };
      case TEAM_ACTION.back:
        return { card: await this.summary(filing), replace: true };
      case TEAM_ACTION.recovery:
        return { card: renderRecovery(this.locale, recoveryPath(this.team, filing)), replace: false };
      case TEAM_ACTION.nudge:
        return { card: line(this.nudgeLine(filing.id, await runNudge(this.team, filing, user))), replace: false };
      case TEAM_ACTION.confirmPick: {
        const choices = await confirmChoices(this.team, filing);
        const card = choices.status === 'choose' ? renderConfirmChooser(this.locale, choices.summary, choices.cycle) : await this.summary(filing, ft(this.locale, 'confirm.none', { id: filing.id }));
        return { card, replace: true };
      }
      default:
        return { card: this.notFound(value), replace: false };
    }
  }
}

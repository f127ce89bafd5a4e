/**
 * The Slack adapter's dependencies, the team flow's ports built from them (audit lines keep their
 * `slack.` names), and the writes of the team flow's steps applied to the team's marks.
 */
import type { Config } from '../../src/config.js';
import type { Clock } from '../../src/clock.js';
import type { FilingSource } from '../../src/filings/filings.port.js';
import type { Logger } from '../../src/log.js';
import type { People } from '../../src/people.js';
import type { WorkCalendar } from '../../src/rules/workday.rules.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import { applyMarkWrites, stepOnMark } from '../../src/store/marks.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { Filing } from '../../src/filings/filing.js';
import { confirmationWritten, confirmStep, nudgeKey, nudgeSent, nudgeStep, type ConfirmChoice, type ConfirmResult, type NudgeMark, type NudgeResult, type NudgeStep, type TeamDeps } from '../../flows/team.flow.js';
import { returnDate } from '../../flows/team.views.js';

/** What the Slack adapter uses, and nothing more. */
export interface SlackDeps {
  config: Pick<Config, 'slack' | 'defaultLocale' | 'platformTimeoutMs'>;
  clock: Clock;
  logger: Logger;
  /** Event de-duplication, alert marks and (under `slack:`) the team's marks. */
  store: StateStore;
  filings: FilingSource;
  people: People;
  calendar: WorkCalendar;
  /** Reaches a filing's linked pending verifiers (the reminder service); absent when it is not running. */
  nudge?: Nudger;
}

/** The team flow's ports, with the marks (under `slack:`) and the people writable for the adapter that applies the flow's writes. */
export interface SlackTeam extends TeamDeps {
  marks: StateStore;
  people: Pick<People, 'confirmations' | 'facts' | 'keyOf' | 'teamConfirm'>;
}

/** The team flow's ports over the Slack adapter's dependencies: marks under `slack:`, audit lines named `slack.*` with the Slack user id. */
export function teamDeps(deps: SlackDeps): SlackTeam {
  const { clock, calendar, filings, people, logger, nudge } = deps;
  return {
    clock,
    calendar,
    filings,
    people,
    marks: deps.store.namespace('slack'),
    ...(nudge ? { nudge } : {}),
    audit: (action, { actor, ...fields }) => logger.info('audit', { action: `slack.${action}`, ...fields, slackUser: actor }),
  };
}

/**
 * A team member's nudge: the flow decides under the filing's nudge lock and its claim is written
 * there; then the nudge goes out, and should it fail the claim is released and the error passed on.
 */
export async function runNudge(team: SlackTeam, filing: Filing, actor: string): Promise<NudgeResult> {
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

/** A team member's phone confirmation: the flow decides, the confirmation is written (once only), and the flow answers. */
export async function runConfirmation(team: SlackTeam, filing: Filing, choice: ConfirmChoice, actor: string): Promise<ConfirmResult> {
  const step = await confirmStep(team, filing, choice, actor);
  if (step.status !== 'record') return step;
  const { filingId, cycle, phoneKey, confirmation } = step.write;
  return confirmationWritten(team, step, await team.people.teamConfirm(filingId, cycle, phoneKey, confirmation));
}

/** Dates each return as it happens, writing the mark the team view returns; the unsubscribe stops it. */
export function trackReturns(team: SlackTeam, filings: Pick<FilingSource, 'onChange'>, logger: Logger): () => void {
  let active = true;
  filings.onChange((filing, previous, event) => {
    const write = active ? returnDate(team, filing, previous, event) : undefined;
    if (write) void applyMarkWrites(team.marks, [write]).catch((error: unknown) => logger.warn('slack: could not date a return', { filingId: filing.id, error }));
  });
  return () => {
    active = false;
  };
}

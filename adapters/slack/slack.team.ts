/** The Slack adapter's dependencies, and the team flow's ports built from them (audit lines keep their `slack.` names). */
import type { Config } from '../../src/config.js';
import type { Clock } from '../../src/clock.js';
import type { FilingSource } from '../../src/filings/filings.port.js';
import type { Logger } from '../../src/log.js';
import type { People } from '../../src/people.js';
import type { WorkCalendar } from '../../src/rules/workday.rules.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { TeamDeps } from '../../flows/team.flow.js';

/** What the Slack adapter uses, and nothing more. */
export interface SlackDeps {
  config: Pick<Config, 'slack' | 'defaultLocale'>;
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

/** The team flow's ports over the Slack adapter's dependencies: marks under `slack:`, audit lines named `slack.*` with the Slack user id. */
export function teamDeps(deps: SlackDeps): TeamDeps {
  const { clock, calendar, filings, people, logger, nudge } = deps;
  return {
    clock,
    calendar,
    filings,
    people,
    marks: deps.store.namespace('slack'),
    ...(nudge ? { nudge } : {}),
    audit: (action, { actor, ...fields }) => logger.info('audit', { action: `slack.${action}`, ...fields, slackUser: actor }),
    warn: (message, fields) => logger.warn(`slack: ${message}`, fields),
  };
}

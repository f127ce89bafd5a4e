/**
 * The team's alert channel on Slack (RULES R5): built before the reminder service that uses it, with
 * its own Web API client and paced outbox, so it needs neither the Bolt app nor the nudger.
 */
import type { AlertKind, TeamAlerts, UnreachableDetail } from '../../src/adapter.js';
import type { Filing } from '../../src/filings/filing.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import { recoveryPath } from '../../flows/team.flow.js';
import { summaryOf } from '../../flows/team.views.js';
import { renderAlert, type RenderContext } from './slack.render.js';
import { registerSlackSender } from './slack.sender.js';
import { teamDeps, type SlackDeps } from './slack.team.js';

/** How long an alert's once-per-cycle mark is kept: far longer than any cycle. */
const ALERT_MARK_TTL_MS = 60 * 86_400_000;

/** The running alert channel: TeamAlerts, plus a stop after which nothing more is stored. */
export interface SlackAlerts extends TeamAlerts {
  stop(): void;
}

/** Starts the alert channel on SLACK_ALERT_CHANNEL, posting through the outbox; `undefined` when none is configured. */
export function startSlackAlerts(deps: Omit<SlackDeps, 'nudge'>, outbox: Pick<Outbox, 'enqueue' | 'register'>): SlackAlerts | undefined {
  const cfg = deps.config.slack;
  const channel = cfg?.alertChannel;
  if (!cfg || !channel) return undefined;
  const { store, clock, logger } = deps;
  const team = teamDeps(deps);
  const ctx: RenderContext = { locale: deps.config.defaultLocale };
  // Rate limits come back to the outbox, which waits them out per channel (capped) instead of the client holding the call.
  registerSlackSender(outbox, cfg, deps.config.platformTimeoutMs, logger);
  let stopped = false;
  return {
    async alert(kind: AlertKind, filing: Filing, detail?: UnreachableDetail): Promise<boolean> {
      if (stopped) throw new Error('slack alerts stopped');
      const cycle = filing.cycle?.number ?? 0;
      const key = `slack:alert:${filing.id}:${cycle}:${kind}${kind === 'unreachable' && detail ? `:${detail.person}` : ''}`;
      if (!(await store.setIfAbsent(key, { at: clock.now().toISOString() }, ALERT_MARK_TTL_MS))) return false;
      try {
        const message = renderAlert(ctx, kind, filing, await summaryOf(team, filing), recoveryPath(team, filing), detail);
        const now = clock.now().valueOf();
        await outbox.enqueue([{ id: key, channel: 'slack', chatId: channel, payload: message as never, priority: 'proactive', deadline: now, meta: { filingId: filing.id, kind: `alert:${kind}` } }]);
        logger.info('slack: alert stored for posting', { kind, filingId: filing.id, cycle });
        return true;
      } catch (error) {
        // Not stored: release the mark and say so, so the scheduler retries instead of counting it as done.
        await store.delete(key);
        logger.error('slack: alert not stored', { kind, filingId: filing.id, cycle, error });
        throw error;
      }
    },
    stop: () => {
      stopped = true;
    },
  };
}

/**
 * The team's alert channel on Slack (RULES R5): built before the reminder service that uses it, with
 * its own Web API client and paced outbox, so it needs neither the Bolt app nor the nudger.
 */
import { webApi } from '@slack/bolt';
import type { AlertKind, TeamAlerts } from '../../src/adapter.js';
import type { Filing } from '../../src/filing.js';
import { recoveryPath } from '../../flows/team.flow.js';
import { summaryOf } from '../../flows/team.views.js';
import type { SlackMessage } from './slack.blocks.js';
import { toBoltLogger } from './slack.logger.js';
import { Outbox, timerPause, type Pause } from './slack.outbox.js';
import { renderAlert, type RenderContext } from './slack.render.js';
import { teamDeps, type SlackDeps } from './slack.team.js';

/** How long an alert's once-per-cycle mark is kept: far longer than any cycle. */
const ALERT_MARK_TTL_MS = 60 * 86_400_000;

/** The running alert channel: TeamAlerts, plus a stop that fails whatever is still queued. */
export interface SlackAlerts extends TeamAlerts {
  stop(): void;
}

/** The Web API client options every Slack client of this app uses (the API root tests point at a fake). */
export function slackClientOptions(apiUrl: string | undefined): webApi.WebClientOptions {
  return { retryConfig: { retries: 2 }, ...(apiUrl ? { slackApiUrl: apiUrl } : {}) };
}

/** Starts the alert channel on SLACK_ALERT_CHANNEL; `undefined` when none is configured. */
export function startSlackAlerts(deps: Omit<SlackDeps, 'nudge'>, options: { pause?: Pause } = {}): SlackAlerts | undefined {
  const cfg = deps.config.slack;
  const channel = cfg?.alertChannel;
  if (!cfg || !channel) return undefined;
  const { store, clock, logger } = deps;
  const team = teamDeps(deps);
  const ctx: RenderContext = { locale: deps.config.defaultLocale };
  const client = new webApi.WebClient(cfg.botToken, { ...slackClientOptions(cfg.apiUrl), logger: toBoltLogger(logger) });
  const outbox = new Outbox<SlackMessage>(async (to, message) => {
    await client.chat.postMessage({ channel: to, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
  }, options.pause ?? timerPause(1000));
  return {
    async alert(kind: AlertKind, filing: Filing): Promise<boolean> {
      const cycle = filing.cycle?.number ?? 0;
      const key = `slack:alert:${filing.id}:${cycle}:${kind}`;
      if (!(await store.setIfAbsent(key, { at: clock.now().toISOString() }, ALERT_MARK_TTL_MS))) return false;
      try {
        await outbox.post(channel, renderAlert(ctx, kind, filing, await summaryOf(team, filing), recoveryPath(team, filing)));
        logger.info('slack: alert posted', { kind, filingId: filing.id, cycle });
        return true;
      } catch (error) {
        // Not posted: release the mark and say so, so the scheduler retries instead of counting it as done.
        await store.delete(key);
        logger.error('slack: alert not posted', { kind, filingId: filing.id, cycle, error });
        throw error;
      }
    },
    stop: () => outbox.stop(),
  };
}

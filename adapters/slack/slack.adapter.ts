/** The Slack adapter (issue 5): the internal team's view of every filing, on Bolt, in HTTP or Socket Mode. */
import { App, LogLevel, type AllMiddlewareArgs, type SlackCommandMiddlewareArgs, type SlackEventMiddlewareArgs, type BlockAction, type ButtonAction, type Logger as BoltLogger, type RespondFn, type webApi } from '@slack/bolt';
import type { AlertKind, RunningAdapter, TeamAlerts } from '../../src/adapter.js';
import type { Core } from '../../src/core.js';
import { FilingIdSchema, type Filing } from '../../src/filing.js';
import type { Logger } from '../../src/log.js';
import type { HttpServer } from '../../src/server.js';
import { renderMsg } from '../../src/i18n/catalog.js';
import { calendarStatus } from '../../src/rules/workday.rules.js';
import { SlackAccess } from './slack.access.js';
import { st, type SlackKey } from './slack.messages.js';
import { Outbox, timerPause, type Pause } from './slack.outbox.js';
import { SharedServerReceiver } from './slack.receiver.js';
import {
  ACTION,
  escapeMrkdwn,
  renderAlert,
  renderConfirmChooser,
  renderDeniedHome,
  renderHome,
  renderHelp,
  renderLine,
  renderPendingPage,
  renderRecovery,
  renderSummary,
  type RenderContext,
  type SlackMessage,
} from './slack.render.js';
import { cycleFacts, homeData, nudgeFiling, parseConfirmValue, pendingWindows, recordConfirmation, reportedBy, summaryOf, trackReturns } from './slack.team.js';

/** Options tests use; production takes the defaults. */
export interface SlackOptions {
  /** The pause between two posts to one channel (default: 1 s on a timer). */
  pause?: Pause;
  /** Filings per page of `/beian pending` (default 10). */
  pageSize?: number;
}

/** How long an alert's once-per-cycle mark is kept: far longer than any cycle. */
const ALERT_MARK_TTL_MS = 60 * 86_400_000;

/** Adapts the core's redacting logger to the logger interface Bolt and its Web API client expect. */
export function toBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const rank: Record<LogLevel, number> = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  const at = (l: LogLevel, write: (text: string) => void) => (...msg: unknown[]) => {
    if (rank[l] >= rank[level]) write(line(msg));
  };
  return {
    debug: at(LogLevel.DEBUG, (t) => logger.debug(`bolt: ${t}`)),
    info: at(LogLevel.INFO, (t) => logger.info(`bolt: ${t}`)),
    warn: at(LogLevel.WARN, (t) => logger.warn(`bolt: ${t}`)),
    error: at(LogLevel.ERROR, (t) => logger.error(`bolt: ${t}`)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The bits of a Bolt listener's arguments a reply needs. */
interface ReplyArgs {
  respond?: RespondFn;
  body: unknown;
  client: webApi.WebClient;
}

/** A built, not yet started, Slack app. */
export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  receiver?: SharedServerReceiver;
  alerts?: TeamAlerts;
  outbox: Outbox<SlackMessage>;
  stopTracking: () => void;
}

/** Builds the Bolt app, its receiver and listeners, without any call to Slack. */
export function buildSlackApp(core: Core, server: HttpServer, options: SlackOptions = {}): SlackApp {
  const cfg = core.config.slack;
  if (!cfg) throw new Error('the Slack adapter needs SLACK_BOT_TOKEN');
  const ctx: RenderContext = { locale: core.config.defaultLocale };
  const say = (key: SlackKey, params?: Record<string, string | number>) => st(ctx.locale, key, params);
  const pageSize = options.pageSize ?? 10;
  const boltLogger = toBoltLogger(core.logger);
  const clientOptions: webApi.WebClientOptions = { retryConfig: { retries: 2 } };
  if (cfg.apiUrl) clientOptions.slackApiUrl = cfg.apiUrl;

  const socket = Boolean(cfg.appToken);
  let receiver: SharedServerReceiver | undefined;
  if (!socket) {
    if (!cfg.signingSecret) throw new Error('the Slack adapter in HTTP mode needs SLACK_SIGNING_SECRET');
    receiver = new SharedServerReceiver(server, { signingSecret: cfg.signingSecret, store: core.store, clock: core.clock, logger: core.logger, boltLogger });
  }
  const app = new App({
    // Bolt's single-token authorization without botId/botUserId runs auth.test on every request;
    // this app needs neither (it ignores message events), so it authorizes with the token alone.
    authorize: async () => ({ botToken: cfg.botToken }),
    ...(socket ? { socketMode: true, appToken: cfg.appToken } : { receiver }),
    clientOptions,
    logger: boltLogger,
    logLevel: LogLevel.INFO,
    tokenVerificationEnabled: false,
    ignoreSelf: false,
    convoStore: false,
  });

  const access = new SlackAccess(
    cfg,
    {
      authTeamId: async () => (await app.client.auth.test({ token: cfg.botToken })).team_id,
      usergroupUsers: async (usergroup) => (await app.client.usergroups.users.list({ token: cfg.botToken, usergroup })).users ?? [],
    },
    core.clock,
    core.logger,
  );

  /** Sends a reply only the person sees: through response_url when there is one, else chat.postEphemeral. */
  const reply = async (args: ReplyArgs, message: SlackMessage, replace = false): Promise<void> => {
    if (args.respond) {
      await args.respond({ response_type: 'ephemeral', replace_original: replace, text: message.text, blocks: message.blocks });
      return;
    }
    const body = args.body as { channel?: { id?: string }; channel_id?: string; user?: { id?: string }; user_id?: string };
    const channel = body.channel?.id ?? body.channel_id;
    const user = body.user?.id ?? body.user_id;
    if (channel && user) await args.client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
  };

  const guarded =
    <A extends ReplyArgs>(name: string, fn: (args: A) => Promise<void>) =>
    async (args: A): Promise<void> => {
      try {
        await fn(args);
      } catch (error) {
        core.logger.error('slack: handler failed', { handler: name, error });
        await reply(args, renderLine(say('error'))).catch(() => undefined);
      }
    };

  const findFiling = (id: string | undefined): Filing | undefined => (id && FilingIdSchema.safeParse(id).success ? core.filings.get(id) : undefined);
  const notFound = (id: string | undefined) => renderLine(say('notFound', { id: escapeMrkdwn((id ?? '').slice(0, 40)) }));
  const summaryMessage = async (filing: Filing, note?: string) => {
    const summary = await summaryOf(core, filing);
    return renderSummary(ctx, filing, summary, await cycleFacts(core, filing, summary), note);
  };
  const pendingPage = async (page: number) => renderPendingPage(ctx, await pendingWindows(core), page, pageSize);

  // Acknowledge first, within Slack's 3 s, whatever the access check or the work then costs.
  app.use(async (args) => {
    const a = args as { ack?: (response?: unknown) => Promise<void>; options?: unknown };
    if (a.ack && a.options === undefined) await a.ack();
    await args.next();
  });

  app.use(async (args) => {
    const { context } = args;
    if (await access.isAllowed(context.teamId, context.userId)) return args.next();
    core.logger.warn('slack: not authorized', { slackUser: context.userId, team: context.teamId });
    const denied = args as typeof args & { respond?: RespondFn; event?: { type?: string; user?: string } };
    if (denied.event?.type === 'app_home_opened' && denied.event.user) {
      await args.client.views.publish({ user_id: denied.event.user, view: renderDeniedHome(ctx) }).catch((error: unknown) => core.logger.warn('slack: could not publish the denied home', { error }));
      return;
    }
    await reply({ respond: denied.respond, body: args.body, client: args.client }, renderLine(say('denied'))).catch((error: unknown) => core.logger.warn('slack: could not say not authorized', { error }));
  });

  app.command(
    '/beian',
    guarded<SlackCommandMiddlewareArgs & AllMiddlewareArgs>('command', async ({ command, respond, body, client }) => {
      const [first] = command.text.trim().split(/\s+/).filter(Boolean);
      const args = { respond, body, client };
      if (!first || /^(help|帮助)$/i.test(first)) return reply(args, renderHelp(ctx, calendarStatus(core.calendar, core.clock.now())));
      if (/^pending$/i.test(first)) return reply(args, await pendingPage(0));
      const filing = findFiling(first);
      await reply(args, filing ? await summaryMessage(filing) : notFound(first));
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.open,
    guarded('beian_open', async (args) => {
      const filing = findFiling(args.action.value);
      await reply(args, filing ? await summaryMessage(filing) : notFound(args.action.value));
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.back,
    guarded('beian_back', async (args) => {
      const filing = findFiling(args.action.value);
      await reply(args, filing ? await summaryMessage(filing) : notFound(args.action.value), true);
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.page,
    guarded('beian_page', async (args) => {
      await reply(args, await pendingPage(Number(args.action.value) || 0), true);
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.recovery,
    guarded('beian_recovery', async (args) => {
      const filing = findFiling(args.action.value);
      await reply(args, filing ? renderRecovery(ctx, filing, reportedBy(core)) : notFound(args.action.value));
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.nudge,
    guarded('beian_nudge', async (args) => {
      const filing = findFiling(args.action.value);
      if (!filing) return reply(args, notFound(args.action.value));
      const result = await nudgeFiling(core, filing, args.body.user.id);
      const id = filing.id;
      const line =
        result.status === 'done'
          ? say(result.count > 0 ? 'nudge.done' : 'nudge.noneLinked', { id, count: result.count })
          : result.status === 'refused'
            ? say('nudge.refused', { id, at: result.at, user: result.by, next: result.next })
            : result.status === 'no_service'
              ? say('nudge.noService')
              : say('nudge.nothing', { id });
      await reply(args, renderLine(line));
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.confirmPick,
    guarded('beian_confirm_pick', async (args) => {
      const filing = findFiling(args.action.value);
      if (!filing) return reply(args, notFound(args.action.value));
      const summary = await summaryOf(core, filing);
      const open = filing.status === 'verifying' && filing.cycle && summary.verifiers.some((v) => v.state === 'pending');
      if (!open || !filing.cycle) return reply(args, await summaryMessage(filing, say('confirm.none', { id: filing.id })), true);
      await reply(args, renderConfirmChooser(ctx, summary, filing.cycle.number), true);
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION.confirm,
    guarded('beian_confirm_<n>', async (args) => {
      const choice = parseConfirmValue(args.action.value ?? '');
      const filing = findFiling(choice?.filingId);
      if (!choice || !filing) return reply(args, notFound(choice?.filingId), true);
      const result = await recordConfirmation(core, filing, choice, args.body.user.id);
      const who = result.status === 'stale' ? '' : `${escapeMrkdwn(result.who.name)} ${result.who.phone}`;
      const note =
        result.status === 'recorded'
          ? say('summary.recorded', { who, user: args.body.user.id, state: escapeMrkdwn(renderMsg(ctx.locale, { key: 'state.team' })) })
          : result.status === 'already'
            ? say('confirm.already', { who })
            : say('confirm.stale');
      await reply(args, await summaryMessage(filing, note), true);
    }),
  );

  app.event(
    'app_home_opened',
    guarded<SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs>('app_home_opened', async ({ event, client }) => {
      if (event.tab && event.tab !== 'home') return;
      await client.views.publish({ user_id: event.user, view: renderHome(ctx, await homeData(core)) });
    }),
  );

  app.error(async (error) => {
    core.logger.error('slack: bolt error', { error });
  });

  const outbox = new Outbox<SlackMessage>(async (channel, message) => {
    await app.client.chat.postMessage({ token: cfg.botToken, channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
  }, options.pause ?? timerPause(1000));

  const alertChannel = cfg.alertChannel;
  const alerts: TeamAlerts | undefined = alertChannel
    ? {
        async alert(kind: AlertKind, filing: Filing): Promise<boolean> {
          const cycle = filing.cycle?.number ?? 0;
          const key = `slack:alert:${filing.id}:${cycle}:${kind}`;
          if (!(await core.store.setIfAbsent(key, { at: core.clock.now().toISOString() }, ALERT_MARK_TTL_MS))) return false;
          try {
            const message = renderAlert(ctx, kind, filing, await summaryOf(core, filing), reportedBy(core));
            await outbox.post(alertChannel, message);
            core.logger.info('slack: alert posted', { kind, filingId: filing.id, cycle });
            return true;
          } catch (error) {
            // Not posted: release the mark and say so, so the scheduler retries instead of counting it as done.
            await core.store.delete(key);
            core.logger.error('slack: alert not posted', { kind, filingId: filing.id, cycle, error });
            throw error;
          }
        },
      }
    : undefined;

  return { app, mode: socket ? 'socket' : 'http', receiver, alerts, outbox, stopTracking: trackReturns(core) };
}

/** The running Slack adapter. */
export interface RunningSlack extends RunningAdapter {
  mode: 'http' | 'socket';
  /** The team's alert channel while running, when SLACK_ALERT_CHANNEL is set; main hands it to the reminders. */
  alerts?: TeamAlerts;
  /** Resolves once every HTTP request being handled is finished, listeners included (HTTP mode). */
  idle(): Promise<void>;
}

/** Starts the Slack adapter: mounts POST /slack/events (or Socket Mode) and offers the team's alerts when an alert channel is set. */
export async function startSlack(core: Core, server: HttpServer, options: SlackOptions = {}): Promise<RunningSlack> {
  const built = buildSlackApp(core, server, options);
  await built.app.start();
  let running = true;
  core.logger.info('slack adapter started', { mode: built.mode, alerts: Boolean(built.alerts) });
  const self: RunningSlack = {
    name: 'slack',
    mode: built.mode,
    alerts: built.alerts,
    idle: () => built.receiver?.idle() ?? Promise.resolve(),
    health: async () => ({ ok: running && (built.receiver?.isRunning ?? true), detail: built.mode }),
    stop: async () => {
      running = false;
      self.alerts = undefined;
      built.stopTracking();
      built.outbox.stop();
      await built.app.stop();
    },
  };
  return self;
}

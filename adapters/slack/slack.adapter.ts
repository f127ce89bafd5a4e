/** The Slack adapter (issue 5): the internal team's view of every filing, on Bolt, in HTTP or Socket Mode. It translates Bolt payloads into team-flow calls and renders their results. */
import { App, LogLevel, webApi, type AllMiddlewareArgs, type SlackCommandMiddlewareArgs, type SlackEventMiddlewareArgs, type BlockAction, type ButtonAction } from '@slack/bolt';
import type { Locale } from '../../src/activity.js';
import type { RunningAdapter } from '../../src/adapter.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import type { HttpServer } from '../../src/server.js';
import { homeData } from '../../flows/team.views.js';
import { actionTable, SlackViews, type ActionEntry } from './slack.actions.js';
import { SlackAccess } from './slack.access.js';
import { SlackLocales } from './slack.locale.js';
import { renderLine, type SlackMessage } from './slack.blocks.js';
import { toBoltLogger } from './slack.logger.js';
import { SharedServerReceiver } from './slack.receiver.js';
import { isReplyNotStored, ReplyNotStoredError, toReplyRecord } from './slack.replies.js';
import { renderDeniedHome, renderHome, type RenderContext } from './slack.render.js';
import { registerSlackSender, slackClientOptions } from './slack.sender.js';
import { teamDeps, trackReturns, type SlackDeps } from './slack.team.js';

type SlackConfig = NonNullable<SlackDeps['config']['slack']>;

/** How long a member's users.info may take before they are answered in the default locale. */
const LOCALE_LOOKUP_TIMEOUT_MS = 1_000;

export type { SlackDeps } from './slack.team.js';

/** Options tests use; production takes the defaults. */
export interface SlackOptions {
  /** Filings per page of `/beian pending` (default 10). */
  pageSize?: number;
  /** Epoch ms on the outbox's clock, for a reply's deadline and expiry (default Date.now). */
  now?(): number;
}

/** The outbox replies are stored in (and the Slack Sender registered on). */
export type SlackOutbox = Pick<Outbox, 'enqueue' | 'register'>;

/** The bits of a Bolt listener's arguments a reply needs: the request's body, and its ack when it has one (events have none). */
interface ReplyArgs {
  body: unknown;
  ack?: (response?: never) => Promise<void>;
  /** Bolt's context, where the access middleware put the member's locale. */
  context?: Record<string, unknown>;
}

/** Stores a reply in the outbox, then acknowledges the request: never the other way round. */
type Answer = (args: ReplyArgs, message: SlackMessage, replace?: boolean) => Promise<void>;

/** A built, not yet started, Slack app. */
export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  receiver?: SharedServerReceiver;
  stopTracking: () => void;
}

/**
 * Answers a request with a reply only the person sees: stored in the outbox (sent afterwards
 * through response_url, else chat.postEphemeral), and only then acknowledged. A reply the outbox
 * cannot store throws ReplyNotStoredError, and the request is answered 5xx instead of 200.
 */
function answerer(outbox: SlackOutbox, now: () => number, apiUrl: string | undefined): Answer {
  return async (args, message, replace = false) => {
    const record = toReplyRecord(args.body, message, replace, now(), apiUrl);
    if (record) {
      try {
        await outbox.enqueue([record]);
      } catch (error) {
        throw new ReplyNotStoredError(error);
      }
    }
    await args.ack?.();
  };
}

/** The Bolt app and, in HTTP mode, its receiver on the shared server; nothing is called on Slack yet. */
function createApp(deps: SlackDeps, cfg: SlackConfig, server: HttpServer): { app: App; receiver?: SharedServerReceiver; socket: boolean } {
  const { logger } = deps;
  const boltLogger = toBoltLogger(logger);
  const clientOptions = slackClientOptions(cfg.apiUrl, deps.config.platformTimeoutMs);

  const socket = Boolean(cfg.appToken);
  let receiver: SharedServerReceiver | undefined;
  if (!socket) {
    if (!cfg.signingSecret) throw new Error('the Slack adapter in HTTP mode needs SLACK_SIGNING_SECRET');
    receiver = new SharedServerReceiver(server, { signingSecret: cfg.signingSecret, store: deps.store, clock: deps.clock, logger, boltLogger });
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
  return { app, receiver, socket };
}

/** Who may use the app, asking Slack through the Bolt app's client when it must. */
function accessOf(app: App, cfg: SlackConfig, deps: SlackDeps): SlackAccess {
  const slack = {
    authTeamId: async () => (await app.client.auth.test({ token: cfg.botToken })).team_id,
    usergroupUsers: async (usergroup: string) => (await app.client.usergroups.users.list({ token: cfg.botToken, usergroup })).users ?? [],
  };
  return new SlackAccess(cfg, slack, deps.clock, deps.logger);
}

/** Members' own locales, asking Slack's users.info at first contact. */
function localesOf(cfg: SlackConfig, deps: SlackDeps): SlackLocales {
  // Its own client: the lookup sits before the 3 s ack, so a 429 or a slow Slack falls back to the
  // default at once instead of waiting out Retry-After or retrying.
  const client = new webApi.WebClient(cfg.botToken, {
    ...slackClientOptions(cfg.apiUrl, deps.config.platformTimeoutMs),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: LOCALE_LOOKUP_TIMEOUT_MS,
    logger: toBoltLogger(deps.logger),
  });
  const lookup = async (user: string) => (await client.users.info({ user, include_locale: true })).user?.locale;
  return new SlackLocales(deps.store.namespace('slack'), lookup, deps.config.defaultLocale, deps.logger);
}

/** Builds the Bolt app, its receiver and listeners, without any call to Slack; replies go through `outbox`. */
export function buildSlackApp(deps: SlackDeps, server: HttpServer, outbox: SlackOutbox, options: SlackOptions = {}): SlackApp {
  const cfg = deps.config.slack;
  if (!cfg) throw new Error('the Slack adapter needs SLACK_BOT_TOKEN');
  const { logger } = deps;
  const ctx: RenderContext = { locale: deps.config.defaultLocale };
  const team = teamDeps(deps);
  const pageSize = options.pageSize ?? 10;
  // One set of views and buttons per locale; a request picks its member's (set by the middleware below).
  const viewsIn: Record<Locale, SlackViews> = { zh: new SlackViews(team, { locale: 'zh' }, pageSize), en: new SlackViews(team, { locale: 'en' }, pageSize) };
  const tableIn: Record<Locale, ActionEntry[]> = { zh: actionTable(viewsIn.zh), en: actionTable(viewsIn.en) };
  const localeOf = (args: ReplyArgs): Locale => {
    const locale = args.context?.locale;
    return locale === 'zh' || locale === 'en' ? locale : ctx.locale;
  };
  const { app, receiver, socket } = createApp(deps, cfg, server);
  registerSlackSender(outbox, cfg, deps.config.platformTimeoutMs, logger);
  const reply = answerer(outbox, options.now ?? Date.now, cfg.apiUrl);

  const access = accessOf(app, cfg, deps);
  const locales = localesOf(cfg, deps);

  const guarded =
    <A extends ReplyArgs>(name: string, fn: (args: A) => Promise<void>) =>
    async (args: A): Promise<void> => {
      try {
        await fn(args);
      } catch (error) {
        if (isReplyNotStored(error)) throw error;
        logger.error('slack: handler failed', { handler: name, error });
        // The apology is stored under the request's id like any reply; if even it cannot be stored, the request gets a 5xx.
        await reply(args, renderLine(viewsIn[localeOf(args)].say('error')));
      }
    };

  // Commands and buttons are acknowledged by `reply`, once their answer is stored (issue 15 §2); events
  // are acknowledged by Bolt before any middleware. The access check is cached (workspace for good,
  // user group for 5 minutes), so Slack's 3 s is spent on rendering and one outbox write.
  app.use(async (args) => {
    const { context } = args;
    if (await access.isAllowed(context.teamId, context.userId)) {
      // Only members are looked up: someone refused is answered in the default locale, with no call to Slack.
      context.locale = await locales.of(context.teamId, context.userId);
      return args.next();
    }
    logger.warn('slack: not authorized', { slackUser: context.userId, team: context.teamId });
    const denied = args as typeof args & { ack?: ReplyArgs['ack']; event?: { type?: string; user?: string } };
    if (denied.event?.type === 'app_home_opened' && denied.event.user) {
      await args.client.views.publish({ user_id: denied.event.user, view: renderDeniedHome(ctx) }).catch((error: unknown) => logger.warn('slack: could not publish the denied home', { error }));
      return;
    }
    await reply({ body: args.body, ack: denied.ack }, renderLine(viewsIn[ctx.locale].say('denied')));
  });

  app.command(
    '/beian',
    guarded<SlackCommandMiddlewareArgs & AllMiddlewareArgs>('command', async (args) => {
      await reply(args, await viewsIn[localeOf(args)].command(args.command.text));
    }),
  );

  tableIn[ctx.locale].forEach((entry, index) => {
    app.action<BlockAction<ButtonAction>>(
      entry.id,
      guarded(entry.name, async (args) => {
        const answer = await tableIn[localeOf(args)][index]!.run(args.action.value, args.body.user.id);
        await reply(args, answer.message, answer.replace ?? false);
      }),
    );
  });

  app.event(
    'app_home_opened',
    guarded<SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs>('app_home_opened', async (args) => {
      const { event, client } = args;
      if (event.tab && event.tab !== 'home') return;
      await client.views.publish({ user_id: event.user, view: renderHome({ locale: localeOf(args) }, await homeData(team)) });
    }),
  );

  app.error(async (error) => {
    // Handed on to the receiver, which answers 5xx so that Slack retries the request.
    if (isReplyNotStored(error)) throw error;
    logger.error('slack: bolt error', { error });
  });

  return { app, mode: socket ? 'socket' : 'http', receiver, stopTracking: trackReturns(team, deps.filings, logger) };
}

/** The running Slack adapter. */
export interface RunningSlack extends RunningAdapter {
  mode: 'http' | 'socket';
  /** Resolves once every HTTP request being handled is finished, listeners included (HTTP mode). */
  idle(): Promise<void>;
}

/** Starts the Slack adapter: mounts POST /slack/events (or Socket Mode), its replies through `outbox`. Its alert channel is started apart (startSlackAlerts). */
export async function startSlack(deps: SlackDeps, server: HttpServer, outbox: SlackOutbox, options: SlackOptions = {}): Promise<RunningSlack> {
  const built = buildSlackApp(deps, server, outbox, options);
  await built.app.start();
  let running = true;
  deps.logger.info('slack adapter started', { mode: built.mode });
  return {
    name: 'slack',
    mode: built.mode,
    idle: () => built.receiver?.idle() ?? Promise.resolve(),
    health: async () => ({ ok: running && (built.receiver?.isRunning ?? true), detail: built.mode }),
    stop: async () => {
      running = false;
      built.stopTracking();
      await built.app.stop();
    },
  };
}

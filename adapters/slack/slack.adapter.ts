/** The Slack adapter (issue 5): the internal team's view of every filing, on Bolt, in HTTP or Socket Mode. It translates Bolt payloads into team-flow calls and renders their results. */
import { App, LogLevel, type AllMiddlewareArgs, type SlackCommandMiddlewareArgs, type SlackEventMiddlewareArgs, type BlockAction, type ButtonAction, type RespondFn, type webApi } from '@slack/bolt';
import type { RunningAdapter } from '../../src/adapter.js';
import type { HttpServer } from '../../src/server.js';
import { homeData, trackReturns } from '../../flows/team.views.js';
import { actionTable, SlackViews } from './slack.actions.js';
import { slackClientOptions } from './slack.alerts.js';
import { SlackAccess } from './slack.access.js';
import { renderLine, type SlackMessage } from './slack.blocks.js';
import { toBoltLogger } from './slack.logger.js';
import { SharedServerReceiver } from './slack.receiver.js';
import { renderDeniedHome, renderHome, type RenderContext } from './slack.render.js';
import { teamDeps, type SlackDeps } from './slack.team.js';

type SlackConfig = NonNullable<SlackDeps['config']['slack']>;

export type { SlackDeps } from './slack.team.js';

/** Options tests use; production takes the defaults. */
export interface SlackOptions {
  /** Filings per page of `/beian pending` (default 10). */
  pageSize?: number;
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
  stopTracking: () => void;
}

/** Sends a reply only the person sees: through response_url when there is one, else chat.postEphemeral. */
async function reply(args: ReplyArgs, message: SlackMessage, replace = false): Promise<void> {
  if (args.respond) {
    await args.respond({ response_type: 'ephemeral', replace_original: replace, text: message.text, blocks: message.blocks });
    return;
  }
  const body = args.body as { channel?: { id?: string }; channel_id?: string; user?: { id?: string }; user_id?: string };
  const channel = body.channel?.id ?? body.channel_id;
  const user = body.user?.id ?? body.user_id;
  if (channel && user) await args.client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
}

/** The Bolt app and, in HTTP mode, its receiver on the shared server; nothing is called on Slack yet. */
function createApp(deps: SlackDeps, cfg: SlackConfig, server: HttpServer): { app: App; receiver?: SharedServerReceiver; socket: boolean } {
  const { logger } = deps;
  const boltLogger = toBoltLogger(logger);
  const clientOptions = slackClientOptions(cfg.apiUrl);

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

/** Builds the Bolt app, its receiver and listeners, without any call to Slack. */
export function buildSlackApp(deps: SlackDeps, server: HttpServer, options: SlackOptions = {}): SlackApp {
  const cfg = deps.config.slack;
  if (!cfg) throw new Error('the Slack adapter needs SLACK_BOT_TOKEN');
  const { logger } = deps;
  const ctx: RenderContext = { locale: deps.config.defaultLocale };
  const team = teamDeps(deps);
  const views = new SlackViews(team, ctx, options.pageSize ?? 10);
  const { app, receiver, socket } = createApp(deps, cfg, server);

  const access = new SlackAccess(
    cfg,
    {
      authTeamId: async () => (await app.client.auth.test({ token: cfg.botToken })).team_id,
      usergroupUsers: async (usergroup) => (await app.client.usergroups.users.list({ token: cfg.botToken, usergroup })).users ?? [],
    },
    deps.clock,
    logger,
  );

  const guarded =
    <A extends ReplyArgs>(name: string, fn: (args: A) => Promise<void>) =>
    async (args: A): Promise<void> => {
      try {
        await fn(args);
      } catch (error) {
        logger.error('slack: handler failed', { handler: name, error });
        await reply(args, renderLine(views.say('error'))).catch(() => undefined);
      }
    };

  // Acknowledge first, within Slack's 3 s, whatever the access check or the work then costs.
  app.use(async (args) => {
    const a = args as { ack?: (response?: unknown) => Promise<void>; options?: unknown };
    if (a.ack && a.options === undefined) await a.ack();
    await args.next();
  });

  app.use(async (args) => {
    const { context } = args;
    if (await access.isAllowed(context.teamId, context.userId)) return args.next();
    logger.warn('slack: not authorized', { slackUser: context.userId, team: context.teamId });
    const denied = args as typeof args & { respond?: RespondFn; event?: { type?: string; user?: string } };
    if (denied.event?.type === 'app_home_opened' && denied.event.user) {
      await args.client.views.publish({ user_id: denied.event.user, view: renderDeniedHome(ctx) }).catch((error: unknown) => logger.warn('slack: could not publish the denied home', { error }));
      return;
    }
    await reply({ respond: denied.respond, body: args.body, client: args.client }, renderLine(views.say('denied'))).catch((error: unknown) => logger.warn('slack: could not say not authorized', { error }));
  });

  app.command(
    '/beian',
    guarded<SlackCommandMiddlewareArgs & AllMiddlewareArgs>('command', async ({ command, respond, body, client }) => {
      await reply({ respond, body, client }, await views.command(command.text));
    }),
  );

  for (const entry of actionTable(views)) {
    app.action<BlockAction<ButtonAction>>(
      entry.id,
      guarded(entry.name, async (args) => {
        const answer = await entry.run(args.action.value, args.body.user.id);
        await reply(args, answer.message, answer.replace ?? false);
      }),
    );
  }

  app.event(
    'app_home_opened',
    guarded<SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs>('app_home_opened', async ({ event, client }) => {
      if (event.tab && event.tab !== 'home') return;
      await client.views.publish({ user_id: event.user, view: renderHome(ctx, await homeData(team)) });
    }),
  );

  app.error(async (error) => {
    logger.error('slack: bolt error', { error });
  });

  return { app, mode: socket ? 'socket' : 'http', receiver, stopTracking: trackReturns(team) };
}

/** The running Slack adapter. */
export interface RunningSlack extends RunningAdapter {
  mode: 'http' | 'socket';
  /** Resolves once every HTTP request being handled is finished, listeners included (HTTP mode). */
  idle(): Promise<void>;
}

/** Starts the Slack adapter: mounts POST /slack/events (or Socket Mode). Its alert channel is started apart (startSlackAlerts). */
export async function startSlack(deps: SlackDeps, server: HttpServer, options: SlackOptions = {}): Promise<RunningSlack> {
  const built = buildSlackApp(deps, server, options);
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

/**
 * The Feishu (Lark) adapter (issue 23), over @larksuiteoapi/node-sdk: applicants write to the bot
 * and link the mobile number on their own profile; the team uses `/beian` and card buttons; events
 * come by the long connection (FEISHU_MODE=ws) or POST /feishu/events (http). This file wires the
 * parts: events (`feishu.events.ts`), the HTTP receiver, the Sender, the 'feishu' Channel and alerts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventDispatcher, LoggerLevel, WSClient } from '@larksuiteoapi/node-sdk';
import type { Activity, ConversationRef, Locale, OutgoingMessage } from '../../src/activity.js';
import type { AlertKind, RunningAdapter, TeamAlerts, UnreachableDetail } from '../../src/adapter.js';
import type { Channel, Channels, SendOptions } from '../../src/channel.js';
import type { Filing } from '../../src/filings/filing.js';
import type { Logger } from '../../src/log.js';
import type { Metrics } from '../../src/metrics.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import type { TurnOutcome } from '../../src/runner.js';
import type { HttpServer } from '../../src/server.js';
import { recoveryPath } from '../../flows/team.flow.js';
import { summaryOf } from '../../flows/team.views.js';
import { clientApi, feishuClient, sdkDomain, sdkLogger, type FeishuApi } from './feishu.api.js';
import { outgoingCard } from './feishu.cards.js';
import { DeliverAgain, eventHandlers } from './feishu.events.js';
import { mountReceiver } from './feishu.receiver.js';
import { FeishuSender, toRecords, type FeishuPayload } from './feishu.sender.js';
import { FeishuTeamViews, teamOf, trackReturns, type FeishuTeamDeps } from './feishu.team.js';
import { renderAlert } from './feishu.views.js';

/** What the Feishu adapter uses, and nothing more. */
export interface FeishuDeps extends FeishuTeamDeps {
  /** Runs one applicant turn (the turn runner with Feishu's capabilities). */
  turn(activity: Activity): Promise<TurnOutcome>;
  metrics: Metrics;
  /** Where the 'feishu' Channel is registered for reminders and nudges. */
  channels: Pick<Channels, 'add'>;
  /** Epoch ms on the outbox's clock (the system clock by default). */
  now?(): number;
}

/** The outbox replies are stored in (and the Feishu Sender registered on). */
export type FeishuOutbox = Pick<Outbox, 'enqueue' | 'register'>;

/** The running adapter, with what tests reach. */
export interface RunningFeishu extends RunningAdapter {
  mode: 'ws' | 'http';
  channel: Channel;
  /** The SDK's event dispatcher both ways in hand events to. */
  dispatcher: EventDispatcher;
}

/** How long an alert's once-per-cycle mark is kept: far longer than any cycle. */
const ALERT_MARK_TTL_MS = 60 * 86_400_000;

function configOf(deps: Pick<FeishuTeamDeps, 'config'>) {
  const cfg = deps.config.feishu;
  if (!cfg) throw new Error('the Feishu adapter needs FEISHU_APP_ID and FEISHU_APP_SECRET');
  return cfg;
}

/** Registers the Feishu Sender on the outbox; returns the API it sends through. */
function registerSender(deps: Pick<FeishuTeamDeps, 'config' | 'logger'>, outbox: Pick<Outbox, 'register'>): FeishuApi {
  const api = clientApi(feishuClient(configOf(deps), deps.logger));
  outbox.register('feishu', new FeishuSender(api, deps.logger));
  return api;
}

/** The 'feishu' Channel: proactive sends as cards, skipped for a person who turned reminders off, stored before they are sent. */
export function feishuChannel(deps: { outbox: Pick<Outbox, 'enqueue'>; people: FeishuTeamDeps['people']; metrics: Metrics; logger: Logger; now(): number }): Channel {
  return {
    id: 'feishu',
    async send(ref: ConversationRef, messages: OutgoingMessage[], opts: SendOptions = {}): Promise<void> {
      if (ref.channel !== 'feishu') throw new Error(`the feishu channel cannot send to ${ref.channel}`);
      if ((await deps.people.user('feishu', ref.userId))?.stopped) {
        deps.metrics.sends.inc({ channel: 'feishu', outcome: 'skipped' });
        deps.logger.info('feishu proactive send skipped: reminders are off', { chat: ref.conversationId });
        return;
      }
      const now = deps.now();
      const payloads = messages.map((m): FeishuPayload => ({ op: 'send', card: outgoingCard(m) }));
      await deps.outbox.enqueue(
        toRecords(payloads, {
          idPrefix: opts.id ? `fs:p:${opts.id}:${ref.conversationId}` : `fs:p:${randomUUID()}`,
          chatId: ref.conversationId,
          priority: 'proactive',
          deadline: opts.priority ?? now + 7 * 86_400_000,
          ...(opts.expiresInMs !== undefined ? { expiresAt: now + opts.expiresInMs } : {}),
          ...(opts.about ? { meta: opts.about } : {}),
        }),
      );
    },
  };
}

/** The running alert channel: TeamAlerts, plus a stop after which nothing more is stored. */
export interface FeishuAlerts extends TeamAlerts {
  stop(): void;
}

/** Starts the team's alerts on FEISHU_ALERT_CHAT_ID, posted through the outbox; `undefined` when no chat is configured. */
export function startFeishuAlerts(deps: Omit<FeishuTeamDeps, 'nudge'>, outbox: FeishuOutbox): FeishuAlerts | undefined {
  const chat = deps.config.feishu?.alertChatId;
  if (!chat) return undefined;
  const { store, clock, logger } = deps;
  const team = teamOf(deps);
  const locale = deps.config.defaultLocale;
  registerSender(deps, outbox);
  let stopped = false;
  return {
    async alert(kind: AlertKind, filing: Filing, detail?: UnreachableDetail): Promise<boolean> {
      if (stopped) throw new Error('feishu alerts stopped');
      const cycle = filing.cycle?.number ?? 0;
      const key = `feishu:alert:${filing.id}:${cycle}:${kind}${kind === 'unreachable' && detail ? `:${detail.person}` : ''}`;
      if (!(await store.setIfAbsent(key, { at: clock.now().toISOString() }, ALERT_MARK_TTL_MS))) return false;
      try {
        const payload: FeishuPayload = { op: 'send', card: renderAlert(locale, kind, filing, await summaryOf(team, filing), recoveryPath(team, filing), detail) };
        await outbox.enqueue(toRecords([payload], { idPrefix: key, chatId: chat, priority: 'proactive', deadline: clock.now().valueOf(), meta: { filingId: filing.id, kind: `alert:${kind}` } }));
        logger.info('feishu: alert stored for posting', { kind, filingId: filing.id, cycle });
        return true;
      } catch (error) {
        // Not stored: release the mark and say so, so the scheduler retries instead of counting it as done.
        await store.delete(key);
        logger.error('feishu: alert not stored', { kind, filingId: filing.id, cycle, error });
        throw error;
      }
    },
    stop: () => {
      stopped = true;
    },
  };
}

/** Starts the Feishu adapter: its Sender and Channel, then the long connection or POST /feishu/events. */
export async function startFeishu(deps: FeishuDeps, server: HttpServer, outbox: FeishuOutbox): Promise<RunningFeishu> {
  const cfg = configOf(deps);
  const log = deps.logger.child({ adapter: 'feishu' });
  const now = deps.now ?? Date.now;
  const api = registerSender(deps, outbox);
  const channel = feishuChannel({ outbox, people: deps.people, metrics: deps.metrics, logger: log, now });
  deps.channels.add(channel);
  const team = teamOf(deps);
  const views: Record<Locale, FeishuTeamViews> = { zh: new FeishuTeamViews(team, 'zh'), en: new FeishuTeamViews(team, 'en') };
  const stopTracking = trackReturns(team, deps.filings, log);
  const handlers = eventHandlers({ config: { feishu: cfg, defaultLocale: deps.config.defaultLocale }, turn: deps.turn, api, people: deps.people, store: deps.store, outbox, team: views, log, now });
  let stopped = false;
  // Each event in hand is tracked, so a stop lets it store its replies; one arriving after the stop is refused and comes again.
  const inFlight = new Set<Promise<unknown>>();
  const tracked =
    <E>(handle: (event: E) => Promise<Record<string, never>>) =>
    (event: E) => {
      if (stopped) return Promise.reject(new DeliverAgain('stopping'));
      const work = handle(event);
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return work;
    };
  const registered = { 'im.message.receive_v1': tracked(handlers['im.message.receive_v1']), 'card.action.trigger': tracked(handlers['card.action.trigger']) };
  const dispatcher = new EventDispatcher({ logger: sdkLogger(log), loggerLevel: LoggerLevel.warn }).register(registered);

  let ws: WSClient | undefined;
  let receiver: { idle(): Promise<void> } | undefined;
  if (cfg.mode === 'http') {
    if (!cfg.verificationToken || !cfg.encryptKey) throw new Error('FEISHU_MODE=http needs FEISHU_VERIFICATION_TOKEN and FEISHU_ENCRYPT_KEY');
    const secrets = { verificationToken: cfg.verificationToken, encryptKey: cfg.encryptKey };
    // The request is checked and decrypted by the receiver, so the dispatcher is told not to check again.
    receiver = mountReceiver(server, { secrets, clock: deps.clock, logger: log, isStopped: () => stopped, dispatch: (data) => dispatcher.invoke(data, { needCheck: false }) });
  } else {
    ws = new WSClient({ appId: cfg.appId, appSecret: cfg.appSecret, domain: sdkDomain(cfg.domain), logger: sdkLogger(log), loggerLevel: LoggerLevel.warn });
    await ws.start({ eventDispatcher: dispatcher });
  }
  log.info('feishu adapter started', { mode: cfg.mode });
  return {
    name: 'feishu',
    mode: cfg.mode,
    channel,
    dispatcher,
    async health() {
      if (stopped) return { ok: false, detail: 'stopped' };
      const state = ws?.getConnectionStatus().state;
      return { ok: state === undefined || state === 'connected' || state === 'connecting' || state === 'reconnecting', detail: state ? `ws ${state}` : 'http' };
    },
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      stopTracking();
      ws?.close();
      const grace = sleep(graceMs, undefined, { ref: false });
      await Promise.race([Promise.all([receiver?.idle(), Promise.allSettled([...inFlight])]), grace]);
      log.info('feishu adapter stopped');
    },
  };
}

/** The turn runner: one Activity in, rendered messages out; one turn per conversation at a time. */
import type { Activity, Capabilities, Locale, OutgoingMessage } from './activity.js';
import type { Clock } from './clock.js';
import type { FilingSource } from './filings/filings.port.js';
import { t } from './i18n/catalog.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { People, type UserRecord } from './people.js';
import type { WorkCalendar } from './rules/workday.rules.js';
import { maskPhone } from './rules/phone.rules.js';
import { renderOutgoing } from './outgoing.render.js';
import type { Nudger } from './reminders/nudge.sender.js';
import { SESSION_VERSION, type Effect, type FlowDeps, type FlowName, type Route, type SessionState, type StepResult } from './turn.types.js';
import type { StateStore } from './store/state-store.js';
import { isStoreError, type StoreError } from './store/store.errors.js';

const FLOWS: FlowName[] = ['onboarding', 'verify', 'resend', 'recovery', 'forget'];

/** What the runner needs. */
export interface RunnerDeps {
  /** The flows' router (flows/router.ts), injected so the core imports nothing above it. */
  route: Route;
  store: StateStore;
  people: People;
  filings: FilingSource;
  clock: Clock;
  calendar: WorkCalendar;
  defaultLocale: Locale;
  logger: Logger;
  metrics?: Metrics;
  nudge?: Nudger;
}

/** Whether a stored state is one this code understands. */
function isCurrent(state: unknown): state is SessionState {
  if (!state || typeof state !== 'object') return false;
  const s = state as Partial<SessionState>;
  return s.v === SESSION_VERSION && FLOWS.includes(s.flow as FlowName) && typeof s.step === 'string' && typeof s.data === 'object' && s.data !== null;
}

/**
 * What a turn came to. A platform adapter marks its input handled for `done` and `failed` (a
 * failure that would repeat on a retry), and leaves it to be delivered again for `retry`.
 */
export type TurnOutcome =
  | { status: 'done'; messages: OutgoingMessage[] }
  /** A bug or data the code cannot handle: the person gets an apology, and the input is not retried. */
  | { status: 'failed'; messages: OutgoingMessage[] }
  /** The store could not read or write: nothing counts as handled; the person is asked to try again in a minute. */
  | { status: 'retry'; messages: OutgoingMessage[]; error: StoreError };

/** Runs turns: locks the conversation, routes to the flow, applies its effects, saves its state, renders its replies. */
export class TurnRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /** Handles one activity and returns only its messages (the console, tests); see `run` for what a platform must tell apart. */
  async handle(activity: Activity, can: Capabilities): Promise<OutgoingMessage[]> {
    return (await this.run(activity, can)).messages;
  }

  /** Runs one turn for a platform that can do `can`; never throws: a failure becomes a short message to the person and a redacted log line. */
  async run(activity: Activity, can: Capabilities): Promise<TurnOutcome> {
    const started = performance.now();
    let locale: Locale = activity.locale ?? this.deps.defaultLocale;
    try {
      const out = await this.deps.store.withLock(People.conversationLock(activity.channel, activity.conversationId), async () => {
        const result = await this.turn(activity, can);
        locale = result.locale;
        return result.messages;
      });
      this.deps.metrics?.turns.inc({ channel: activity.channel, outcome: 'ok' });
      return { status: 'done', messages: out };
    } catch (error) {
      const store = isStoreError(error);
      this.deps.metrics?.turns.inc({ channel: activity.channel, outcome: store ? 'store_error' : 'error' });
      this.deps.logger.error(store ? 'turn failed: store unavailable' : 'turn failed', { channel: activity.channel, input: activity.input.type, error });
      if (isStoreError(error)) return { status: 'retry', messages: [{ text: t(locale, 'error.tryAgain'), buttons: [] }], error };
      return { status: 'failed', messages: [{ text: t(locale, 'error.sorry'), buttons: [] }] };
    } finally {
      this.deps.metrics?.turnSeconds.observe({ channel: activity.channel }, (performance.now() - started) / 1000);
    }
  }

  private async turn(activity: Activity, can: Capabilities): Promise<{ messages: OutgoingMessage[]; locale: Locale }> {
    const { people } = this.deps;
    // Every turn refreshes the record's expiry (retention) and keeps the platform's language from first
    // contact: notices and reminders come later, with no Activity to read it from.
    // Read together: on Redis the session's read rides in the same round trip as the user's (auto-pipelining).
    const [user, stored] = await Promise.all([people.touch(activity.channel, activity.userId, this.deps.clock.now().toDate(), activity.locale), people.session<unknown>(activity.channel, activity.conversationId)]);
    const restarted = stored !== undefined && !isCurrent(stored);
    const session = isCurrent(stored) ? stored : undefined;
    const deps = this.flowDeps(activity, can, user);
    const result: StepResult = await this.deps.route({ activity, session }, deps);

    let locale = deps.me.locale;
    for (const effect of result.effects ?? []) locale = (await this.apply(effect, activity, user, deps)) ?? locale;
    const forgotten = result.effects?.some((e) => e.type === 'forget');
    if (!forgotten) {
      if (result.status === 'waiting') {
        await people.saveSession(activity.channel, activity.conversationId, result.state);
        await this.rememberConversation(activity);
      } else if (result.status === 'done' || restarted) await people.saveSession(activity.channel, activity.conversationId, undefined);
      // Reminders follow a person to the private chat they last used, never into a group (R8).
      if (user?.phoneKey && !activity.shared && user.ref?.conversationId !== activity.conversationId)
        await people.updateUser(activity.channel, activity.userId, (u) => ({ ...u, ref: { channel: activity.channel, userId: activity.userId, conversationId: activity.conversationId } }));
    }
    const replies = restarted ? [{ lines: [{ key: 'error.restarted' }] }, ...result.replies] : result.replies;
    return { messages: replies.map((r) => renderOutgoing(r, locale)), locale };
  }

  private flowDeps(activity: Activity, can: Capabilities, user: UserRecord | undefined): FlowDeps {
    const { people, clock, calendar, filings } = this.deps;
    return {
      clock,
      calendar,
      me: {
        can,
        locale: user?.locale ?? activity.locale ?? this.deps.defaultLocale,
        phoneKey: user?.phoneKey,
        phoneMasked: user?.phoneMasked,
        stopped: user?.stopped ?? false,
      },
      keyOf: people.keyOf,
      filing: (id) => filings.get(id),
      filingsByKey: (key) => filings.byPhoneKey(key),
      confirmations: (filing) => people.confirmations(filing),
      myFacts: async (filing) => {
        if (!user?.phoneKey || !filing.cycle) return { resends: 0, wrong: 0 };
        const facts = await people.facts(user.phoneKey, filing.id, filing.cycle.number);
        return { resends: facts.resends ?? 0, wrong: facts.wrong ?? 0, selfReportedAt: facts.self };
      },
      linkedCount: async (phones) => {
        let count = 0;
        for (const phone of phones) if ((await people.reachable(phone)).length > 0) count += 1;
        return count;
      },
    };
  }

  /** Applies one effect; returns the new locale when the effect changes it. */
  private async apply(effect: Effect, activity: Activity, user: UserRecord | undefined, deps: FlowDeps): Promise<Locale | undefined> {
    const { people, clock } = this.deps;
    const ref = { channel: activity.channel, userId: activity.userId, conversationId: activity.conversationId };
    switch (effect.type) {
      case 'link':
        await people.link(ref, effect.phone, maskPhone(effect.phone));
        return undefined;
      case 'setLocale':
        await people.updateUser(activity.channel, activity.userId, (u) => ({ ...u, locale: effect.locale }));
        return effect.locale;
      case 'setStopped':
        await people.setStopped(activity.channel, activity.userId, effect.stopped);
        return undefined;
      case 'count':
        if (user?.phoneKey) await people.count(user.phoneKey, effect.filingId, effect.cycle, effect.counter);
        return undefined;
      case 'selfReport':
        if (user?.phoneKey) await people.selfReport(user.phoneKey, effect.filingId, effect.cycle, clock.now().toISOString());
        return undefined;
      case 'remindOthers': {
        const filing = await this.deps.filings.get(effect.filingId);
        if (filing && this.deps.nudge) await this.deps.nudge(filing, { excludeKey: deps.me.phoneKey, kind: 'other' });
        return undefined;
      }
      case 'forget':
        await people.forget(activity.channel, activity.userId);
        return undefined;
    }
  }

  private async rememberConversation(activity: Activity): Promise<void> {
    const user = await this.deps.people.user(activity.channel, activity.userId);
    if (user?.conversations?.includes(activity.conversationId)) return;
    await this.deps.people.updateUser(activity.channel, activity.userId, (u) => ({ ...u, conversations: [...(u.conversations ?? []), activity.conversationId].slice(-20) }));
  }
}

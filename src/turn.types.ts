/** What every flow step sees (FlowDeps) and returns (StepResult): pure data, all I/O through deps. */
import type { Activity, Capabilities, Locale, Reply } from './activity.js';
import type { Clock } from './clock.js';
import type { Filing } from './filings/filing.js';
import type { ExtraConfirmations } from './rules/cycle.rules.js';
import type { WorkCalendar } from './rules/workday.rules.js';

/** The version of the stored flow state; a stored state with another version restarts its flow. */
export const SESSION_VERSION = 2;

/** The names of the flows that keep state between turns. */
export type FlowName = 'onboarding' | 'verify' | 'resend' | 'recovery' | 'forget';

/** A flow's stored state: versioned and explicit. */
export interface SessionState {
  v: number;
  flow: FlowName;
  step: string;
  data: { filingId?: string; cycle?: number; path?: string[] };
}

/** The person in this turn, read-only. */
export interface Me {
  /** What the platform this person is on can do. */
  can: Capabilities;
  locale: Locale;
  /** The opaque key of the linked phone, if linked. */
  phoneKey?: string;
  /** The linked phone, masked (R8), for display. */
  phoneMasked?: string;
  /** Reminders switched off with /stop. */
  stopped: boolean;
}

/** What this person has told us about one filing's current cycle. */
export interface MyCycleFacts {
  resends: number;
  wrong: number;
  selfReportedAt?: string;
}

/** Everything a step may read. Writes are returned as effects. */
export interface FlowDeps {
  clock: Clock;
  me: Me;
  calendar: WorkCalendar;
  /** The opaque key of a phone, to compare with `me.phoneKey`. */
  keyOf(phone: string): string;
  /** A filing by id, whoever may see it; flows check visibility with `visibleFiling`. */
  filing(id: string): Promise<Filing | undefined>;
  /** Filings naming the phone with this key (principal or emergency contact). */
  filingsByKey(phoneKey: string): Promise<Filing[]>;
  /** Team confirmations and self-reports for the filing's current cycle, by phone. */
  confirmations(filing: Filing): Promise<ExtraConfirmations>;
  /** This person's counters for the filing's current cycle. */
  myFacts(filing: Filing): Promise<MyCycleFacts>;
  /** How many of these phones have a linked person who has not switched reminders off. */
  linkedCount(phones: string[]): Promise<number>;
}

/** A change to stored state that a step asks for; the runner applies it after the step succeeds. */
export type Effect =
  | { type: 'link'; phone: string }
  | { type: 'setLocale'; locale: Locale }
  | { type: 'setStopped'; stopped: boolean }
  | { type: 'count'; counter: 'resends' | 'wrong'; filingId: string; cycle: number }
  | { type: 'selfReport'; filingId: string; cycle: number }
  | { type: 'remindOthers'; filingId: string; cycle: number }
  | { type: 'forget' };

/** What a step returns: keep waiting in a state, end the flow, or leave the stored state as it was. */
export type StepResult =
  | { status: 'waiting'; state: SessionState; replies: Reply[]; effects?: Effect[] }
  | { status: 'done'; replies: Reply[]; effects?: Effect[] }
  | { status: 'keep'; replies: Reply[]; effects?: Effect[] };

/** The router: one turn's input, with the stored state, to the step that handles it (injected into the runner). */
export type Route = (input: TurnInput, deps: FlowDeps) => Promise<StepResult>;

/** A turn's input with the stored state it meets. */
export interface TurnInput {
  activity: Activity;
  session: SessionState | undefined;
}

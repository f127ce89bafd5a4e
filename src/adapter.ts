/** What a running adapter or service exposes to the process: health and an orderly stop. */
import type { Filing } from './filing.js';

/** A running adapter (telegram, slack) or service (reminders). */
export interface RunningAdapter {
  name: string;
  /** Whether it can do its work now (for /healthz). */
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Ends intake at once, then sends what it holds for at most `graceMs` (its own default when not given). */
  stop(graceMs?: number): Promise<void>;
}

/** Kinds of alert for the internal team (RULES R5). */
export type AlertKind = 'at_risk' | 'window_closed' | 'returned';

/** The internal team's alert channel; the Slack adapter implements it. */
export interface TeamAlerts {
  /**
   * Posts an alert at most once per filing, per cycle, per kind: true when this call posted it,
   * false when it was posted before; rejects when it could not be posted (so the caller retries).
   */
  alert(kind: AlertKind, filing: Filing): Promise<boolean>;
}

/** What a running adapter or service exposes to the process: health and an orderly stop. */
import type { Filing } from './filings/filing.js';

/** A running adapter (telegram, slack) or service (reminders). */
export interface RunningAdapter {
  name: string;
  /** Whether it can do its work now (for /healthz). */
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Ends intake at once, then sends what it holds for at most `graceMs` (its own default when not given). */
  stop(graceMs?: number): Promise<void>;
}

/** Kinds of alert for the internal team (RULES R5); `unreachable`: a person with an open window cannot be sent to (issue 15). */
export type AlertKind = 'at_risk' | 'window_closed' | 'returned' | 'unreachable';

/** What an `unreachable` alert says besides the filing: who (masked, R8), on which platform, for how long, and why. */
export interface UnreachableDetail {
  person: string;
  platform: string;
  minutes: number;
  reason: string;
}

/** The internal team's alert channel; each staff platform (Slack, Feishu) implements it. */
export interface TeamAlerts {
  /**
   * Stores an alert for the team's channel at most once per filing, per cycle, per kind (and per
   * person for `unreachable`): true when this call stored it, false when it was before; rejects
   * when it could not be stored (so the caller retries).
   */
  alert(kind: AlertKind, filing: Filing, detail?: UnreachableDetail): Promise<boolean>;
}

/** Team alerts that can be stopped (no more is stored after `stop`). */
export interface StoppableAlerts extends TeamAlerts {
  stop(): void;
}

/**
 * One alert channel over several (the team on Slack and on Feishu): each is told, and the alert
 * counts as stored when any of them stored it; it rejects only when one of them could not store it,
 * so the caller retries and the others, already marked, store nothing twice. `undefined` for none.
 */
export function combineAlerts(channels: Array<StoppableAlerts | undefined>): StoppableAlerts | undefined {
  const running = channels.filter((c): c is StoppableAlerts => c !== undefined);
  if (running.length <= 1) return running[0];
  return {
    async alert(kind, filing, detail) {
      const results = await Promise.allSettled(running.map((c) => c.alert(kind, filing, detail)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return results.some((r) => r.status === 'fulfilled' && r.value);
    },
    stop: () => {
      for (const c of running) c.stop();
    },
  };
}

/**
 * Nudges: "please verify" to a filing's linked, pending verifiers, asked for by another verifier
 * (the runner's "remind them") or by the team (Slack's nudge). Built before the runner, which it serves.
 */
import type { Clock } from '../clock.js';
import type { Filing } from '../filings/filing.js';
import type { People } from '../people.js';
import { cycleState } from '../rules/cycle.rules.js';
import { nudgeReply } from './reminders.messages.js';
import { sendToUser, type UserSenderDeps } from './user.sender.js';

/** Sends "please verify" to the linked, pending verifiers of a filing except `excludeKey`; resolves with how many were reached. */
export type Nudger = (filing: Filing, opts: { excludeKey?: string; kind: 'other' | 'team' }) => Promise<number>;

/** What a nudge reads and sends through. */
export interface NudgerDeps extends UserSenderDeps {
  clock: Clock;
  people: People;
}

/** Builds the Nudger over people, channels and the clock; it uses the reminder replies and honours /stop (reachable only). */
export function createNudger(deps: NudgerDeps): Nudger {
  return async (filing, opts) => {
    const now = deps.clock.now();
    const state = cycleState(filing, now, await deps.people.confirmations(filing));
    if (!state?.open) return 0;
    const reply = nudgeReply(filing, opts.kind, state.deadline, now);
    let reached = 0;
    for (const verifier of state.pending) {
      if (opts.excludeKey && deps.people.keyOf(verifier.phone) === opts.excludeKey) continue;
      const users = await deps.people.reachable(verifier.phone);
      const results = await Promise.allSettled(users.map((u) => sendToUser(deps, u, reply, state.deadline.valueOf(), { filingId: filing.id, kind: `nudge:${opts.kind}` })));
      if (results.some((r) => r.status === 'fulfilled' && r.value)) reached += 1;
    }
    return reached;
  };
}

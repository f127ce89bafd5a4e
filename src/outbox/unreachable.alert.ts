/**
 * The team alert for a person the outbox cannot reach (issue 15 §4): when sends to a chat have
 * failed for longer than the cap, and the person behind it has a verification window open, the
 * team is told which filing and who (masked), so someone can phone them.
 */
import type { TeamAlerts } from '../adapter.js';
import type { Clock } from '../clock.js';
import type { Filing } from '../filings/filing.js';
import type { FilingSource } from '../filings/filings.port.js';
import type { Logger } from '../log.js';
import type { People } from '../people.js';
import { cycleState } from '../rules/cycle.rules.js';
import type { Unreachable } from './outbox.dispatcher.js';
import type { UnreachableHandler } from './outbox.service.js';

/** What the alert reads: who is behind a chat, their filings, the time, and the team's channel. */
export interface UnreachableAlertDeps {
  people: Pick<People, 'user'>;
  filings: Pick<FilingSource, 'get' | 'byPhoneKey'>;
  clock: Clock;
  teamAlerts?: TeamAlerts;
  logger: Logger;
}

/** Builds the handler the outbox calls once per message that stayed unreachable past the cap. */
export function unreachableAlerter(deps: UnreachableAlertDeps): UnreachableHandler {
  return async (info: Unreachable) => {
    const alerts = deps.teamAlerts;
    // A team alert that cannot be posted is not about a person; the error log already says it.
    if (!alerts || info.channel === 'slack' || info.channel === 'console') return;
    // A private chat's id is its person's on Telegram, so the chat names the person.
    const user = await deps.people.user(info.channel, info.chatId);
    const person = info.meta?.person ?? user?.phoneMasked;
    if (!person) return;
    const named = info.meta?.filingId ? await deps.filings.get(info.meta.filingId) : undefined;
    const candidates: Filing[] = named ? [named] : user?.phoneKey ? await deps.filings.byPhoneKey(user.phoneKey) : [];
    const now = deps.clock.now();
    const open = candidates.filter((f) => cycleState(f, now)?.open);
    const detail = { person, platform: info.channel, minutes: Math.max(1, Math.round(info.failingForMs / 60_000)), reason: info.lastError };
    for (const filing of open) {
      if (await alerts.alert('unreachable', filing, detail)) deps.logger.warn('team alerted: a person with an open window cannot be reached', { filingId: filing.id, channel: info.channel });
    }
  };
}

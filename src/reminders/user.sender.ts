/** The one way reminders and nudges reach a linked person: their platform's channel, in their locale. */
import type { ConversationRef, Locale, Reply } from '../activity.js';
import type { Channels } from '../channel.js';
import type { Clock } from '../clock.js';
import { renderOutgoing } from '../outgoing.render.js';
import type { UserRecord } from '../people.js';

/** A linked person who can be reached: their record with the conversation reminders go to. */
export type Reachable = UserRecord & { ref: ConversationRef };

/** What sending to a person needs: the running channels, the locale for people who chose none, and the clock deadlines are read on. */
export interface UserSenderDeps {
  channels: Channels;
  defaultLocale: Locale;
  clock: Clock;
}

/** What a proactive message is about: its filing, its kind, and the stable id of what caused it (a reminder's marker key). */
export interface SendAbout {
  filingId: string;
  kind: string;
  /** Repeating a send with the same id stores nothing new (a retried reminder tick). */
  id?: string;
}

/**
 * Stores a reply for one linked person in their locale, in the outbox of their platform; false when
 * that platform is not running here. `priority` is the deadline it serves: it is dropped unsent after
 * it (never anything to an applicant after the deadline), and it ranks the message (EDF).
 */
export async function sendToUser(deps: UserSenderDeps, user: Reachable, reply: Reply, priority: number, about?: SendAbout): Promise<boolean> {
  const channel = deps.channels.get(user.ref.channel);
  if (!channel) return false;
  const locale: Locale = user.locale ?? deps.defaultLocale;
  await channel.send(user.ref, [renderOutgoing(reply, locale)], {
    priority,
    expiresInMs: priority - deps.clock.now().valueOf(),
    ...(about?.id ? { id: about.id } : {}),
    ...(about ? { about: { filingId: about.filingId, kind: about.kind, ...(user.phoneMasked ? { person: user.phoneMasked } : {}) } } : {}),
  });
  return true;
}

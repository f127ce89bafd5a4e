/** The one way reminders and nudges reach a linked person: their platform's channel, in their locale. */
import type { ConversationRef, Locale, Reply } from '../activity.js';
import type { Channels } from '../channel.js';
import { renderOutgoing } from '../outgoing.render.js';
import type { UserRecord } from '../people.js';

/** A linked person who can be reached: their record with the conversation reminders go to. */
export type Reachable = UserRecord & { ref: ConversationRef };

/** What sending to a person needs: the running channels and the locale for people who chose none. */
export interface UserSenderDeps {
  channels: Channels;
  defaultLocale: Locale;
}

/** Sends a reply to one linked person in their locale; false when their platform is not running here. */
export async function sendToUser(deps: UserSenderDeps, user: Reachable, reply: Reply, priority: number): Promise<boolean> {
  const channel = deps.channels.get(user.ref.channel);
  if (!channel) return false;
  const locale: Locale = user.locale ?? deps.defaultLocale;
  await channel.send(user.ref, [renderOutgoing(reply, locale)], { priority });
  return true;
}

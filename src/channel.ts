/** The Channel port: how the core reaches a person on a platform without them writing first. */
import type { ChannelId, ConversationRef, OutgoingMessage } from './activity.js';

/** A platform the core can send to (reminders, nudges, alerts to a person). */
export interface Channel {
  readonly id: ChannelId;
  /** Sends messages to a conversation, through the platform's paced outbox. */
  send(ref: ConversationRef, messages: OutgoingMessage[], opts?: { priority?: number }): Promise<void>;
}

/** The channels that are running, by id. */
export class Channels {
  private readonly byId = new Map<ChannelId, Channel>();

  /** Registers a running channel. */
  add(channel: Channel): void {
    this.byId.set(channel.id, channel);
  }

  /** The channel with this id, if running. */
  get(id: ChannelId): Channel | undefined {
    return this.byId.get(id);
  }

  /** Every running channel. */
  all(): Channel[] {
    return [...this.byId.values()];
  }
}

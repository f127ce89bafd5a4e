/** The Channel port: how the core reaches a person on a platform without them writing first. */
import type { ChannelId, ConversationRef, OutgoingMessage } from './activity.js';

/** How a proactive send is stored and ranked in the outbox. */
export interface SendOptions {
  /** Epoch ms of the deadline the message serves: the earliest goes first (EDF). */
  priority?: number;
  /** A stable id of what caused the send (a reminder's marker key), so repeating the send stores nothing new. */
  id?: string;
  /**
   * How long from now the message stays useful (a reminder until its deadline): dropped unsent after
   * that and counted. Relative, so a domain clock that is not the wall clock (tests, a demo) still works.
   */
  expiresInMs?: number;
  /** What the team alert names when this person cannot be reached: the filing, and the person masked (R8). */
  about?: { filingId?: string; person?: string; kind?: string };
}

/** A platform the core can send to (reminders, nudges, alerts to a person). */
export interface Channel {
  readonly id: ChannelId;
  /**
   * Stores messages for a conversation in the durable outbox, which sends them paced; resolves once
   * they are stored (not yet sent), rejects when they could not be.
   */
  send(ref: ConversationRef, messages: OutgoingMessage[], opts?: SendOptions): Promise<void>;
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

/** The one normalized shape every platform speaks: Activity in, OutgoingMessage out, ConversationRef to reach a person later. */

/** Reply languages. */
export type Locale = 'zh' | 'en';
/** The platform an activity came from or a message goes to (`telegram`, `slack`, `feishu`, `console`): each adapter names its own. */
export type ChannelId = string;

/** Enough to reach a person later without them writing first (reminders, nudges). */
export interface ConversationRef {
  channel: ChannelId;
  userId: string;
  conversationId: string;
}

/**
 * What a platform can do, declared by its adapter and handed to the runner with each Activity.
 * Flows branch on these, never on a platform's name.
 */
export interface Capabilities {
  /** It can show a button that shares the person's own phone contact (Telegram's request_contact). */
  canRequestContact: boolean;
  /** It can delete a message the person sent (the code guard, R8). */
  canDeleteMessages: boolean;
  /** A typed `/link <phone>` may link a phone: only a local, trusted demo (CONTRACT §4). */
  canLinkByCommand: boolean;
}

/** What the person did: typed text, pressed a button, or shared a contact. */
export type ActivityInput = { type: 'text'; text: string } | { type: 'action'; data: string } | { type: 'contact'; phone: string; isOwn: boolean };

/** One incoming event from any platform, after the adapter translated it. */
export interface Activity {
  channel: ChannelId;
  userId: string;
  conversationId: string;
  /** The platform's language hint, if any. */
  locale?: Locale;
  /** The platform's id of the incoming message, so a reply can ask to delete it. */
  messageId?: string;
  /** The conversation is seen by others (a group chat): filings are never shown there (R8). */
  shared?: boolean;
  input: ActivityInput;
}

/** A message parameter: a value, a nested message, or a list of messages (joined per locale). */
export type MsgParam = string | number | Msg | Msg[];

/** A message reference: a catalog key with parameters, or text that is already final. */
export type Msg = { key: string; params?: Record<string, MsgParam> } | { raw: string };

/** A button that sends its compact data back when pressed (at most 64 bytes, see buttons.codec.ts). */
export interface ActionButton<L = Msg> {
  label: L;
  data: string;
}

/** A button that opens a web page and sends nothing back. */
export interface LinkButton<L = Msg> {
  label: L;
  url: string;
}

/** A button: one to press, or one that opens a web page. */
export type Button<L = Msg> = ActionButton<L> | LinkButton<L>;

/** Whether a button opens a web page instead of sending data back. */
export function isLinkButton<L>(button: Button<L>): button is LinkButton<L> {
  return 'url' in button;
}

/** A reply as a flow writes it: lines of messages, buttons in rows, and requests to the platform. */
export interface Reply {
  lines: Msg[];
  buttons?: Button[][];
  /** Ask the person to share their own phone contact (Telegram's request_contact keyboard). */
  requestContact?: boolean;
  /** Ask the platform to delete the incoming message (the code guard, RULES R8). */
  deleteIncoming?: boolean;
}

/** A reply rendered in one locale: what adapters turn into platform messages. Text is plain; adapters escape it. */
export interface OutgoingMessage {
  text: string;
  buttons: Button<string>[][];
  /** Label for a "share my phone" button, when the flow asks for a contact. */
  requestContact?: string;
  deleteIncoming?: boolean;
}

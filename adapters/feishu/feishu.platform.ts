/** What the composition root needs before the Feishu adapter loads: what Feishu can do, and its sending limits. Kept apart so the SDK loads only when Feishu is configured. */
import type { Capabilities } from '../../src/activity.js';
import type { ChannelLimits } from '../../src/outbox/rate.limiter.js';

/** What Feishu can do: link the number on the person's own profile (a button, like Telegram's contact); it cannot delete their messages. */
export const FEISHU_CAPABILITIES: Capabilities = { canRequestContact: true, canDeleteMessages: false, canLinkByCommand: false };

/**
 * Sending a message is limited per app to 1000 a minute and 50 a second, and to 5 a second to one
 * person or one group (shared by the bots in it): 16 a second keeps under both app limits, 4 a
 * second per chat under the chat's.
 */
export const FEISHU_LIMITS: ChannelLimits = { global: { max: 16, windowMs: 1000 }, perChat: { max: 4, windowMs: 1000 } };

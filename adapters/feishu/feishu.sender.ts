/** Feishu's side of the durable outbox: the stored payloads (a card to a chat, a reply, an update in place) and the Sender that delivers them. */
import type { Logger } from '../../src/log.js';
import { toOutboxRecords, type JsonValue, type NewOutboxMessage, type OutboxBatch, type Sender, type SendResult } from '../../src/outbox/outbox.types.js';
import { toFeishuResult, type FeishuApi } from './feishu.api.js';
import type { FeishuCard } from './feishu.cards.js';

/** A stored Feishu call; the outbox's chat id is always the chat, so pacing and order are per chat. */
export type FeishuPayload = { op: 'send'; card: FeishuCard } | { op: 'reply'; messageId: string; card: FeishuCard } | { op: 'update'; messageId: string; card: FeishuCard };

/** The outbox records of payloads for one chat, in order. */
export function toRecords(payloads: FeishuPayload[], o: OutboxBatch): NewOutboxMessage[] {
  return toOutboxRecords(
    'feishu',
    payloads.map((payload, i) => [String(i), payload] as const),
    o,
  );
}

/** The Sender the outbox drains Feishu messages through. */
export class FeishuSender implements Sender {
  constructor(
    private readonly api: Pick<FeishuApi, 'send' | 'reply' | 'update'>,
    private readonly log: Logger,
  ) {}

  async send(chatId: string, stored: JsonValue): Promise<SendResult> {
    const p = stored as unknown as FeishuPayload;
    try {
      if (p.op === 'reply') await this.api.reply(p.messageId, p.card);
      else if (p.op === 'update') await this.api.update(p.messageId, p.card);
      else await this.api.send(chatId, p.card);
      return { kind: 'ok' };
    } catch (error) {
      const result = toFeishuResult(error);
      // Not `code`: the logger redacts any field named like one (SMS codes).
      this.log.warn(result.kind === 'retry-after' ? 'feishu rate limited; waiting for the reset' : 'feishu send failed', { chat: chatId, op: p.op, outcome: result.kind, error: result.error });
      return result;
    }
  }
}

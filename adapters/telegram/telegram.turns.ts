/**
 * One Telegram update in, one turn out, its replies stored in the durable outbox, and only then
 * the update marked handled. Order within a chat is kept by the runner's per-conversation lock
 * alone: every update takes the same steps up to the turn, whose lock is first-come first-served.
 */
import type { Telegram } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Activity } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import type { Outbox } from '../../src/outbox/outbox.service.js';
import { OutboxInputError, OutboxPrivacyError, type NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import type { TurnOutcome } from '../../src/runner.js';
import type { StateStore } from '../../src/store/state-store.js';
import type { OptionalCall } from './telegram.channel.js';
import { toOutboxMessages, type TgPayload } from './telegram.sender.js';
import { toActivity } from './telegram.translate.js';

const UPDATE_TTL_MS = 24 * 3_600_000;
/** How long a callback answer may wait for a slot in the bot's budget; the app shows a spinner on the button until then. */
const CALLBACK_ANSWER_WAIT_MS = 3000;
/** How long a reply may take before the chat shows "typing" (sooner would spend a call on most replies). */
export const TYPING_AFTER_MS = 1000;
/**
 * How long one instance's claim on an update holds: longer than any turn, short enough that an
 * update whose instance died mid-turn is taken by another at Telegram's next retry.
 */
export const HANDLING_TTL_MS = 30_000;

/**
 * What became of one update. `retry`: its replies (or its turn's writes) could not be stored, so it
 * is not marked handled; polling does not confirm its offset and a webhook answers 5xx, so Telegram
 * delivers it again.
 */
export type UpdateOutcome = { status: 'handled' | 'ignored' | 'duplicate' | 'failed' } | { status: 'retry'; reason: string };

/** What handling an update needs. */
export interface TurnDeps {
  /** Runs one turn; calls for one conversation run one at a time, in the order they were made. */
  turn(activity: Activity): Promise<TurnOutcome>;
  /** Where each handled update_id is remembered, and claimed while one instance handles it. */
  store: Pick<StateStore, 'get' | 'set' | 'setIfAbsent' | 'delete'>;
  /** Stores the replies, and paces the calls that are no stored message (callback answers, "typing") within the bot's budget. */
  outbox: Pick<Outbox, 'enqueue' | 'paced' | 'pending'>;
  telegram: Pick<Telegram, 'answerCbQuery' | 'sendChatAction'>;
  /** How long a text message's reply may take before the chat shows "typing". */
  typingAfterMs: number;
  botId: number;
  log: Logger;
  optional: OptionalCall;
  /** Epoch ms (a reply's deadline is its arrival, so replies keep their order). */
  now(): number;
}

/**
 * Shows "typing" in a chat whose reply is not out `typingAfterMs` after its message came in: never
 * for a prompt reply, and only in a slot of the bot's budget no stored message waits for. `replyIs`
 * names the reply once the turn made it (none: nothing is coming, so nothing shows).
 */
function watchForSlowReply(chatId: string, deps: TurnDeps): { replyIs(id: string | undefined): void } {
  let turnDone = false;
  let replyId: string | undefined;
  const timer = setTimeout(() => {
    void deps.optional('sendChatAction', async () => {
      // A stored reply that is no longer pending went out (or was given up): "typing" would come after it.
      if (turnDone && (replyId === undefined || !(await deps.outbox.pending(replyId)))) return;
      await deps.outbox.paced('telegram', chatId, () => deps.telegram.sendChatAction(chatId, 'typing'), { waitMs: 0, spareOnly: true });
    });
  }, deps.typingAfterMs);
  timer.unref();
  return {
    replyIs(id) {
      turnDone = true;
      replyId = id;
      if (id === undefined) clearTimeout(timer);
    },
  };
}

/** A turn's result ready to store: its outbox records, and what the update comes to once they are stored. */
type Prepared = { records: NewOutboxMessage[]; outcome: UpdateOutcome };

/** Translates an update and runs its turn (the deletion of a code-like message goes first among its records). */
async function runTurn(update: Update, deps: TurnDeps): Promise<Prepared> {
  const { log, optional, telegram } = deps;
  if ('callback_query' in update) {
    const query = update.callback_query;
    void optional('answerCallbackQuery', () => deps.outbox.paced('telegram', String(query.from.id), () => telegram.answerCbQuery(query.id), { waitMs: CALLBACK_ANSWER_WAIT_MS }));
  }
  const activity = toActivity(update);
  if (!activity) {
    log.debug('telegram update ignored', { updateId: update.update_id, kind: Object.keys(update).filter((k) => k !== 'update_id')[0] });
    return { records: [], outcome: { status: 'ignored' } };
  }
  const chatId = activity.conversationId;
  const slow = activity.input.type === 'text' ? watchForSlowReply(chatId, deps) : undefined;
  let turn: TurnOutcome;
  try {
    turn = await deps.turn(activity);
  } catch (error) {
    slow?.replyIs(undefined);
    throw error;
  }
  const deleteMessageId = turn.messages.some((m) => m.deleteIncoming) && activity.messageId ? Number(activity.messageId) : undefined;
  const { records, dropped } = toOutboxMessages(turn.messages, {
    // Ids from the update_id: a replay stores nothing new. The try-again note has its own, so it goes out once however often the store fails.
    idPrefix: `tg:${deps.botId}:u${update.update_id}${turn.status === 'retry' ? ':retry' : ''}`,
    chatId,
    priority: 'interactive',
    deadline: deps.now(),
    privateChat: !activity.shared,
    removeKeyboard: activity.input.type === 'contact',
    deleteMessageId,
  });
  if (dropped > 0) log.error('telegram dropped buttons whose callback_data is over 64 bytes', { count: dropped });
  slow?.replyIs(records.find((r) => (r.payload as unknown as TgPayload).op === 'send')?.id);
  if (turn.status === 'retry') return { records, outcome: { status: 'retry', reason: 'the turn could not save' } };
  return { records, outcome: { status: turn.status === 'failed' ? 'failed' : 'handled' } };
}

/** Runs the turn and stores its replies; a thrown turn (a bug) counts as handled, a failed store as `retry`. */
async function handleOnce(update: Update, deps: TurnDeps): Promise<UpdateOutcome> {
  let prepared: Prepared;
  try {
    prepared = await runTurn(update, deps);
  } catch (error) {
    // A bug: retrying would fail the same way, so the update counts as handled.
    deps.log.error('telegram handler failed', { updateId: update.update_id, error });
    return { status: 'failed' };
  }
  try {
    await deps.outbox.enqueue(prepared.records);
  } catch (error) {
    if (!(error instanceof OutboxPrivacyError || error instanceof OutboxInputError)) throw error;
    deps.log.error('telegram handler failed: the outbox refused a reply', { updateId: update.update_id, error });
    return { status: 'failed' };
  }
  return prepared.outcome;
}

/**
 * Returns the update handler. Delivery is at least once (a webhook retry, a poll after a crash), so
 * each update_id is handled once: its marker is written only after its replies are stored, and a
 * replay before that stores the same outbox ids again, which is a no-op. Across instances (a retry
 * reaching another one while the first still works on it) the update is claimed with one atomic
 * `setIfAbsent` first; the other instance answers `retry`, so Telegram delivers it again later and
 * finds it handled, or handles it then if the first gave it back (a `retry` releases the claim).
 */
export function updateHandler(deps: TurnDeps): (update: Update) => Promise<UpdateOutcome> {
  const handling = new Set<number>();
  return async (update) => {
    const id = update.update_id;
    const marker = `tg:update:${deps.botId}:${id}`;
    const claim = `tg:handling:${deps.botId}:${id}`;
    if (handling.has(id)) {
      deps.log.info('telegram duplicate update ignored', { updateId: id });
      return { status: 'duplicate' };
    }
    handling.add(id);
    let claimed = false;
    try {
      claimed = await deps.store.setIfAbsent(claim, 1, HANDLING_TTL_MS);
      // The marker is read after the claim: an instance that finished a moment ago wrote it before releasing its claim.
      if ((await deps.store.get(marker)) !== undefined) {
        deps.log.info('telegram duplicate update ignored', { updateId: id });
        return { status: 'duplicate' };
      }
      if (!claimed) {
        deps.log.info('telegram update is being handled by another instance; asked for it again', { updateId: id });
        return { status: 'retry', reason: 'another instance is handling it' };
      }
      const outcome = await handleOnce(update, deps);
      if (outcome.status === 'retry') deps.log.warn('telegram update not handled; it will be delivered again', { updateId: id, reason: outcome.reason });
      else await deps.store.set(marker, 1, UPDATE_TTL_MS);
      return outcome;
    } catch (error) {
      deps.log.error('telegram update not stored; it will be delivered again', { updateId: id, error });
      return { status: 'retry', reason: 'the store failed' };
    } finally {
      handling.delete(id);
      // Released after the marker is written (or not, on a retry), so the next delivery finds one or the other.
      if (claimed) await deps.store.delete(claim).catch(() => undefined);
    }
  };
}

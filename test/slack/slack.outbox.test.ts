/** Issue 15 §2 for Slack: a reply to a command or button is stored in the durable outbox before the request is answered 200, and sent from it. */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import type { NewOutboxMessage } from '../../src/outbox/outbox.types.js';
import { StoreUnavailableError } from '../../src/store/store.errors.js';
import { waitFor } from '../support/wait.js';
import { ALICE, CHANNEL, drained, expectOnlyMaskedPhones, startHarness, TEAM, textOf, type Harness } from './slack.harness.js';

/** The in-memory outbox store, whose next `failures` enqueues fail as a locked SQLite file would. */
class FlakyOutboxStore extends SqliteOutboxStore {
  failures = 0;

  constructor() {
    super(':memory:');
  }

  override async enqueue(messages: readonly NewOutboxMessage[], now: number): Promise<number> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new StoreUnavailableError('set', 'outbox', new Error('SQLITE_BUSY: database is locked'));
    }
    return super.enqueue(messages, now);
  }
}

let h: Harness;
let store: FlakyOutboxStore;
afterEach(async () => {
  expectOnlyMaskedPhones(h);
  await h.close();
});

async function start(): Promise<void> {
  store = new FlakyOutboxStore();
  h = await startHarness({ outbox: { store } });
}

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

/** A signed `/beian <text>` request with its own trigger_id and response_url, to post as often as a test likes. */
function commandRequest(text: string, trigger: string): { body: string; responseUrl: string; headers: (retryNum?: number) => Record<string, string> } {
  const responseUrl = h.fake.nextResponseUrl();
  const body = new URLSearchParams({ command: '/beian', text, team_id: TEAM, user_id: ALICE, channel_id: CHANNEL, response_url: responseUrl, trigger_id: trigger }).toString();
  const headers = (retryNum?: number) => ({ ...formHeaders, ...h.sign(body), ...(retryNum === undefined ? {} : { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_error' }) });
  return { body, responseUrl, headers };
}

describe('a command’s reply through the outbox', () => {
  it('is stored (interactive, id from the trigger_id) before the 200, sent to response_url, and removed once Slack accepted it', async () => {
    await start();
    h.fake.hold('response');
    const request = commandRequest('VE-2026-000101', 'trigger.outbox.1');
    const res = await fetch(h.url, { method: 'POST', body: request.body, headers: request.headers() });
    expect(res.status).toBe(200);
    // Answered while Slack has not yet accepted the reply: it is in the outbox, under the request's id.
    const stored = await store.get('slack:reply:trigger.outbox.1');
    expect(stored).toMatchObject({ channel: 'slack', priority: 'interactive', chatId: `${CHANNEL}/${ALICE}`, meta: { kind: 'reply' } });
    expect(JSON.stringify(stored?.payload)).not.toContain('127.0.0.1');
    const reply = await h.fake.waitFor((c) => c.method === new URL(request.responseUrl).pathname);
    h.fake.release('response');
    await h.slack.idle();
    await drained(h.outbox);
    expect(textOf(reply)).toContain('备案 VE-2026-000101');
    expect(reply.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(await store.get('slack:reply:trigger.outbox.1')).toBeUndefined();
  });

  it('waits out a 429 on the reply (Retry-After) and sends it once after the wait', async () => {
    await start();
    h.fake.rateLimit('response', 1, 1);
    const { answer, responseUrl } = await h.command('help');
    expect(answer.status).toBe(200);
    const posts = h.fake.responsesTo(responseUrl);
    expect(posts.map((p) => p.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(textOf(posts[1])).toContain('/beian pending');
    expect(h.logs.some((l) => l.includes('slack: reply failed') && l.includes('"outcome":"retry-after"'))).toBe(true);
  });

  it('waits out a 429 on chat.postEphemeral (a button without response_url) the same way', async () => {
    await start();
    h.fake.rateLimit('chat.postEphemeral', 1, 1);
    await h.press('beian_open', 'VE-2026-000102', { responseUrl: null });
    const calls = h.fake.api('chat.postEphemeral');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(textOf(calls[1])).toContain('备案 VE-2026-000102');
  });
});

describe('when the outbox cannot store the reply', () => {
  it('answers 503, and Slack’s retry of the same request (X-Slack-Retry-Num: 1) is answered once', async () => {
    await start();
    store.failures = 1;
    const request = commandRequest('VE-2026-000101', 'trigger.outbox.fail');
    const first = await h.post(request.body, request.headers());
    expect(first.status).toBe(503);
    expect(h.fake.responsesTo(request.responseUrl)).toEqual([]);
    expect(h.logs.some((l) => l.includes('slack: reply not stored'))).toBe(true);

    // Not taken for a duplicate: the failed attempt left no delivery mark.
    const retry = await h.post(request.body, request.headers(1));
    expect(retry).toEqual({ status: 200, text: '' });
    const again = await h.post(request.body, request.headers(2));
    expect(again.status).toBe(200);
    const replies = h.fake.responsesTo(request.responseUrl);
    expect(replies).toHaveLength(1);
    expect(textOf(replies[0])).toContain('备案 VE-2026-000101');
    expect(h.logs.some((l) => l.includes('duplicate delivery dropped') && l.includes('"retryNum":2'))).toBe(true);
  });

  it('answers 503 to a button too, and does not nudge twice when the retry goes through', async () => {
    await start();
    let nudges = 0;
    h.nudger.current = async () => {
      nudges += 1;
      return 1;
    };
    store.failures = 1;
    const responseUrl = h.fake.nextResponseUrl();
    const payload = {
      type: 'block_actions',
      team: { id: TEAM },
      user: { id: ALICE, team_id: TEAM },
      trigger_id: 'trigger.outbox.button',
      channel: { id: CHANNEL },
      response_url: responseUrl,
      actions: [{ type: 'button', action_id: 'beian_nudge', block_id: 'blk', value: 'VE-2026-000101', action_ts: '1700000000.000011' }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    expect((await h.post(body, { ...formHeaders, ...h.sign(body) })).status).toBe(503);
    expect((await h.post(body, { ...formHeaders, ...h.sign(body), 'x-slack-retry-num': '1' })).status).toBe(200);
    const replies = h.fake.responsesTo(responseUrl);
    expect(replies).toHaveLength(1);
    // The first attempt nudged before its reply failed to store; the retry finds the cooldown and says so, once.
    expect(nudges).toBe(1);
    expect(textOf(replies[0])).toContain('VE-2026-000101');
  });
});

describe('duplicate deliveries', () => {
  it('answers two copies of one command arriving together once', async () => {
    await start();
    const request = commandRequest('help', 'trigger.outbox.twice');
    const [a, b] = await Promise.all([h.post(request.body, request.headers()), h.post(request.body, request.headers(1))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitFor('the reply', () => h.fake.responsesTo(request.responseUrl).length > 0);
    await drained(h.outbox);
    expect(h.fake.responsesTo(request.responseUrl)).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('duplicate delivery dropped'))).toHaveLength(1);
  });

  it('answers a replay after the reply was sent once: the outbox remembers the reply’s id', async () => {
    await start();
    const request = commandRequest('help', 'trigger.outbox.replay');
    expect((await h.post(request.body, request.headers())).status).toBe(200);
    // Even with the delivery mark gone (its TTL, another instance), the reply's id is known to the outbox.
    await h.core.store.delete('slack:delivery:trigger:trigger.outbox.replay');
    expect((await h.post(request.body, request.headers(1))).status).toBe(200);
    expect(h.fake.responsesTo(request.responseUrl)).toHaveLength(1);
  });
});

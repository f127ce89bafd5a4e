/** End to end in webhook mode: updates posted to the shared HTTP server as Telegram would, replies through the emulator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteOutboxStore } from '../../src/backends/local/sqlite.outbox.js';
import { mountHttpRoutes } from '../../src/http/http.routes.js';
import { StoreUnavailableError } from '../../src/store/store.errors.js';
import { botMessages, postUpdate, startProxy, startRig, textUpdate, waitFor, type Rig } from './support/harness.js';

const PATH = '/telegram/webhook';
const SECRET = 'test-secret_1';

let rig: Rig | undefined;
let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
afterEach(async () => {
  await rig?.stop();
  await proxy?.close();
  rig = undefined;
  proxy = undefined;
});

/** Waits for the n-th bot message in a chat. */
const nth = (chatId: number, n: number) => waitFor(`bot message #${n} in chat ${chatId}`, () => botMessages(rig!.emu, chatId)[n - 1]);

describe('Telegram, webhook mode', () => {
  it('sets the webhook with its secret at start and answers a posted update', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    expect(rig.bot.mode).toBe('webhook');
    const hooks = (rig.emu as unknown as { webhooks: Record<string, { url: string; secret_token?: string }> }).webhooks;
    expect(Object.values(hooks)[0]).toMatchObject({ url: `${rig.baseUrl}${PATH}`, secret_token: SECRET });
    const res = await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(1, 2001, '/help'), SECRET);
    expect(res).toEqual({ status: 200, body: '{"ok":true}' });
    expect((await nth(2001, 1)).plain).toMatch(/What I can do/);
    expect(rig.logs.join('\n')).not.toContain(SECRET);
  });

  it('a wrong or missing secret gets 401 and never reaches the runner', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    const handle = vi.spyOn(rig.core.runner, 'run');
    for (const secret of ['wrong-secret', '', undefined, `${SECRET}x`]) {
      const res = await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(10, 2002, '/start'), secret);
      expect(res.status).toBe(401);
    }
    expect(handle).not.toHaveBeenCalled();
    // The update id was not consumed: the real delivery still goes through.
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(10, 2002, '/help'), SECRET)).status).toBe(200);
    expect(handle).toHaveBeenCalledTimes(1);
    expect(rig.logs.join('\n')).not.toContain('wrong-secret');
  });

  it('limits the body size (413) and refuses what is not an update (400)', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET, telegram: { webhookBodyLimit: 2048 } });
    const handle = vi.spyOn(rig.core.runner, 'run');
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(20, 2003, 'x'.repeat(4000)), SECRET)).status).toBe(413);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, '{not json', SECRET)).status).toBe(400);
    const bad = await postUpdate(`${rig.baseUrl}${PATH}`, { message: {} }, SECRET);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/update_id/);
    expect(handle).not.toHaveBeenCalled();
  });

  it('a duplicated update_id (at-least-once delivery) is handled once', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    const handle = vi.spyOn(rig.core.runner, 'run');
    const update = textUpdate(30, 2004, '/lookup VE-2026-000101');
    const [a, b] = await Promise.all([postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET), postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)).status).toBe(200);
    // A barrier instead of a timer: the next update's reply follows the first reply directly.
    await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(31, 2004, '/help'), SECRET);
    expect((await nth(2004, 1)).plain).toMatch(/I found no filing “VE-2026-000101”/);
    expect((await nth(2004, 2)).plain).toMatch(/What I can do/);
    expect(handle).toHaveBeenCalledTimes(2);
    expect(botMessages(rig.emu, 2004)).toHaveLength(2);
    expect(rig.logs.filter((l) => l.includes('duplicate update ignored'))).toHaveLength(2);
  });

  it('code guard: when the deletion fails, the warning is still sent (and the deletion was tried first)', async () => {
    let calls: string[] = [];
    rig = await startRig({
      webhookPath: PATH,
      secret: SECRET,
      apiRoot: async (emulatorRoot) => {
        proxy = await startProxy(emulatorRoot);
        calls = proxy.calls;
        return proxy.url;
      },
    });
    // Message 424242 was never stored by the emulator, so deleteMessage answers 400.
    await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(40, 2005, '我的验证码是 654321', 424242), SECRET);
    const warning = await nth(2005, 1);
    expect(warning.plain).toMatch(/请不要在这里发送短信验证码|Please do not send SMS codes/);
    const sends = calls.filter((c) => c === 'deleteMessage' || c === 'sendMessage');
    expect(sends).toEqual(['deleteMessage', 'sendMessage']);
    await waitFor('the failed deletion to be logged', () => rig!.logs.find((l) => l.includes('could not delete')));
    expect(rig.logs.join('\n')).not.toContain('654321');
  });

  it('a turn that throws is logged and answered 200: the next update is still served', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    vi.spyOn(rig.core.runner, 'run').mockRejectedValueOnce(new Error('boom'));
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(50, 2006, '/help'), SECRET)).status).toBe(200);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(51, 2006, '/help'), SECRET)).status).toBe(200);
    expect((await nth(2006, 1)).plain).toMatch(/What I can do/);
    expect(rig.logs.some((l) => l.includes('telegram handler failed'))).toBe(true);
  });

  it('one slow conversation never blocks the others', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const real = rig.core.runner.run.bind(rig.core.runner);
    vi.spyOn(rig.core.runner, 'run').mockImplementation(async (activity, can) => {
      if (activity.conversationId === '2007') await gate;
      return real(activity, can);
    });
    const slow = postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(60, 2007, '/help'), SECRET);
    const slowNext = postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(61, 2007, '/lang en'), SECRET);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(62, 2008, '/help'), SECRET)).status).toBe(200);
    expect((await nth(2008, 1)).plain).toMatch(/What I can do/);
    expect(botMessages(rig.emu, 2007)).toHaveLength(0);
    release();
    expect((await slow).status).toBe(200);
    expect((await slowNext).status).toBe(200);
    // The slow chat's own updates kept their order.
    expect((await nth(2007, 1)).plain).toMatch(/What I can do/);
    expect((await nth(2007, 2)).plain).toMatch(/Language set to English/);
  });

  it('keeps a chat’s turns in order with no queue of its own: the runner’s lock alone orders them', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    const texts = ['/lang en', '/help', '/lang zh', '/help'];
    // Dispatched back to back, none awaited: every turn is in flight at once.
    await Promise.all(texts.map((text, i) => rig!.bot.dispatch(textUpdate(80 + i, 2010, text) as never)));
    await nth(2010, texts.length);
    const replies = botMessages(rig.emu, 2010).map((m) => m.plain);
    expect(replies[0]).toMatch(/Language set to English/);
    expect(replies[1]).toMatch(/What I can do/);
    expect(replies[2]).toMatch(/中文/);
    expect(replies[3]).not.toMatch(/What I can do/);
  });

  it('a turn the store cannot save answers 5xx, tells the person to try again in a minute (once), and the redelivery is handled', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    const busy = () => new StoreUnavailableError('get', 'sqlite', new Error('SQLITE_BUSY: database is locked'));
    vi.spyOn(rig.core.people, 'touch').mockRejectedValueOnce(busy()).mockRejectedValueOnce(busy());
    const update = textUpdate(90, 2011, '/help');
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)).status).toBe(503);
    expect((await nth(2011, 1)).plain).toBe('Sorry, I cannot save anything just now. Please try again in a minute.');
    // Telegram delivers it again: still failing, then through.
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)).status).toBe(503);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)).status).toBe(200);
    expect((await nth(2011, 2)).plain).toMatch(/What I can do/);
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, update, SECRET)).status).toBe(200);
    expect(
      botMessages(rig.emu, 2011)
        .map((m) => m.plain)
        .filter((t) => /try again in a minute/.test(t)),
    ).toHaveLength(1);
    expect(botMessages(rig.emu, 2011)).toHaveLength(2);
  });

  it('a locked outbox file: /healthz answers 503 naming the outbox while updates are refused with 503, and 200 again once the lock is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'locked-outbox-'));
    const file = join(dir, 'outbox.sqlite');
    try {
      rig = await startRig({ webhookPath: PATH, secret: SECRET, outboxStore: new SqliteOutboxStore(file, { busyTimeoutMs: 50 }) });
      mountHttpRoutes(rig.server, { ...rig.core, outbox: rig.outbox, components: () => [rig!.bot] });
      const health = async () => {
        const res = await fetch(`${rig!.baseUrl}/healthz`);
        return { status: res.status, body: (await res.json()) as { store: unknown; outbox: { ok: boolean; detail?: string } } };
      };
      expect((await health()).status).toBe(200);
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      try {
        expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(80, 2010, '/help'), SECRET)).status).toBe(503);
        const locked = await health();
        expect(locked.status).toBe(503);
        // The state store is not the one locked: only a write to the outbox itself notices.
        expect(locked.body.store).toEqual({ ok: true });
        expect(locked.body.outbox.ok).toBe(false);
        expect(locked.body.outbox.detail).toMatch(/outbox store cannot be written: .*locked/);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect((await health()).status).toBe(200);
      expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(80, 2010, '/help'), SECRET)).status).toBe(200);
      expect((await nth(2010, 1)).plain).toMatch(/What I can do/);
    } finally {
      await rig?.stop();
      rig = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('once stopped, the webhook answers 503 so Telegram delivers the update again later', async () => {
    rig = await startRig({ webhookPath: PATH, secret: SECRET });
    await rig.bot.stop();
    expect((await postUpdate(`${rig.baseUrl}${PATH}`, textUpdate(70, 2009, '/help'), SECRET)).status).toBe(503);
    expect(await rig.bot.health()).toEqual({ ok: false, detail: 'stopped' });
  });
});

/**
 * End to end in long-polling mode: telegraf's real HTTP client against the telegram-test-api
 * emulator, on the demo filings. 13800138000 is a principal of VE-2026-000101 (open window) and
 * VE-2026-000112 (returned first filing); 13500135000 of VE-2026-000103 (returned shell-website access).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRig, TgUser, waitFor, botMessages, type Rig } from './support/harness.js';

const FULL_PHONES = [/13800138000/, /138[ -]?0013[ -]?8000/, /13900139000/, /13500135000/, /13700137000/];

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.stop();
});

/** Links a person by sharing their own contact and reads the two replies. */
async function linked(userId: number, phone: string): Promise<TgUser> {
  const user = new TgUser(rig.emu, userId);
  await user.shareContact(phone);
  await user.expect(/^Linked: \d{3}\*{4}\d{4}\.$/);
  await user.next();
  return user;
}

/** Nothing in any log line or any bot message shows a full phone number (R8). */
function expectNoFullPhones(): void {
  const texts = [...rig.logs, ...rig.emu.storage.botMessages.map((m) => String((m.message as { text?: string }).text))];
  for (const text of texts) for (const re of FULL_PHONES) expect(text).not.toMatch(re);
}

describe('Telegram, long polling against the emulator', () => {
  it('onboarding: /start asks to link with a one-time share-contact keyboard, then own contact links and lists the filings', async () => {
    const user = new TgUser(rig.emu, 1001);
    await user.send('/start');
    const ask = await user.expect(/Hello!.*\n.*tap “Share my phone number” below/);
    expect(ask.parseMode).toBe('HTML');
    expect(ask.markup).toEqual({ keyboard: [[{ text: 'Share my phone number', request_contact: true }]], one_time_keyboard: true, resize_keyboard: true, is_persistent: false });

    // Telegram writes the contact's number without a plus.
    await user.shareContact('8613800138000');
    const done = await user.expect(/^Linked: 138\*\*\*\*8000\.$/);
    expect(done.markup).toEqual({ remove_keyboard: true });
    const list = await user.expect(/^Filings that name your number:/);
    expect(list.plain).toMatch(/VE-2026-000101: first filing, SMS verification/);
    expect(list.buttons.map((b) => b.data)).toContain('lk:VE-2026-000101');

    const me = await rig.core.people.user('telegram', '1001');
    expect(me?.phoneKey).toBeTruthy();
    expect(me?.ref).toEqual({ channel: 'telegram', userId: '1001', conversationId: '1001' });
    expectNoFullPhones();
  });

  it('deep link: /start <filingId> opens that filing right after linking', async () => {
    const user = new TgUser(rig.emu, 1002);
    await user.send('/start VE-2026-000101');
    await user.expect(/After linking I will open filing VE-2026-000101/);
    await user.shareContact('+86 138 0013 8000');
    await user.expect(/^Linked: 138\*\*\*\*8000\.$/);
    await user.expect(/^Filing VE-2026-000101: first filing/);
  });

  it('R8 a foreign contact (someone else’s, or one without user_id) is refused and nothing is stored', async () => {
    const user = new TgUser(rig.emu, 1003);
    await user.send('/start');
    await user.next();
    await user.shareContact('8613800138000', 9999);
    const refused = await user.expect(/share your own contact.*I stored nothing/);
    expect(refused.markup).toMatchObject({ keyboard: [[{ request_contact: true }]] });
    await user.shareContact('8613800138000', null);
    await user.expect(/share your own contact/);
    expect((await rig.core.people.user('telegram', '1003'))?.phoneKey).toBeUndefined();
    expect(await rig.core.people.reachable('13800138000')).toEqual([]);
  });

  it('lookup shows verifiers masked (138****8000) and never a full number, in messages or logs', async () => {
    const user = await linked(1004, '8613800138000');
    await user.send('/lookup VE-2026-000101');
    const card = await user.expect(/^Filing VE-2026-000101: first filing/);
    expect(card.plain).toContain('138****8000');
    expect(card.plain).toContain('139****9000');
    expect(card.plain).toMatch(/You must verify/);
    expect(card.buttons.map((b) => b.text)).toEqual(['How to verify', 'I got no SMS: resend', 'I have verified', 'My filings', 'Help']);
    // A filing that does not name this phone gets the same answer as one that does not exist.
    await user.send('/status VE-2026-000105');
    const hidden = await user.expect(/I found no filing “VE-2026-000105”/);
    await user.send('/lookup VE-9999-000000');
    expect((await user.expect(/I found no filing “VE-9999-000000”/)).plain).toBe(hidden.plain.replace('VE-2026-000105', 'VE-9999-000000'));
    expectNoFullPhones();
  });

  it('a full resend walk-through by buttons: two resends counted, the third refused', async () => {
    const user = await linked(1005, '8613800138000');
    await user.tap({ data: 'lk:VE-2026-000101' });
    await user.expect(/^Filing VE-2026-000101/);
    await user.tap(/resend/);
    const guide = await user.expect(/section “短信重发”[\s\S]*Resends used in this cycle: 0 of 2; 2 left[\s\S]*What did the system say\?/);
    // The MIIT system as a URL button: Telegram opens it, and no callback comes back.
    expect((guide.markup as { inline_keyboard: unknown[][] }).inline_keyboard[0]).toEqual([{ text: 'Open the MIIT filing system', url: 'https://beian.miit.gov.cn' }]);
    await user.tap(/已重发成功/);
    await user.expect(/^Resent\. Check the phone 138\*\*\*\*8000.* 1 resend left/);
    await user.tap(/How to verify/);
    const where = await user.expect(/tab “短信核验”/);
    expect(where.markup).toEqual({ inline_keyboard: [[{ text: 'Open the MIIT filing system', url: 'https://beian.miit.gov.cn' }], [{ text: 'Next', callback_data: 'vn:VE-2026-000101' }]] });
    await user.tap(/Next/);
    await user.expect(/Enter three things/);
    await user.tap(/I got no SMS: resend/);
    await user.expect(/Resends used in this cycle: 1 of 2; 1 left/);
    await user.tap(/已重发成功/);
    await user.expect(/0 resends left[\s\S]*You have used both resends/);
    await user.send('/lookup VE-2026-000101');
    await user.next();
    await user.tap(/resend/);
    const exhausted = await user.expect(/Resends used in this cycle: 2 of 2; 0 left[\s\S]*another resend will not work/);
    expect(exhausted.buttons.map((b) => b.text)).toContain('How to verify');
    expectNoFullPhones();
  });

  it('a full recovery walk-through by buttons: first filing (both branches) and a shell-website access filing', async () => {
    const user = await linked(1006, '8613800138000');
    await user.send('/lookup VE-2026-000112');
    await user.expect(/Returned by the bureau/);
    await user.tap(/What to do now/);
    await user.expect(/was returned: SMS verification not completed within 24 hours[\s\S]*phone number is real and correct\. Is it\?/);
    await user.tap(/A number must change/);
    const steps = await user.expect(/Your steps:\n1\. Make sure the new number can receive SMS[\s\S]*4\. After the next report, the SMS goes to the new number\.\n.*within 1 working day/);
    const stale = { data: 'ra:VE-2026-000112:phone-correct:yes' };
    await user.tap(/Start over/);
    await user.expect(/Is it\?/);
    await user.tap(/The numbers are right/);
    await user.expect(/Your steps:\n1\. Log in to the provider’s filing console[\s\S]*2\. Resubmit the filing\./);
    expect(steps.buttons.map((b) => b.text)).toContain('Start over');
    // The answer button of a question already answered is stale.
    await user.tap(stale);
    const expired = await user.expect(/^This button has expired\. Here is a fresh menu\.$/);
    expect(expired.buttons.map((b) => b.data)).toEqual(['my', 'hp']);

    const shell = await linked(1007, '8613500135000');
    await shell.send('/lookup VE-2026-000103');
    await shell.next();
    await shell.tap(/What to do now/);
    // The record says it is a shell website: no question, straight to its steps.
    const shellSteps = await shell.expect(/shell website[\s\S]*Your steps:\n1\. Deregister the website’s filing[\s\S]*2\. Then submit a new website filing\./);
    expect(shellSteps.plain).not.toContain('Where is the website hosted today?');
    expectNoFullPhones();
  });

  it('the code guard: a 6-digit message gets the warning and is deleted from the chat', async () => {
    const user = await linked(1008, '8613800138000');
    await user.send('123456');
    const warning = await user.expect(/Please do not send SMS codes[\s\S]*I have asked to delete your message\./);
    expect(warning.buttons).toEqual([]);
    await waitFor('the code message to be deleted', () => !rig.emu.storage.userMessages.some((u) => 'message' in u && (u.message as { text?: string }).text === '123456'));
    expect(rig.logs.join('\n')).not.toMatch(/123456/);
  });

  it('a tampered or foreign callback gets “expired” and a fresh menu, never the data', async () => {
    const user = await linked(1009, '8613800138000');
    await user.tap({ data: 'zz:<script>' });
    const expired = await user.expect(/^This button has expired/);
    expect(expired.buttons.map((b) => b.data)).toEqual(['my', 'hp']);
    await user.tap({ data: 'ro:VE-2026-000101:ok' });
    await user.expect(/^This button has expired/);
    await user.tap({ data: 'lk:VE-2026-000105' });
    await user.expect(/I found no filing “VE-2026-000105”/);
    await user.tap({ data: 'rc:VE-2026-000111' });
    await user.expect(/I found no filing “VE-2026-000111”/);
    await user.tap({ data: 'x'.repeat(80) });
    await user.expect(/^This button has expired/);
  });

  it('a message with NUL and RTL characters is handled: no crash, text escaped, reply sent', async () => {
    const user = await linked(1010, '8613800138000');
    await user.send('/lookup <b>VE\u0000\u202Eevil&');
    const reply = await user.next();
    // Deliberately changed (issue 11 §5): bidi controls are never echoed back.
    expect(reply.html).toContain('&lt;b&gt;VEevil&amp;');
    expect(reply.html).not.toContain('\u202E');
    expect(reply.html).not.toContain('\u0000');
    expect(reply.html).not.toContain('<b>');
    await user.send('\u202E\u0000');
    await user.expect(/What I can do/);
  });

  it('proactive Channel.send: a 5,000-character message arrives in two parts with the buttons on the last', async () => {
    const user = await linked(1011, '8613800138000');
    const text = `${'a'.repeat(3000)}\n\n${'b'.repeat(1998)}`;
    await rig.core.channels.get('telegram')!.send({ channel: 'telegram', userId: '1011', conversationId: '1011' }, [{ text, buttons: [[{ label: 'Help', data: 'hp' }]] }], { priority: 5 });
    const first = await user.next();
    const second = await user.next();
    expect(first.plain).toBe('a'.repeat(3000));
    expect(first.markup).toBeUndefined();
    expect(second.plain).toBe('b'.repeat(1998));
    expect(second.buttons).toEqual([{ text: 'Help', data: 'hp' }]);
  });

  it('proactive Channel.send respects /stop; /start switches reminders on again', async () => {
    const user = await linked(1012, '8613800138000');
    const ref = { channel: 'telegram' as const, userId: '1012', conversationId: '1012' };
    const channel = rig.core.channels.get('telegram')!;
    await user.send('/stop');
    await user.expect(/Reminders are off/);
    await channel.send(ref, [{ text: 'reminder while stopped', buttons: [] }]);
    // A barrier instead of a timer: the next message in this chat must be the reply to /help.
    await user.send('/help');
    await user.expect(/What I can do/);
    expect(botMessages(rig.emu, 1012).some((m) => m.plain === 'reminder while stopped')).toBe(false);
    expect((await rig.core.metrics.sends.get()).values.find((v) => v.labels.outcome === 'skipped')?.value).toBe(1);
    await user.send('/start');
    await user.expect(/Reminders are on again/);
    await user.next();
    await channel.send(ref, [{ text: 'reminder after start', buttons: [] }]);
    await user.expect(/^reminder after start$/);
  });

  it('survives the emulator’s 500 for setMyCommands and sendChatAction (logged, not fatal)', async () => {
    // "typing" goes out only for a reply not out in time: with no time at all, every text gets it.
    await rig.stop();
    rig = await startRig({ telegram: { typingAfterMs: 0 } });
    const user = new TgUser(rig.emu, 1013);
    await user.send('/help');
    await user.expect(/What I can do/);
    const lines = rig.logs.map((l) => JSON.parse(l) as { msg: string; method?: string });
    expect(lines.some((l) => l.msg === 'telegram optional call failed' && l.method === 'setMyCommands')).toBe(true);
    await waitFor('the sendChatAction failure to be logged', () => rig.logs.some((l) => /optional call failed.*sendChatAction/.test(l)));
    expect(await rig.bot.health()).toMatchObject({ ok: true });
  });

  it('a turn that throws is logged and counted as handled: polling goes on and the next update is served', async () => {
    const user = new TgUser(rig.emu, 1014);
    const spy = vi.spyOn(rig.core.runner, 'run').mockRejectedValueOnce(new Error('boom'));
    await user.send('/help');
    await user.send('/help');
    await user.expect(/What I can do/);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(rig.logs.some((l) => l.includes('telegram handler failed'))).toBe(true);
  });
});

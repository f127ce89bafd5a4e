/**
 * The console demo as a user runs it (issue 13): the app as a child process with piped input, the
 * demo clock moved by /wait, reminders and team alerts printed as each side sees them, and filing
 * events through the hook's own handler. Times depend on when the run starts, so they are replaced
 * by `<time>` before exact comparisons, and their spacing is checked on the run's own timeline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkCalendar } from '../../src/rules/workday.rules.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { REPO_ROOT } from '../support/app-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder for the embedded store and the phone key, removed after the tests. */
function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beian-demo-'));
  dirs.push(dir);
  return dir;
}

/** Runs `npm start` with `input` piped in and the embedded store in `dir` (a fresh one by default); returns the finished process. */
function pipe(input: string, env: Record<string, string> = {}, dir = storeDir()) {
  return spawnSync('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE_URL: `file:${join(dir, 'state.sqlite')}`, PHONE_KEY_FILE: join(dir, 'phone-key'), ...env },
    timeout: 90_000,
  });
}

const TIME = /\d{4}-\d\d-\d\d \d\d:\d\d/g;
const norm = (text: string) => text.replace(TIME, '<time>').replace(/\d{4}-\d\d-\d\d/g, '<date>');
/** The China-time instants of the `⏰` lines, in minutes since the first one. */
function timeline(text: string): number[] {
  const at = [...text.matchAll(/^⏰ (\d{4}-\d\d-\d\d \d\d:\d\d)/gm)].map((m) => Date.parse(`${m[1]!.replace(' ', 'T')}:00+08:00`));
  return at.map((t) => (t - at[0]!) / 60_000);
}

describe('the console demo, piped (zh)', () => {
  const run = pipe(['/link 13800138000', '/wait 12h', '/time', '/wait 5h', '/event returned VE-2026-000101', '16', '7', ''].join('\n'));
  const out = norm(run.stdout);

  it('greets with ids from the loaded file, how to switch language and how to start fresh, and shows no prompt', () => {
    expect(run.status).toBe(0);
    expect(out.split('\n').slice(0, 5).join('\n')).toBe(
      [
        'beian-assistant 控制台演示（无需任何令牌）。您以申请人身份对话；团队 Slack 频道会看到的内容也会显示出来。',
        '试试：/start，/link 13800138000，/lookup VE-2026-000101，/help。',
        '演示时钟：/wait 12h 让时间前进，并按时显示每条提醒和团队告警；/event reported VE-2026-000112 发送备案系统的签名事件。',
        'English: type /lang en, or start with DEFAULT_LOCALE=en.',
        '从头开始：STORE_URL=memory:// npm start（不保存任何内容），或删除 data/ 目录。',
      ].join('\n'),
    );
    expect(run.stdout).not.toMatch(/^> /m);
    // Warnings (the working-day calendar's, near the end of its table) are plain text for the reader, not JSON lines.
    expect(run.stderr).not.toMatch(/^\{/m);
  });

  it('the notice after linking, then /wait 12h shows the 12 h stage at its own time', () => {
    expect(out).toContain('[您的聊天]\n» 工信部已向 138****8000 发送备案 VE-2026-000101 的核验短信。请在 <time>（北京时间）前完成核验，还剩 21 小时 0 分。\n» [7] 如何核验   [8] 没收到短信：重发\n» [9] 我已完成核验');
    expect(out).toContain('⏰ <time>（北京时间）\n[您的聊天]\n» 提醒：备案 VE-2026-000101 仍需要您完成短信核验。截止时间 <time>（北京时间），还剩 12 小时 0 分。');
    expect(out).toContain('演示时钟前进了 12h：现在是 <time>（北京时间）。\n\n演示时间：<time>（北京时间）。');
    // Start; VE-2026-000102's window closes 3 h in; the 12 h stage 9 h in; the 4 h stage and at-risk 17 h in.
    expect(timeline(run.stdout)).toEqual([0, 180, 540, 1020]);
    expect(out.indexOf('还剩 12 小时 0 分')).toBeLessThan(out.indexOf('演示时钟前进了 12h'));
    expect(out.indexOf('还剩 4 小时 0 分。')).toBeGreaterThan(out.indexOf('演示时钟前进了 12h'));
  });

  it('the team’s at-risk and window-closed alerts are marked as the Slack channel’s, from the catalog’s wording', () => {
    expect(out).toContain(
      [
        '[Slack #alerts]',
        '⚠️ VE-2026-000101 有风险：距截止（<time>，北京时间）还剩 4 小时 0 分，2 人待核验：',
        '⏳ 张* 138****8000 · 主体负责人、网站“示例官网”的网站负责人：待核验',
        '⏳ 李* 139****9000 · 网站“示例商城”的网站负责人：待核验',
      ].join('\n'),
    );
    expect(out).toContain('[Slack #alerts]\n⛔ VE-2026-000102：核验窗口已于 <time>（北京时间）关闭，仍有 1 人未核验。管局将退回该备案。');
    expect(out.match(/有风险/g)).toHaveLength(2); // VE-2026-000102 at start, VE-2026-000101 later: once each
  });

  it('/event returned goes through the hook and shows the applicant’s return notice and the team’s recovery path', () => {
    expect(out).toContain('[备案系统 → POST /hooks/filing-events] filing.returned VE-2026-000101：HTTP 200 {"ok":true,"duplicate":false}');
    expect(out).toContain(
      '[您的聊天]\n» 备案 VE-2026-000101 已被管局退回：未在 24 小时内完成短信核验。我可以带您一步步处理。\n» 重新提交后，备案 VE-2026-000101 会在 1 个工作日内再次上报（如今天提交，预计 <date> 前），之后需要重新完成短信核验。\n» [16] 现在该怎么办',
    );
    expect(out).toContain('[Slack #alerts]\n↩️ VE-2026-000101（首次备案）已被退回：未在 24 小时内完成短信核验。\nVE-2026-000101 的恢复路径（首次备案）\n问：');
    // "16" presses the notice's button: the applicant's recovery wizard.
    expect(out).toContain('备案 VE-2026-000101（首次备案）已被退回：未在 24 小时内完成短信核验。我们来确定您的处理路径。\n请登录接入商备案控制台');
  });

  it('numbers every button on screen once, and answers a number no longer offered', () => {
    const numbers = [...run.stdout.matchAll(/\[(\d+)\] /g)].map((m) => Number(m[1]));
    expect(numbers.length).toBeGreaterThan(16);
    expect(new Set(numbers).size).toBe(numbers.length);
    // "7" was the first SMS notice's button, shown before the reply to "16" replaced what can be pressed.
    expect(out).toContain('选项 7 已不再提供。请输入您上一条消息之后显示的按钮编号，或输入 /help 等命令。');
    expect(out).not.toContain('我可以：\n/lookup');
  });
});

describe('the console demo, piped (en)', () => {
  const lines = [
    '/link 13800138000',
    '/event reported VE-2026-000112',
    '/event confirmed VE-2026-000112 13800138000',
    '/wait 13h',
    '/event status VE-2026-000112 bogus',
    '/event reported VE-0000-404',
    '/event',
    '/wait 1x',
    '/time',
    '/help',
    '1',
    '',
  ];
  const run = pipe(lines.join('\n'), { DEFAULT_LOCALE: 'en' });
  const out = norm(run.stdout);

  it('speaks English throughout and says how to switch to Chinese', () => {
    expect(run.status).toBe(0);
    expect(out).toContain('beian-assistant console demo (no tokens needed).');
    expect(out).toContain('Try: /start, /link 13800138000, /lookup VE-2026-000101, /help.');
    expect(out).toContain('中文：输入 /lang zh，或用 DEFAULT_LOCALE=zh 启动。');
    expect(out).toContain('Start fresh: STORE_URL=memory:// npm start (nothing kept), or delete the data/ folder.');
    expect(out).toContain('[Slack #alerts]\n⚠️ VE-2026-000102 is at risk: 3 h 0 min left to the deadline (<time>, China time), 1 pending:');
  });

  it('a reported event starts a cycle whose notice reaches the linked applicant; a confirmation is told to them and ends their reminders', () => {
    expect(out).toContain('[filing system → POST /hooks/filing-events] filing.reported VE-2026-000112: HTTP 200 {"ok":true,"duplicate":false}\n\n[your chat]\n» The MIIT');
    expect(out).toContain('» The MIIT has sent the verification SMS for filing VE-2026-000112 to 138****8000. Verify before <time> (China time), 24 h 0 min left.');
    expect(out).toContain(
      '[filing system → POST /hooks/filing-events] verification.confirmed VE-2026-000112: HTTP 200 {"ok":true,"duplicate":false}\n\n[your chat]\n» The filing system has recorded your SMS verification for filing VE-2026-000112. You will get no more reminders in this verification cycle.\n',
    );
    expect(out.match(/has recorded your SMS verification/g)).toHaveLength(1);
    expect(out).not.toContain('Reminder: filing VE-2026-000112');
    // VE-2026-000101's own 12 h stage still comes (the clock passed it).
    expect(out).toContain('Reminder: filing VE-2026-000101 still needs your SMS verification. Deadline <time> (China time), 12 h 0 min left.');
    // The full phone typed into /event is never repeated back.
    expect(run.stdout.split('\n').filter((l) => l.includes('13800138000'))).toEqual(['Try: /start, /link 13800138000, /lookup VE-2026-000101, /help.']);
  });

  it('the hook’s own validation answers bad events, each in one line saying what is wrong; bad demo commands get their usage', () => {
    const refused = out.split('\n').filter((l) => l.includes('refused'));
    expect(refused).toEqual([
      '[filing system → POST /hooks/filing-events] filing.status VE-2026-000112: refused (HTTP 400), status: Invalid option: expected one of "draft"|"provider_review"|"verifying"|"bureau_review"|"returned"|"approved"|"withdrawn". Correct it and send it again; /event alone shows the forms.',
      '[filing system → POST /hooks/filing-events] filing.reported VE-0000-404: refused (HTTP 404), unknown filing (filingId). Correct it and send it again; /event alone shows the forms.',
    ]);
    expect(out).not.toContain('"issues"');
    // Said once, in the chat: the hook's refusal log line is not repeated on the terminal.
    expect(run.stderr).not.toContain('filing event refused');
    expect(out).toContain('Send a filing event as the filing system would:\n/event reported <filing id>');
    expect(out).toContain('Type a duration to move the demo clock on, e.g. /wait 12h, /wait 90m, /wait 1h30m or /time +2d (at most 30 days at a time).');
    expect(out).toContain('The demo clock moved on 13h: now <time> (China time).\n\n[filing system');
    expect(out).toContain('Demo time: <time> (China time).');
  });

  it('a number no longer offered is answered so, in English', () => {
    expect(out).toContain('/event returned <filing id> [sms_timeout|sms_failed|other] — the bureau returned the filing');
    expect(out).toContain('Choice 1 is no longer offered. Type the number of a button shown since your last message, or a command such as /help.');
  });

  it('/help lists the demo commands', () => {
    expect(out).toContain('/link <phone> — link a phone (console demo only)\nDemo clock and filing events (console only):\n/time — the demo time\n/wait 12h or /time +11h30m');
    expect(out).toContain('/event returned <filing id> [sms_timeout|sms_failed|other] — the bureau returned the filing');
  });
});

describe('the console demo, run again on the same store', () => {
  const dir = storeDir();
  // The first run switches to English, then moves the clock 13 h on and starts a new cycle there.
  const first = pipe(['/lang en', '/link 13800138000', '/wait 13h', '/event reported VE-2026-000112', ''].join('\n'), {}, dir);
  const second = pipe(['/lookup VE-2026-000112', '/start', '/wait 1h', ''].join('\n'), {}, dir);

  it('resumes the saved demo time, so no window shows more than its 24 h', () => {
    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    const stopped = /The demo clock moved on 13h: now (\d{4}-\d\d-\d\d \d\d:\d\d)/.exec(first.stdout)?.[1];
    expect(stopped).toBeDefined();
    expect(second.stdout).toContain(`The demo resumes where the saved one stopped: demo time ${stopped} (China time). To start over instead, see the line above.`);
    // The cycle the first run started at its demo time is the cycle the second run shows, with its full window.
    expect(second.stdout).toContain(`Verification cycle 2, SMS sent ${stopped} (China time).`);
    expect(second.stdout).toContain('(China time), 24 h 0 min left.');
    const left = [...second.stdout.matchAll(/(\d+) h (\d+) min left/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(left.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...left)).toBeLessThanOrEqual(24 * 60);
  });

  it('speaks the saved language throughout: the banner as the chat', () => {
    expect(second.stdout).toContain('beian-assistant console demo (no tokens needed).');
    expect(second.stdout).toContain('Verification cycle 2, SMS sent');
    // None of the Chinese catalog's wording (the filings' own names stay as they are).
    expect(second.stdout).not.toMatch(/控制台演示|北京时间|您的聊天|还剩|演示时钟/);
  });
});

describe('a demo saved by an older version, with no demo time', () => {
  const dir = storeDir();
  let second: ReturnType<typeof pipe>;
  let third: ReturnType<typeof pipe>;
  beforeAll(async () => {
    // The first run starts a new cycle 13 h into its demo; an older version would not have saved where its clock stood.
    const first = pipe(['/link 13800138000', '/wait 13h', '/event reported VE-2026-000112', ''].join('\n'), { DEFAULT_LOCALE: 'en' }, dir);
    expect(first.status).toBe(0);
    const store = KeyvStateStore.sqlite(join(dir, 'state.sqlite'));
    expect(await store.namespace('console').delete('demo:time')).toBe(true);
    await store.close();
    second = pipe(['/link 13800138000', '/lookup VE-2026-000112', '/wait 1h', ''].join('\n'), { DEFAULT_LOCALE: 'en' }, dir);
    third = pipe(['/time', ''].join('\n'), { DEFAULT_LOCALE: 'en' }, dir);
  }, 200_000);

  it('sets the stale state aside with one line, and no window shows more than 24 h', () => {
    expect(second.status).toBe(0);
    const notes = second.stdout.split('\n').filter((l) => /set aside|resumes where/.test(l));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^The saved demo had no demo time of its own, so it was set aside \(not deleted\): this demo starts fresh at \d{4}-\d\d-\d\d \d\d:\d\d \(China time\)\.$/);
    // The cycle the stale run started is not shown on the new clock.
    expect(second.stdout).not.toContain('Verification cycle 2');
    const left = [...second.stdout.matchAll(/(\d+) h (\d+) min left/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(left.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...left)).toBeLessThanOrEqual(24 * 60);
  });

  it('the next run resumes the fresh demo where it stopped', () => {
    expect(third.status).toBe(0);
    const stopped = /The demo clock moved on 1h: now (\d{4}-\d\d-\d\d \d\d:\d\d)/.exec(second.stdout)?.[1];
    expect(stopped).toBeDefined();
    expect(third.stdout).toContain(`The demo resumes where the saved one stopped: demo time ${stopped} (China time).`);
    expect(third.stdout).not.toContain('set aside');
  });
});

describe('a saved demo near the end of the official holiday table', () => {
  const dir = storeDir();
  const end = Math.max(...loadWorkCalendar().years);
  let run: ReturnType<typeof pipe>;
  beforeAll(async () => {
    // A demo saved on 5 December of the table's last year: its clock stood at 12:30 China time.
    const store = KeyvStateStore.sqlite(join(dir, 'state.sqlite'));
    await store.namespace('console').set('demo:time', { start: Date.parse(`${end}-12-05T10:00:00+08:00`), now: Date.parse(`${end}-12-05T12:30:00+08:00`) });
    await store.close();
    run = pipe('/time\n', {}, dir);
  }, 90_000);

  it('resumes at its time, and the calendar’s warning is one short line under the banner, in the demo’s language', () => {
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').slice(4, 8)).toEqual([
      '从头开始：STORE_URL=memory:// npm start（不保存任何内容），或删除 data/ 目录。',
      `演示从上次保存处继续：演示时间为 ${end}-12-05 12:30（北京时间）。如需从头开始，请见上一行。`,
      `注意：内置的法定节假日表只到 ${end}-12-31，之后的工作日为估算。`,
      '',
    ]);
    expect(run.stdout).toContain(`演示时间：${end}-12-05 12:30（北京时间）。`);
    // The operator's detail (what to add to the calendar file) is for the log, not the demo's terminal.
    expect(run.stderr).not.toContain('working-day calendar');
  });
});

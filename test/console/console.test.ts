import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderMessages, runConsole, ShownButtons, toActivity } from '../../adapters/console/console.adapter.js';
import { world } from '../support/transcript.js';
import { waitFor } from '../support/wait.js';
import { CONSOLE_CAPABILITIES } from '../../adapters/console/console.adapter.js';

const root = new URL('../../', import.meta.url).pathname;

function start(input: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'beian-console-'));
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE_URL: `file:${join(dir, 'state.sqlite')}`, PHONE_KEY_FILE: join(dir, 'phone-key'), ...env },
    timeout: 60_000,
  });
}

describe('console adapter', () => {
  it('numbers buttons on across the run and presses an offered one by number or label; a number not offered is no chat line', () => {
    const shown = new ShownButtons();
    const text = shown.render([
      {
        text: 'a',
        buttons: [
          [
            { label: 'One', data: 'my' },
            { label: 'Two', data: 'hp' },
          ],
        ],
      },
      { text: 'b', buttons: [[{ label: 'Three', data: 'lg:en' }]] },
    ]);
    expect(text).toBe('a\n[1] One   [2] Two\n\nb\n[3] Three');
    expect(toActivity('3', shown)?.input).toEqual({ type: 'action', data: 'lg:en' });
    expect(toActivity('Two', shown)?.input).toEqual({ type: 'action', data: 'hp' });
    expect(toActivity('4', shown)).toBeUndefined();
    expect(toActivity('/help', shown)?.input).toEqual({ type: 'text', text: '/help' });
    // Four digits and more are text: a filing id typed bare.
    expect(toActivity('1234', shown)?.input).toEqual({ type: 'text', text: '1234' });
    // A pushed message (a reminder) numbers on, and its buttons join those offered.
    expect(shown.render([{ text: 'r', buttons: [[{ label: 'Four', data: 'x' }]] }], true)).toBe('r\n[4] Four');
    expect(toActivity('1', shown)?.input).toEqual({ type: 'action', data: 'my' });
    expect(toActivity('4', shown)?.input).toEqual({ type: 'action', data: 'x' });
    // A reply's buttons replace them all.
    expect(shown.render([{ text: 'c', buttons: [[{ label: 'Five', data: 'y' }]] }])).toBe('c\n[5] Five');
    expect(toActivity('1', shown)).toBeUndefined();
    expect(toActivity('Four', shown)?.input).toEqual({ type: 'text', text: 'Four' });
    expect(toActivity('5', shown)?.input).toEqual({ type: 'action', data: 'y' });
  });

  it('shows a link as its plain address on a line of its own, and numbers only the buttons that can be pressed', () => {
    const { text, buttons } = renderMessages([
      {
        text: 'a',
        buttons: [
          [{ label: 'Open the MIIT filing system', url: 'https://beian.miit.gov.cn' }],
          [
            { label: 'Next', data: 'vn:F-1' },
            { label: 'Site', url: 'https://example.cn' },
          ],
        ],
      },
    ]);
    expect(text).toBe('a\nOpen the MIIT filing system: https://beian.miit.gov.cn\n[1] Next\nSite: https://example.cn');
    expect(buttons).toEqual([{ label: 'Next', data: 'vn:F-1' }]);
    const shown = new ShownButtons();
    shown.render([{ text: 'a', buttons: [[{ label: 'Site', url: 'https://example.cn' }], [{ label: 'Next', data: 'vn:F-1' }]] }]);
    expect(toActivity('1', shown)?.input).toEqual({ type: 'action', data: 'vn:F-1' });
    expect(toActivity('2', shown)).toBeUndefined();
  });

  it('numbers start again at 1 rather than reach four digits', () => {
    const shown = new ShownButtons();
    const many = (n: number) => [{ text: 'm', buttons: [Array.from({ length: n }, (_, i) => ({ label: `B${i}`, data: `d${i}` }))] }];
    expect(shown.render(many(998))).toMatch(/\[998\] B997$/);
    expect(shown.render(many(2))).toBe('m\n[1] B0   [2] B1');
    expect(toActivity('2', shown)?.input).toEqual({ type: 'action', data: 'd1' });
  });

  it('runs a piped conversation to the end of input; numbers run on, and an earlier reply’s number is no longer offered', async () => {
    const w = await world();
    const out: string[] = [];
    const lines = ['/link 13800138000', '', '/lookup VE-2026-000101', '7', '1'];
    await runConsole({ handle: (a) => w.core.runner.handle(a, CONSOLE_CAPABILITIES), input: Readable.from(lines.map((l) => `${l}\n`)), write: (t) => out.push(t), locale: async () => 'zh' });
    const [linked, lookup, guide, gone] = out;
    expect(linked).toContain('已绑定：138****8000');
    expect(linked).toContain('[1] 查看 VE-2026-000101');
    expect(lookup).toContain('[7] 如何核验   [8] 没收到短信：重发\n[9] 我已完成核验');
    expect(guide).toContain('请在工信部备案管理系统完成核验');
    // The verify guide's link shows its address, unnumbered; the numbers go on with the buttons that can be pressed.
    expect(guide).toContain('打开工信部备案管理系统: https://beian.miit.gov.cn\n[12] 下一步');
    expect(gone).toBe('选项 1 已不再提供。请输入您上一条消息之后显示的按钮编号，或输入 /help 等命令。\n');
    await w.core.close();
  });

  it('`npm run dev` chats in the console: each line is answered, and Enter does not restart the app', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-dev-'));
    const dev = spawn('npm', ['run', 'dev', '--silent'], {
      cwd: root,
      detached: true,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STORE_URL: 'memory://', PHONE_KEY_FILE: join(dir, 'phone-key') },
    });
    let out = '';
    dev.stdout.on('data', (chunk) => (out += chunk));
    dev.stderr.on('data', (chunk) => (out += chunk));
    try {
      dev.stdin.end('/link 13800138000\n\n/help\n');
      // The watcher says so when the app has run to the end of its input; it then only waits for a file change.
      await waitFor('the app to finish its input under the watcher', () => out.includes("Completed running 'src/main.ts'"), 60_000);
      expect(out).toContain('已绑定：138****8000');
      expect(out).toContain('/link <手机号> — 绑定手机号（仅限控制台演示）');
      expect(out.match(/beian-assistant 控制台演示/g)).toHaveLength(1);
    } finally {
      process.kill(-dev.pid!, 'SIGTERM');
    }
  }, 90_000);

  it('/help offers the other language once, before and after linking', async () => {
    const w = await world();
    const out: string[] = [];
    const lines = ['/help', '/link 13800138000', '/help'];
    await runConsole({ handle: (a) => w.core.runner.handle(a, CONSOLE_CAPABILITIES), input: Readable.from(lines.map((l) => `${l}\n`)), write: (t) => out.push(t), locale: async () => 'zh' });
    const [before, , after] = out;
    expect(before).toMatch(/\n\[1\] 帮助 {3}\[2\] English\n$/);
    expect(before!.match(/English/g)).toHaveLength(1);
    expect(after).toMatch(/\[\d+\] 我的备案 {3}\[\d+\] 帮助\n\[\d+\] English\n$/);
    expect(after!.match(/\] English/g)).toHaveLength(1);
    await w.core.close();
  });

  it('`npm start` with no tokens chats over the demo filings and exits 0 at end of input', () => {
    const run = start('/link 13800138000\n/lookup VE-2026-000101\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('• 张* 138****8000，主体负责人、网站“示例官网”的网站负责人：待核验');
    expect(run.stdout).toContain('• 李* 139****9000');
    expect(run.stdout).toMatch(/截止时间：\d{4}-\d\d-\d\d \d\d:\d\d（北京时间），还剩 2[01] 小时 \d+ 分。/);
    expect(run.stdout).toContain('您需要核验：短信已发送至您的号码 138****8000。');
    expect(run.stdout).not.toContain('13800138000。');
  });

  it('a filings file with a bad phone in record 3 fails start-up naming record 3, its id and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beian-bad-'));
    const good = (id: string) => ({ id, type: 'cancel_access', subject: { name: 'S', principal: { name: '甲', phone: '13800138000' } }, status: 'draft' });
    const file = join(dir, 'filings.json');
    writeFileSync(file, JSON.stringify({ filings: [good('F-0001'), good('F-0002'), good('F-0003'), { ...good('F-0004'), subject: { name: 'S', principal: { name: '乙', phone: '12345' } } }] }));
    const run = start('', { FILINGS_FILE: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('record 3 (id F-0004), field subject.principal.phone');
    expect(run.stdout).not.toContain('已绑定');
  });

  it('a bad variable fails start-up with one clear line per variable', () => {
    const run = start('', { PORT: 'abc', DEFAULT_LOCALE: 'fr' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('PORT: must be a port number');
    expect(run.stderr).toContain('DEFAULT_LOCALE: must be zh or en');
  });
});

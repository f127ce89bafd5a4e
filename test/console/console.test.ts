import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderMessages, runConsole, toActivity } from '../../adapters/console/console.adapter.js';
import { world } from '../support/transcript.js';
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
  it('numbers buttons and presses one by number or label', () => {
    const { text, buttons } = renderMessages([
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
    expect(toActivity('3', buttons).input).toEqual({ type: 'action', data: 'lg:en' });
    expect(toActivity('Two', buttons).input).toEqual({ type: 'action', data: 'hp' });
    expect(toActivity('4', buttons).input).toEqual({ type: 'text', text: '4' });
    expect(toActivity('/help', buttons).input).toEqual({ type: 'text', text: '/help' });
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
    expect(toActivity('1', buttons).input).toEqual({ type: 'action', data: 'vn:F-1' });
    expect(toActivity('2', buttons).input).toEqual({ type: 'text', text: '2' });
  });

  it('runs a piped conversation to the end of input', async () => {
    const w = await world();
    const out: string[] = [];
    await runConsole({ handle: (a) => w.core.runner.handle(a, CONSOLE_CAPABILITIES), input: Readable.from(['/link 13800138000\n', '\n', '/lookup VE-2026-000101\n', '1\n', '1\n']), write: (t) => out.push(t) });
    const text = out.join('\n');
    expect(text).toContain('已绑定：138****8000');
    expect(text).toContain('请在工信部备案管理系统完成核验');
    // The verify guide's link shows its address; "1" is the first button that can be pressed.
    expect(text).toContain('打开工信部备案管理系统: https://beian.miit.gov.cn\n[1] 下一步');
    expect(text).toContain('短信中的 6 位数字验证码');
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

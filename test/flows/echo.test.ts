/** Issue 11 §5: only valid ids are echoed whole; nothing invisible (U+202E and friends) comes back, on the console and on Slack. */
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/activity.js';
import { ECHO_MAX } from '../../src/rules/echo.rules.js';
import { makeFiling } from '../fixtures/filings.fixture.js';
import { world, type World } from '../support/transcript.js';
import { startHarness, textOf, type Harness } from '../slack/slack.harness.js';

const RLO = '\u202E';
const INVISIBLES = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\uFEFF]/;

/** Every text and button label a chat received. */
function everything(messages: OutgoingMessage[]): string {
  return messages.flatMap((m) => [m.text, ...m.buttons.flat().map((b) => b.label)]).join('\n');
}

let w: World | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await w?.core.close();
  await h?.close();
  w = undefined;
  h = undefined;
});

describe('console transcript', () => {
  it('/lookup + 5,000 characters gives one short message echoing at most 40 of them', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    const junk = 'x'.repeat(5_000);
    await chat.send(`/lookup ${junk}`).expect('I found no filing');
    expect(chat.last).toHaveLength(1);
    const echoed = /no filing “([^”]*)”/.exec(chat.text)?.[1] ?? '';
    expect(Array.from(echoed).length).toBeLessThanOrEqual(ECHO_MAX);
    expect(echoed.startsWith('xxxx')).toBe(true);
    expect(chat.text.length).toBeLessThan(400);
  });

  it('a valid id is echoed whole; U+202E typed by the person never comes back', async () => {
    w = await world();
    const chat = w.chat({ locale: 'en' });
    await chat.send('/lookup VE-NOPE-0001').expect('no filing “VE-NOPE-0001”');
    await chat.send(`/lookup VE${RLO}-2026-000101`).check((c) => expect(c.text).not.toMatch(INVISIBLES));
    await chat.send(`/lookup ab${RLO}\u200Bcd\u2066ef`).expect('no filing “abcdef”');
    expect(everything(chat.all)).not.toMatch(INVISIBLES);
  });

  it('a name or website from the filing system holding U+202E is shown without it', async () => {
    const filing = makeFiling({
      id: 'VE-RLO-0001',
      subject: { name: `测试${RLO}公司`, principal: { name: '张三', phone: '13800138000' } },
      websites: [{ name: `官网${RLO}moc.elpmaxe`, domains: [], principal: { name: `李${RLO}四`, phone: '13900139000' } }],
    });
    w = await world({ filings: [filing] });
    const chat = w.chat({ channel: 'telegram' });
    await chat.contact('13800138000').send('/lookup VE-RLO-0001').expect('VE-RLO-0001').expect('测试公司');
    expect(everything(chat.all)).not.toMatch(INVISIBLES);
  });
});

describe('Slack', () => {
  it('notFound echoes at most 40 characters, without U+202E', async () => {
    h = await startHarness();
    const { reply } = await h.command(`VE${RLO}-${'y'.repeat(500)}`);
    const text = textOf(reply);
    expect(text).not.toMatch(INVISIBLES);
    expect(text).not.toContain('y'.repeat(40));
    expect(text).toContain('yyyy');
  });

  it('a filing whose names hold U+202E is rendered without it', async () => {
    const filing = makeFiling({ id: 'VE-RLO-0002', subject: { name: `测试${RLO}公司`, principal: { name: '张三', phone: '13800138000' } } });
    h = await startHarness({ filings: [filing] });
    const { reply } = await h.command('VE-RLO-0002');
    const text = textOf(reply);
    expect(text).toContain('测试公司');
    expect(text).not.toMatch(INVISIBLES);
  });
});

/** A transcript harness: tests read like the conversation (send, expect, tap), on a fake clock and a memory store. */
import { expect as vexpect } from 'vitest';
import { isLinkButton, type Activity, type ActionButton, type Capabilities, type ChannelId, type Locale, type OutgoingMessage } from '../../src/activity.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import type { Filing } from '../../src/filings/filing.js';
import { createLogger } from '../../src/log.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import type { Nudger } from '../../src/reminders/nudge.sender.js';
import { TELEGRAM_CAPABILITIES } from '../../adapters/telegram/telegram.translate.js';
import { CONSOLE_CAPABILITIES } from '../../adapters/console/console.adapter.js';
import { route } from '../../flows/router.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

/** Options for a test world. */
export interface WorldOptions {
  now?: string;
  store?: KeyvStateStore;
  filings?: Filing[];
  env?: Record<string, string>;
  /** A nudger to build the runner with, instead of the one over the core's channels. */
  nudge?: Nudger;
}

/** A core on a fake clock and a memory store, with captured logs. */
export interface World {
  core: Core;
  clock: FakeClock;
  logs: string[];
  chat(opts?: { user?: string; channel?: ChannelId; locale?: Locale; conversation?: string }): Chat;
}

/** What each platform's adapter declares it can do; a chat on that platform gets the same. */
const CAPABILITIES: Record<ChannelId, Capabilities> = {
  console: CONSOLE_CAPABILITIES,
  telegram: TELEGRAM_CAPABILITIES,
  slack: { canRequestContact: false, canDeleteMessages: false, canLinkByCommand: false },
};

/** Builds a world with the demo filings at DEMO_ANCHOR (so the file's times are the test's times). */
export async function world(opts: WorldOptions = {}): Promise<World> {
  const clock = new FakeClock(opts.now ?? DEMO_ANCHOR);
  const logs: string[] = [];
  const core = await createCore(loadConfig({ STORE_URL: 'memory://', ...opts.env }), {
    route,
    ...(opts.nudge ? { nudge: opts.nudge } : {}),
    clock,
    backend: localBackend(opts.store ?? KeyvStateStore.memory()),
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
    filings: opts.filings,
  });
  return {
    core,
    clock,
    logs,
    chat: (c = {}) => new Chat(core, c.channel ?? 'console', c.user ?? 'u1', c.conversation ?? c.user ?? 'u1', c.locale),
  };
}

/** One person's conversation; every call queues a step, and awaiting the chain runs them in order. */
export class Chat implements PromiseLike<void> {
  private chain: Promise<void> = Promise.resolve();
  /** The messages of the last turn. */
  last: OutgoingMessage[] = [];
  /** Every message received, in order. */
  readonly all: OutgoingMessage[] = [];

  constructor(
    readonly core: Core,
    readonly channel: ChannelId,
    readonly userId: string,
    readonly conversationId: string,
    readonly locale?: Locale,
  ) {}

  private step(fn: () => Promise<void> | void): this {
    this.chain = this.chain.then(fn);
    return this;
  }

  /** The text of the last turn, all messages joined. */
  get text(): string {
    return this.last.map((m) => m.text).join('\n\n');
  }

  /** Runs one activity input now (not queued); for concurrency tests. */
  async run(input: Activity['input']): Promise<OutgoingMessage[]> {
    const activity: Activity = { channel: this.channel, userId: this.userId, conversationId: this.conversationId, input, ...(this.locale ? { locale: this.locale } : {}) };
    const out = await this.core.runner.handle(activity, CAPABILITIES[this.channel] ?? CONSOLE_CAPABILITIES);
    this.last = out;
    this.all.push(...out);
    return out;
  }

  /** The person types a line. */
  send(text: string): this {
    return this.step(async () => void (await this.run({ type: 'text', text })));
  }

  /** The person shares a contact. */
  contact(phone: string, isOwn = true): this {
    return this.step(async () => void (await this.run({ type: 'contact', phone, isOwn })));
  }

  /** The person presses a button of the last turn, found by label (substring or pattern). */
  tap(label: string | RegExp): this {
    return this.step(async () => {
      // A link opens a web page and sends nothing back: it cannot be pressed.
      const buttons = this.last.flatMap((m) => m.buttons.flat().filter((b): b is ActionButton<string> => !isLinkButton(b)));
      const button = buttons.find((b) => (typeof label === 'string' ? b.label.includes(label) : label.test(b.label)));
      if (!button) throw new Error(`no button ${String(label)} in: ${buttons.map((b) => b.label).join(' | ')}\n--- last reply ---\n${this.text}`);
      await this.run({ type: 'action', data: button.data });
    });
  }

  /** The person sends raw button data (for tampered or stale buttons). */
  press(data: string): this {
    return this.step(async () => void (await this.run({ type: 'action', data })));
  }

  /** The last turn's text matches. */
  expect(pattern: string | RegExp): this {
    return this.step(() => {
      if (typeof pattern === 'string') vexpect(this.text).toContain(pattern);
      else vexpect(this.text).toMatch(pattern);
    });
  }

  /** The last turn's text does not match. */
  expectNot(pattern: string | RegExp): this {
    return this.step(() => {
      if (typeof pattern === 'string') vexpect(this.text).not.toContain(pattern);
      else vexpect(this.text).not.toMatch(pattern);
    });
  }

  /** The last turn offers a button with this label. */
  expectButton(label: string | RegExp): this {
    return this.step(() => {
      const labels = this.last.flatMap((m) => m.buttons.flat().map((b) => b.label));
      vexpect(
        labels.some((l) => (typeof label === 'string' ? l.includes(label) : label.test(l))),
        `buttons: ${labels.join(' | ')}`,
      ).toBe(true);
    });
  }

  /** The last turn offers a link with exactly this label that opens exactly this address. */
  expectLink(label: string, url: string): this {
    return this.step(() => {
      const links = this.last.flatMap((m) => m.buttons.flat().filter(isLinkButton));
      vexpect(links, `links of: ${this.text}`).toContainEqual({ label, url });
    });
  }

  /** Runs a check against the chat at this point. */
  check(fn: (chat: this) => void | Promise<void>): this {
    return this.step(() => fn(this));
  }

  then<R1 = void, R2 = never>(onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): PromiseLike<R1 | R2> {
    const chain = this.chain;
    this.chain = Promise.resolve();
    return chain.then(onfulfilled, onrejected);
  }
}

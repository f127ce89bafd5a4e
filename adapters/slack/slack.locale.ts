/** Each team member's own language (issue 11 §2): read once from Slack's `users.info` locale at first contact, then kept in the store. */
import type { Locale } from '../../src/activity.js';
import type { Logger } from '../../src/log.js';
import type { StateStore } from '../../src/store/state-store.js';

/** How long a member's looked-up locale is kept before Slack is asked again. */
export const LOCALE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Asks Slack for a member's locale (`users.info` with `include_locale`); undefined when Slack gives none. */
export type LocaleLookup = (user: string) => Promise<string | undefined>;

/** Our locale for a Slack locale tag (`zh-CN` → zh, `en-US` → en), else the fallback. */
export function toLocale(slackLocale: string | undefined, fallback: Locale): Locale {
  const tag = (slackLocale ?? '').toLowerCase();
  if (tag.startsWith('zh')) return 'zh';
  if (tag.startsWith('en')) return 'en';
  return fallback;
}

/** Members' locales, looked up once per member and cached in the store (`locale:<team>:<user>`). */
export class SlackLocales {
  private warned = false;
  private readonly pending = new Map<string, Promise<Locale>>();

  constructor(
    private readonly store: StateStore,
    private readonly lookup: LocaleLookup,
    private readonly fallback: Locale,
    private readonly logger: Logger,
  ) {}

  /** The member's locale; the default when they are unknown or Slack cannot say. Never rejects. */
  async of(team: string | undefined, user: string | undefined): Promise<Locale> {
    if (!user) return this.fallback;
    const key = `locale:${team ?? '-'}:${user}`;
    // Concurrent first requests of one member share a single users.info call.
    const running = this.pending.get(key);
    if (running) return running;
    const work = this.resolve(key, user).finally(() => this.pending.delete(key));
    this.pending.set(key, work);
    return work;
  }

  private async resolve(key: string, user: string): Promise<Locale> {
    try {
      const stored = await this.store.get<Locale>(key);
      if (stored === 'zh' || stored === 'en') return stored;
    } catch (error) {
      this.logger.warn('slack: could not read a member locale', { error });
      return this.fallback;
    }
    let locale: Locale;
    try {
      locale = toLocale(await this.lookup(user), this.fallback);
    } catch (error) {
      // Logged once per process: a missing `users:read` scope would otherwise log on every first contact.
      if (!this.warned) this.logger.warn('slack: users.info failed; replying in the default locale', { error });
      this.warned = true;
      return this.fallback;
    }
    await this.store.set(key, locale, LOCALE_TTL_MS).catch((error: unknown) => this.logger.warn('slack: could not store a member locale', { error }));
    return locale;
  }
}

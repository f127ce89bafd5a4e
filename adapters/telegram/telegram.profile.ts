/** The bot's profile texts (issue 13): its description and short description in zh and en, set at start. */
import type { Telegram } from 'telegraf';
import type { Locale } from '../../src/activity.js';
import { t } from '../../src/i18n/catalog.js';
import type { Logger } from '../../src/log.js';

/** The two Bot API calls this needs, so a test can pass a recorder. */
export type ProfileApi = Pick<Telegram, 'setMyDescription' | 'setMyShortDescription'>;

/**
 * Sets the description and short description for zh, for en, and (in the default locale) for every
 * other language; a failed call is logged and never stops the start. Resolves to how many calls failed.
 */
export async function setBotProfile(api: ProfileApi, logger: Logger, defaultLocale: Locale): Promise<number> {
  // An empty language code is the fallback for users whose language has no dedicated text.
  const targets: Array<[Locale, string]> = [
    [defaultLocale, ''],
    ['zh', 'zh'],
    ['en', 'en'],
  ];
  const calls = targets.flatMap(([locale, code]) => [
    { method: 'setMyDescription', code, run: () => api.setMyDescription(t(locale, 'tg.description'), code || undefined) },
    { method: 'setMyShortDescription', code, run: () => api.setMyShortDescription(t(locale, 'tg.shortDescription'), code || undefined) },
  ]);
  const results = await Promise.allSettled(calls.map((c) => c.run()));
  let failed = 0;
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    failed += 1;
    const reason = result.reason as { description?: string; response?: { description?: string }; message?: string };
    // `language`, not `languageCode`: the logger redacts any field named like a code (RULES R8).
    logger.warn('telegram profile call failed', { method: calls[i]!.method, language: calls[i]!.code || '(default)', error: reason?.response?.description ?? reason?.description ?? reason?.message ?? String(reason) });
  });
  return failed;
}

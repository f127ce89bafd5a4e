import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegram } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import { setBotProfile } from '../../adapters/telegram/telegram.profile.js';
import { t } from '../../src/i18n/catalog.js';
import { createLogger } from '../../src/log.js';

interface Call {
  method: string;
  body: Record<string, unknown>;
}

/** A Bot API stand-in on loopback that records each call and refuses the methods it is told to. */
async function botApi(refuse: Set<string> = new Set()): Promise<{ root: string; calls: Call[]; server: Server }> {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop() ?? '';
      const raw = Buffer.concat(chunks).toString('utf8');
      calls.push({ method, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
      const answer = refuse.has(method) ? { ok: false, error_code: 400, description: `Bad Request: ${method} refused` } : { ok: true, result: true };
      res.writeHead(refuse.has(method) ? 400 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  servers = [];
});

describe('issue 13 the bot profile is set at start', () => {
  it('sets the description and short description for zh, en and the default (no language code), through telegraf', async () => {
    const api = await botApi();
    servers.push(api.server);
    const failed = await setBotProfile(new Telegram('123:ABC', { apiRoot: api.root }), createLogger({ sink: () => {} }), 'zh');
    expect(failed).toBe(0);
    const seen = api.calls.map((c) => `${c.method} ${c.body.language_code ?? '(default)'}`).sort();
    expect(seen).toEqual(['setMyDescription (default)', 'setMyDescription en', 'setMyDescription zh', 'setMyShortDescription (default)', 'setMyShortDescription en', 'setMyShortDescription zh']);
    const find = (method: string, code?: string) => api.calls.find((c) => c.method === method && c.body.language_code === code)!.body;
    expect(find('setMyDescription', 'en').description).toBe(t('en', 'tg.description'));
    expect(find('setMyDescription', 'zh').description).toBe(t('zh', 'tg.description'));
    expect(find('setMyShortDescription', 'en').short_description).toBe(t('en', 'tg.shortDescription'));
    expect(find('setMyShortDescription', undefined).short_description).toBe(t('zh', 'tg.shortDescription'));
  });

  it('the default language follows DEFAULT_LOCALE', async () => {
    const api = await botApi();
    servers.push(api.server);
    await setBotProfile(new Telegram('123:ABC', { apiRoot: api.root }), createLogger({ sink: () => {} }), 'en');
    expect(api.calls.find((c) => c.method === 'setMyDescription' && c.body.language_code === undefined)!.body.description).toBe(t('en', 'tg.description'));
  });

  it('a refused call is logged with its method and language, and never throws; the others still go through', async () => {
    const api = await botApi(new Set(['setMyShortDescription']));
    servers.push(api.server);
    const logs: string[] = [];
    const failed = await setBotProfile(new Telegram('123:ABC', { apiRoot: api.root }), createLogger({ sink: (line) => logs.push(line) }), 'zh');
    expect(failed).toBe(3);
    expect(api.calls.filter((c) => c.method === 'setMyDescription')).toHaveLength(3);
    const warnings = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'telegram profile call failed');
    expect(warnings.map((w) => w.language).sort()).toEqual(['(default)', 'en', 'zh']);
    expect(warnings.every((w) => w.method === 'setMyShortDescription' && String(w.error).includes('refused'))).toBe(true);
  });

  it('an unreachable Bot API is logged, not fatal', async () => {
    const api = await botApi();
    await new Promise((resolve) => api.server.close(resolve));
    const logs: string[] = [];
    expect(await setBotProfile(new Telegram('123:ABC', { apiRoot: api.root }), createLogger({ sink: (line) => logs.push(line) }), 'zh')).toBe(6);
    expect(logs.filter((l) => l.includes('telegram profile call failed'))).toHaveLength(6);
  });

  it('the texts fit Telegram’s limits (512 and 120 characters) in both languages', () => {
    for (const locale of ['zh', 'en'] as const) {
      expect(t(locale, 'tg.description').length).toBeLessThanOrEqual(512);
      expect(t(locale, 'tg.shortDescription').length).toBeLessThanOrEqual(120);
    }
  });
});

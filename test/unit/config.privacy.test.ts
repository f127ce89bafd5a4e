import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { problemsOf } from '../support/config.js';

describe('CONTRACT §3 the variables of issue 11', () => {
  it("§3 defaults: all IPv4 interfaces, no key configured (the key file default is phoneKeySource's), 180 days, no metrics token", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '0.0.0.0', retentionDays: 180 });
    expect(config.phoneKeySecret).toBeUndefined();
    expect(config.phoneKeyFile).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
  });

  it('§3 good values are read', () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PHONE_KEY_SECRET: ' 6f1d0c3b9a8e7f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a ',
      PHONE_KEY_FILE: '/etc/beian/phone-key',
      RETENTION_DAYS: ' 30 ',
      METRICS_TOKEN: 'prom-scrape-token-0123',
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      phoneKeySecret: '6f1d0c3b9a8e7f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a',
      phoneKeyFile: '/etc/beian/phone-key',
      retentionDays: 30,
      metricsToken: 'prom-scrape-token-0123',
    });
  });

  it.each(['0.0.0.0', '::', '::1', '127.0.0.1', 'localhost', 'bot.internal.example.com'])('§3 HOST=%s is accepted', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it.each(['1', '3650'])('§3 RETENTION_DAYS=%s is accepted', (days) => {
    expect(loadConfig({ RETENTION_DAYS: days }).retentionDays).toBe(Number(days));
  });

  it('§3 a base64 secret of 32 bytes is accepted as it is', () => {
    const secret = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M=';
    expect(loadConfig({ PHONE_KEY_SECRET: secret }).phoneKeySecret).toBe(secret);
  });

  it.each<[string, Record<string, string>, string, RegExp]>([
    ['PHONE_KEY_SECRET too short', { PHONE_KEY_SECRET: 'abc123' }, 'PHONE_KEY_SECRET', /at least 32 characters/],
    ['PHONE_KEY_SECRET one letter repeated', { PHONE_KEY_SECRET: 'a'.repeat(40) }, 'PHONE_KEY_SECRET', /random/],
    ['HOST with a space', { HOST: 'local host' }, 'HOST', /IP address/],
    ['HOST with a port', { HOST: '127.0.0.1:3000' }, 'HOST', /IP address/],
    ['HOST as a URL', { HOST: 'http://example.com' }, 'HOST', /host name/],
    ['RETENTION_DAYS=0', { RETENTION_DAYS: '0' }, 'RETENTION_DAYS', /at least 1/],
    ['RETENTION_DAYS=3651', { RETENTION_DAYS: '3651' }, 'RETENTION_DAYS', /at most 3650/],
    ['RETENTION_DAYS=1.5', { RETENTION_DAYS: '1.5' }, 'RETENTION_DAYS', /whole number/],
    ['RETENTION_DAYS=six months', { RETENTION_DAYS: 'six months' }, 'RETENTION_DAYS', /whole number/],
    ['METRICS_TOKEN too short', { METRICS_TOKEN: 'short' }, 'METRICS_TOKEN', /at least 16/],
    ['METRICS_TOKEN with a space', { METRICS_TOKEN: 'has a space in the middle' }, 'METRICS_TOKEN', /no spaces/],
  ])('§3 %s gives one clear problem naming it', (_name, env, variable, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
    expect(problems[0]).toMatch(message);
    // The secret itself is never repeated in the error.
    if (env.PHONE_KEY_SECRET) expect(problems[0]).not.toContain(env.PHONE_KEY_SECRET);
  });

  it('§3 every new variable is listed in .env.example with a comment above it', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
    for (const name of ['PHONE_KEY_SECRET', 'PHONE_KEY_FILE', 'HOST', 'RETENTION_DAYS', 'METRICS_TOKEN', 'LOG_LEVEL']) {
      const at = example.findIndex((line) => line.startsWith(`${name}=`));
      expect(at, name).toBeGreaterThan(0);
      expect(example[at - 1], name).toMatch(/^#/);
    }
  });
});

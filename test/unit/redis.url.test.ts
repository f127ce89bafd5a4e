import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { describeRedisTarget, parseRedisUrl } from '../../src/backends/redis/redis.url.js';

describe('CONTRACT §3 STORE_URL=redis://[user:pass@]host:port[/db]', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0, tls: false, username: undefined, password: undefined }],
    ['redis://10.0.0.5:6380/2', { host: '10.0.0.5', port: 6380, db: 2, tls: false, username: undefined, password: undefined }],
    ['rediss://app:s%40cret@cache.internal:6380/1', { host: 'cache.internal', port: 6380, db: 1, tls: true, username: 'app', password: 's@cret' }],
    ['redis://:only-pass@[::1]:7000', { host: '::1', port: 7000, db: 0, tls: false, username: undefined, password: 'only-pass' }],
  ])('§3 %s is read as host, port, db, TLS and credentials', (url, target) => {
    expect(parseRedisUrl(url)).toEqual(target);
  });

  it('R8 the description for logs carries neither user nor password', () => {
    const described = describeRedisTarget(parseRedisUrl('rediss://app:hunter2@cache:6380/1'));
    expect(described).toBe('rediss://cache:6380/1');
  });

  it.each([
    ['redis://', /needs a host/],
    ['redis://cache:6379/zero', /database number/],
    ['redis://cache:6379/0?family=6', /no \?query/],
  ])('§3 loadConfig refuses STORE_URL=%s, saying why', (url, problem) => {
    expect(() => loadConfig({ STORE_URL: url })).toThrow(/STORE_URL/);
    expect(() => loadConfig({ STORE_URL: url })).toThrow(problem);
  });

  it('§3 loadConfig accepts a redis:// and a rediss:// STORE_URL', () => {
    expect(loadConfig({ STORE_URL: 'redis://cache:6379/0' }).storeUrl).toBe('redis://cache:6379/0');
    expect(loadConfig({ STORE_URL: 'rediss://u:p@cache:6380' }).storeUrl).toBe('rediss://u:p@cache:6380');
  });
});

/** Parsing `STORE_URL=redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS), shared by config and the Redis store. */

/** Where and how to connect, read from a Redis URL. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

/** Reads a redis:// or rediss:// URL; throws an Error saying what is wrong (never echoing the password). */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('must be redis://[user:pass@]host:port[/db] or rediss://…');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error('must start with redis:// or rediss://');
  if (!parsed.hostname) throw new Error('needs a host: redis://host:6379');
  if (parsed.search || parsed.hash) throw new Error('takes no ?query or #fragment: redis://[user:pass@]host:port[/db]');
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw new Error('the path must be a database number, as in redis://host:6379/0');
  return {
    // WHATWG URL keeps the brackets of an IPv6 literal; the socket wants the bare address.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    db: path === '' ? 0 : Number(path),
    tls: parsed.protocol === 'rediss:',
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

/** The target as it may appear in logs and errors: no user name, no password. */
export function describeRedisTarget(target: RedisTarget): string {
  return `${target.tls ? 'rediss' : 'redis'}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}/${target.db}`;
}

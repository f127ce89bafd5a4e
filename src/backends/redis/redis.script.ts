/** A Lua script run with EVALSHA, loaded with EVAL the first time a Redis does not know it (after a restart, on a new server). */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One Lua script; the same object serves every connection. */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script atomically with the given keys and arguments. */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // NOSCRIPT: this server has not seen the script yet (or was restarted). EVAL also caches it.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * The reminder time index shared on Redis (issue 10 item 3): one sorted set of filing ids scored by
 * their next due instant, written by whichever instance applied a filing change and read by the
 * leader's tick, so a new leader starts from it instead of rescanning every filing.
 *
 * A popped key is not removed but pushed `bumpMs` later in the same script: if the leader dies
 * before `reschedule`, the next leader sees the key again after that delay (a replan is harmless:
 * the sent markers stop repeats). `reschedule` moves it to its planned next instant only when no
 * change touched it since the pop (its score is still the bump); a change's earlier time wins.
 */
import type { RedisConnection } from './redis.connection.js';
import { RedisScript } from './redis.script.js';
import type { DueIndex } from '../../reminders/time.index.js';

/** KEYS: the set. ARGV: now, bump instant, limit. The due ids, earliest first, each moved to the bump instant. */
const POP = new RedisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
`);

/**
 * KEYS: the set. ARGV: quadruples (op, id, a, b), applied in order. Ops: `s` set to a; `l` set to a
 * if earlier or absent; `d` delete; `r` reschedule a popped id whose bump was a to b ('' = out).
 */
const APPLY = new RedisScript(`
local key = KEYS[1]
for i = 1, #ARGV, 4 do
  local op, id, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 's' then redis.call('ZADD', key, a, id)
  elseif op == 'l' then redis.call('ZADD', key, 'LT', a, id)
  elseif op == 'd' then redis.call('ZREM', key, id)
  else
    local current = redis.call('ZSCORE', key, id)
    if current and tonumber(current) == tonumber(a) then
      if b == '' then redis.call('ZREM', key, id) else redis.call('ZADD', key, b, id) end
    elseif b ~= '' then redis.call('ZADD', key, 'LT', b, id) end
  end
end
return 1
`);

type Op = [op: 's' | 'l' | 'd' | 'r', id: string, a: number | '', b: number | ''];

const OPS_PER_CALL = 2_000;
const POP_BATCH = 5_000;

/** A DueIndex in one Redis sorted set, shared by every instance on it. */
export class RedisTimeIndex implements DueIndex {
  private readonly key: string;
  private ops: Op[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private readonly bumps = new Map<string, number>();
  private cachedSize = 0;
  private cachedPeek?: number;

  private readonly bumpMs: number;

  /** `bumpMs`: how long a popped key stays out if its tick never reschedules it (the leader died); the scheduler's retry delay. */
  constructor(
    private readonly connection: RedisConnection,
    opts: { root?: string; bumpMs?: number } = {},
  ) {
    this.key = `${opts.root ?? 'beian'}.reminders:due`;
    this.bumpMs = opts.bumpMs ?? 60_000;
  }

  get size(): number {
    return this.cachedSize;
  }

  peek(): number | undefined {
    return this.cachedPeek;
  }

  set(id: string, at: number): void {
    this.push(['s', id, at, '']);
  }

  setEarlier(id: string, at: number): void {
    this.push(['l', id, at, '']);
  }

  delete(id: string): void {
    this.push(['d', id, '', '']);
  }

  reschedule(id: string, next: number | undefined): void {
    const bump = this.bumps.get(id);
    this.bumps.delete(id);
    if (bump === undefined) {
      if (next !== undefined) this.setEarlier(id, next);
      return;
    }
    this.push(['r', id, bump, next ?? '']);
  }

  async popDue(now: number): Promise<string[]> {
    await this.flush();
    const bump = now + this.bumpMs;
    const out: string[] = [];
    for (;;) {
      const ids = (await this.connection.run('index', (c) => POP.run(c, [this.key], [now, bump, POP_BATCH]))) as string[];
      for (const id of ids) this.bumps.set(id, bump);
      out.push(...ids);
      if (ids.length < POP_BATCH) break;
    }
    const [size, first] = await this.connection.run('index', (c) => Promise.all([c.zcard(this.key), c.zrange(this.key, 0, 0, 'WITHSCORES')]));
    this.cachedSize = size;
    this.cachedPeek = first[1] === undefined ? undefined : Number(first[1]);
    return out;
  }

  /** Sends every buffered write, in order; a failed call keeps its writes for the next flush and rejects. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.send());
    return this.flushing;
  }

  private push(op: Op): void {
    this.ops.push(op);
    if (this.scheduled) return;
    this.scheduled = true;
    // Writes of one burst (a start's reindex, a tick) go out together, in one script call per 2,000.
    setImmediate(() => {
      this.scheduled = false;
      // A failure here surfaces at the next popDue, which flushes again.
      this.flush().catch(() => undefined);
    });
  }

  private async send(): Promise<void> {
    while (this.ops.length > 0) {
      const batch = this.ops.splice(0, OPS_PER_CALL);
      try {
        await this.connection.run('index', (c) => APPLY.run(c, [this.key], batch.flat()));
      } catch (error) {
        this.ops.unshift(...batch);
        throw error;
      }
    }
  }
}

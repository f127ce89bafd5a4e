/**
 * Filings shared by several instances on one Redis (issue 10 item 2). Redis holds every filing and
 * the phone index; an instance keeps only a small read-through cache (at most `cacheSize` filings,
 * each for at most `cacheMs`, 1 s by default), so its memory does not grow with the filings, and a
 * change applied on one instance is seen by a lookup on any other within `cacheMs`.
 *
 * FILINGS_FILE is imported once per content hash, by whichever instance holds the import lease;
 * the others wait for it. As with the embedded store, a filing changed by an event keeps the
 * event's version over the file's on a later import.
 *
 * The synchronous reads of FilingSource (`get`, `byPhoneKey`, `all`, …) would need every filing in
 * memory, so here they throw: every shared code path uses `load`, `loadByPhoneKey`, `scanOpen`, …
 *
 * Layout under `<root>.filings:`: `f:<id>` a hash {j: JSON, k: phone keys}, `p:<key>` the ids
 * naming a phone, `all` and `open` id sets, `evented` the ids an event changed, `imported` the hash
 * of the last imported file, `lease` the import lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FilingEvent } from './events.js';
import type { Filing } from './filing.js';
import { CLOSED_MARK_TTL_MS, CLOSED_STATUSES, FilingSource, type ApplyResult } from './filings.js';
import type { Logger } from './log.js';
import { phonesOf } from './rules/verifiers.rules.js';
import type { RedisConnection } from './backends/redis/redis.connection.js';
import { RedisLease } from './backends/redis/redis.lease.js';
import { RedisScript } from './backends/redis/redis.script.js';
import type { StateStore } from './store/state-store.js';
import type { FilingsImport } from './filings.import.js';

/**
 * KEYS: none. ARGV: prefix, evented ('1' = an event wrote it, '' = the file), then per filing: id,
 * JSON, open ('1'/''), key count, keys… A file record never overwrites an event's version.
 */
const PUT = new RedisScript(`
local p, evented = ARGV[1], ARGV[2]
local i = 3
while i <= #ARGV do
  local id, json, open, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local fk = p..'f:'..id
  if evented == '1' or redis.call('SISMEMBER', p..'evented', id) == 0 then
    local old = redis.call('HGET', fk, 'k')
    if old then for key in string.gmatch(old, '[^,]+') do redis.call('SREM', p..'p:'..key, id) end end
    local keys = {}
    for k = 1, n do
      keys[k] = ARGV[i + 3 + k]
      redis.call('SADD', p..'p:'..keys[k], id)
    end
    redis.call('HSET', fk, 'j', json, 'k', table.concat(keys, ','))
    redis.call('SADD', p..'all', id)
    if open == '1' then redis.call('SADD', p..'open', id) else redis.call('SREM', p..'open', id) end
    if evented == '1' then redis.call('SADD', p..'evented', id) end
  end
  i = i + 4 + n
end
return 1
`);

/** ARGV: prefix, id. Removes a filing, its phone index entries and its set memberships. */
const DROP = new RedisScript(`
local p, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', p..'f:'..id, 'k')
if old then for key in string.gmatch(old, '[^,]+') do redis.call('SREM', p..'p:'..key, id) end end
redis.call('DEL', p..'f:'..id)
redis.call('SREM', p..'all', id)
redis.call('SREM', p..'open', id)
redis.call('SREM', p..'evented', id)
return 1
`);

/** Options of the shared source. */
export interface RedisFilingsOptions {
  connection: RedisConnection;
  /** The StateStore on the same Redis: its locks serialize events per filing across instances. */
  store: StateStore;
  keyOf: (phone: string) => string;
  root?: string;
  logger?: Logger;
  cacheSize?: number;
  cacheMs?: number;
  /** How long a waiting instance waits for another's import before it fails the start. Default 10 min. */
  importWaitMs?: number;
}

const BATCH = 500;

/** The FilingSource of several instances: filings and their phone index in Redis, a small cache here. */
export class RedisFilingSource extends FilingSource {
  private readonly p: string;
  private readonly cache = new Map<string, { filing: Filing | undefined; at: number }>();
  private importedHere = false;

  private constructor(private readonly o: RedisFilingsOptions & { root: string; cacheSize: number; cacheMs: number }) {
    // Sealed as in one process: phones kept as masked form plus key, names masked (issue 11).
    super([], o.store, o.keyOf, { seal: true });
    this.p = `${o.root}.filings:`;
  }

  /** Opens the shared filings, importing the file first when this content was never imported (by whoever holds the lease). */
  static async openShared(source: FilingsImport, opts: RedisFilingsOptions): Promise<RedisFilingSource> {
    const filings = new RedisFilingSource({ ...opts, root: opts.root ?? 'beian', cacheSize: opts.cacheSize ?? 2_000, cacheMs: opts.cacheMs ?? 1_000 });
    await filings.importOnce(source, opts.importWaitMs ?? 600_000);
    return filings;
  }

  private async importOnce(source: FilingsImport, waitMs: number): Promise<void> {
    const { connection } = this.o;
    const leaseKey = `${this.p}lease`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if ((await connection.run('filings', (c) => c.get(`${this.p}imported`))) === source.hash) return;
      const lease = new RedisLease(connection, leaseKey, 30_000, 'filings');
      if (await lease.hold()) {
        lease.keepRenewed();
        try {
          await this.write(source.records(), false);
        } catch (error) {
          await lease.release();
          throw error;
        }
        // Marked imported only if the lease held throughout; otherwise another instance imports again (the writes are idempotent).
        if (await lease.release()) await connection.run('filings', (c) => c.set(`${this.p}imported`, source.hash));
        this.importedHere = true;
        this.o.logger?.info('filings imported into the shared store', { filings: await this.count() });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`FILINGS_FILE: another instance has been importing it for over ${Math.round(waitMs / 1000)} s; check its log`);
      await sleep(250);
    }
  }

  /** Writes filings and their phone keys in batches; `evented` marks them as an event's version. */
  private async write(filings: Filing[], evented: boolean): Promise<void> {
    for (let i = 0; i < filings.length; i += BATCH) {
      const args: Array<string | number> = [this.p, evented ? '1' : ''];
      for (const raw of filings.slice(i, i + BATCH)) {
        const f = this.sealed(raw);
        const keys = [...new Set(phonesOf(f).map(this.keyOf))];
        args.push(f.id, JSON.stringify(f), f.status === 'verifying' && f.cycle ? '1' : '', keys.length, ...keys);
      }
      await this.o.connection.run('filings', (c) => PUT.run(c, [], args));
    }
  }

  /** How many filings this instance holds in its cache now (never more than `cacheSize`). */
  get cached(): number {
    return this.cache.size;
  }

  override get shared(): boolean {
    return true;
  }

  override async load(id: string, opts: { fresh?: boolean } = {}): Promise<Filing | undefined> {
    const hit = opts.fresh ? undefined : this.cache.get(id);
    if (hit && Date.now() - hit.at < this.o.cacheMs) return hit.filing;
    const [filing] = await this.fetch([id]);
    return filing;
  }

  override async loadByPhoneKey(key: string): Promise<Filing[]> {
    const ids = await this.o.connection.run('filings', (c) => c.smembers(`${this.p}p:${key}`));
    return (await this.fetch(ids.sort())).filter((f): f is Filing => f !== undefined);
  }

  override async *scanOpen(): AsyncIterable<Filing> {
    for await (const f of this.scan('open')) if (f.status === 'verifying' && f.cycle) yield f;
  }

  override scanAll(): AsyncIterable<Filing> {
    return this.scan('all');
  }

  /** How many filings the shared store holds. */
  count(): Promise<number> {
    return this.o.connection.run('filings', (c) => c.scard(`${this.p}all`));
  }

  override countOpen(): Promise<number> {
    return this.o.connection.run('filings', (c) => c.scard(`${this.p}open`));
  }

  /** Only the instance that imported the file indexes it; the others find the shared time index built. */
  override toIndexAtStart(): AsyncIterable<Filing> {
    return this.importedHere ? this.scanOpen() : (async function* () {})();
  }

  /** Applies an event under the filing's lock on the shared store, reading the filing from Redis (never the cache). */
  override async apply(event: FilingEvent): Promise<ApplyResult> {
    const id = event.type === 'filing.upserted' ? event.filing.id : event.filingId;
    return this.o.store.withLock(`lock:filing:${id}`, async () => {
      this.cache.delete(id);
      const [previous] = await this.fetch([id]);
      const result = this.transition(previous, event);
      if (!result.ok || result.filing === previous) return result;
      if (!CLOSED_STATUSES.has(result.filing.status)) await this.o.store.delete(`closed:${id}`);
      else if ((await this.loadClosedAt(id)) === undefined) await this.markClosed(id, event.at);
      await this.write([result.filing], true);
      this.remember(id, result.filing);
      this.notify(result.filing, previous, event);
      return result;
    });
  }

  override async loadClosedAt(id: string): Promise<string | undefined> {
    const at = await this.o.store.get<string>(`closed:${id}`);
    return typeof at === 'string' ? at : undefined;
  }

  /** Dates a closed filing in the shared store only (no per-instance map: memory stays flat). */
  override async markClosed(id: string, at: string): Promise<void> {
    await this.o.store.set(`closed:${id}`, at, CLOSED_MARK_TTL_MS);
  }

  /** Removes a filing from Redis (retention), under its lock; its closing time is kept. */
  override async drop(id: string): Promise<void> {
    await this.o.store.withLock(`lock:filing:${id}`, async () => {
      await this.o.connection.run('filings', (c) => DROP.run(c, [], [this.p, id]));
      this.cache.delete(id);
    });
  }

  override closedAt(_id: string): string | undefined {
    throw syncRead('closedAt');
  }

  override get(_id: string): Filing | undefined {
    throw syncRead('get');
  }

  override byPhoneKey(_key: string): Filing[] {
    throw syncRead('byPhoneKey');
  }

  override all(): IterableIterator<Filing> {
    throw syncRead('all');
  }

  override openWindows(): Iterable<Filing> {
    throw syncRead('openWindows');
  }

  override get size(): number {
    throw syncRead('size');
  }

  /** Reads filings by id from Redis (one round trip) and caches them. */
  private async fetch(ids: string[]): Promise<Array<Filing | undefined>> {
    if (ids.length === 0) return [];
    const rows = await this.o.connection.run('filings', (c) => {
      const pipe = c.pipeline();
      for (const id of ids) pipe.hget(`${this.p}f:${id}`, 'j');
      return pipe.exec();
    });
    return ids.map((id, i) => {
      const [error, json] = rows?.[i] ?? [new Error('no reply')];
      if (error) throw error;
      const filing = typeof json === 'string' ? (JSON.parse(json) as Filing) : undefined;
      this.remember(id, filing);
      return filing;
    });
  }

  private remember(id: string, filing: Filing | undefined): void {
    this.cache.delete(id);
    this.cache.set(id, { filing, at: Date.now() });
    // A Map keeps insertion order: the first key is the least recently fetched.
    if (this.cache.size > this.o.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  private async *scan(set: 'all' | 'open'): AsyncIterable<Filing> {
    let cursor = '0';
    const seen = new Set<string>();
    do {
      const [next, ids] = await this.o.connection.run('filings', (c) => c.sscan(`${this.p}${set}`, cursor, 'COUNT', BATCH));
      cursor = next;
      // SSCAN may return an id twice; a filing is yielded once.
      const fresh = ids.filter((id) => !seen.has(id) && seen.add(id));
      for (const f of await this.fetch(fresh)) if (f) yield f;
    } while (cursor !== '0');
  }
}

function syncRead(name: string): Error {
  return new Error(`FilingSource.${name}() reads memory, and shared filings live in Redis: use the async read (load, loadByPhoneKey, scanOpen, scanAll)`);
}

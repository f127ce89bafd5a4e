/**
 * Filings shared by several instances on one Redis (issue 10 item 2). Redis holds every filing and
 * the phone index; an instance keeps only a small read-through cache (at most `cacheSize` filings,
 * each for at most `cacheMs`, 1 s by default), so its memory does not grow with the filings, and a
 * change applied on one instance is seen by a lookup on any other within `cacheMs`.
 *
 * FILINGS_FILE is imported once per content hash, by whichever instance holds the import lease
 * (it reads and checks the file before its port opens, and writes it in `settle()`); the others'
 * reads wait for it. As with the local tables, a filing changed by an event keeps the event's
 * version over the file's on a later import.
 *
 * Layout under `<root>.filings:`: `f:<id>` a hash {j: JSON, k: phone keys}, `p:<key>` the ids
 * naming a phone, `all` and `open` id sets, `evented` the ids an event changed, `imported` the hash
 * of the last imported file, `lease` the import lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FilingEvent } from './events.js';
import type { Filing } from './filing.js';
import type { Logger } from '../log.js';
import { phonesOf } from '../rules/verifiers.rules.js';
import type { RedisConnection } from '../backends/redis/redis.connection.js';
import { RedisLease } from '../backends/redis/redis.lease.js';
import { RedisScript } from '../backends/redis/redis.script.js';
import { alreadyImported, PAGE_SIZE, importInBatches, type FilingsImport } from './filings.import.js';
import { applyEvent, ClosedMarks, filingSealer, isOpen, phoneKeyer, type ApplyResult, type FilingListener, type FilingSource, type FilingSourceParts } from './filings.port.js';

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
export interface RedisFilingsOptions extends FilingSourceParts {
  connection: RedisConnection;
  root?: string;
  logger?: Logger;
  cacheSize?: number;
  cacheMs?: number;
  /** How long a waiting instance waits for another's import before its reads fail. Default 10 min. */
  importWaitMs?: number;
}

const LEASE_MS = 30_000;

/** The FilingSource of several instances: filings and their phone index in Redis, a small cache here. */
export class RedisFilingSource implements FilingSource {
  private readonly p: string;
  private readonly cache = new Map<string, { filing: Filing | undefined; at: number }>();
  private readonly keyOf: (phone: string) => string;
  private readonly seal: (filing: Filing) => Filing;
  private readonly closed: ClosedMarks;
  private readonly listeners: FilingListener[] = [];
  private importedHere = false;
  private pending?: { source: FilingsImport; lease?: RedisLease; records?: Filing[] };
  private importing?: Promise<void>;

  private constructor(private readonly o: RedisFilingsOptions & { root: string; cacheSize: number; cacheMs: number; importWaitMs: number }) {
    this.p = `${o.root}.filings:`;
    this.keyOf = phoneKeyer(o.keyOf);
    this.seal = filingSealer(o, this.keyOf);
    this.closed = new ClosedMarks(o.store);
  }

  /**
   * Opens the shared filings. When this content was never imported and this instance takes the
   * import lease, it reads and checks the file now (a FilingsFileError fails the start) and writes it
   * in `settle()`; otherwise its reads wait there for the instance that holds the lease.
   */
  static async open(source: FilingsImport, opts: RedisFilingsOptions): Promise<RedisFilingSource> {
    const filings = new RedisFilingSource({ ...opts, root: opts.root ?? 'beian', cacheSize: opts.cacheSize ?? 2_000, cacheMs: opts.cacheMs ?? 1_000, importWaitMs: opts.importWaitMs ?? 600_000 });
    if (alreadyImported(source, await filings.importedHash(), opts.logger)) return filings;
    const lease = await filings.takeLease();
    filings.pending = { source, lease };
    if (!lease) return filings;
    try {
      filings.pending.records = source.records();
    } catch (error) {
      await lease.release();
      throw error;
    }
    return filings;
  }

  private importedHash(): Promise<string | null> {
    return this.o.connection.run('filings', (c) => c.get(`${this.p}imported`));
  }

  // The import lease, kept renewed while this instance writes the file.
  private async takeLease(): Promise<RedisLease | undefined> {
    const lease = new RedisLease(this.o.connection, `${this.p}lease`, LEASE_MS, 'filings');
    if (!(await lease.hold())) return undefined;
    lease.keepRenewed();
    return lease;
  }

  settle(): Promise<void> {
    const pending = this.pending;
    if (!pending) return this.importing ?? Promise.resolve();
    this.pending = undefined;
    this.importing = this.importOnce(pending.source, pending.lease, pending.records);
    return this.importing;
  }

  private async importOnce(source: FilingsImport, held: RedisLease | undefined, read: Filing[] | undefined): Promise<void> {
    const deadline = Date.now() + this.o.importWaitMs;
    let lease = held;
    let records = read;
    for (;;) {
      if (lease) {
        try {
          await importInBatches(records ?? source.records(), (batch) => this.write(batch, false), this.o.logger);
        } catch (error) {
          await lease.release();
          throw error;
        }
        // Marked imported only if the lease held throughout; otherwise the import runs again (the writes are idempotent).
        if (await lease.release()) await this.o.connection.run('filings', (c) => c.set(`${this.p}imported`, source.hash));
        this.importedHere = true;
        lease = undefined;
        records = undefined;
      }
      if ((await this.importedHash()) === source.hash) return;
      lease = await this.takeLease();
      if (lease) continue;
      if (Date.now() > deadline) throw new Error(`FILINGS_FILE: another instance has been importing it for over ${Math.round(this.o.importWaitMs / 1000)} s; check its log`);
      await sleep(250);
    }
  }

  /** Writes filings and their phone keys in batches; `evented` marks them as an event's version. */
  private async write(filings: Filing[], evented: boolean): Promise<void> {
    for (let i = 0; i < filings.length; i += PAGE_SIZE) {
      const args: Array<string | number> = [this.p, evented ? '1' : ''];
      for (const raw of filings.slice(i, i + PAGE_SIZE)) {
        const f = this.seal(raw);
        const keys = [...new Set(phonesOf(f).map(this.keyOf))];
        args.push(f.id, JSON.stringify(f), isOpen(f) ? '1' : '', keys.length, ...keys);
      }
      await this.o.connection.run('filings', (c) => PUT.run(c, [], args));
    }
  }

  /** How many filings this instance holds in its cache now (never more than `cacheSize`). */
  get cached(): number {
    return this.cache.size;
  }

  async get(id: string, opts: { fresh?: boolean } = {}): Promise<Filing | undefined> {
    await this.settle();
    const hit = opts.fresh ? undefined : this.cache.get(id);
    if (hit && Date.now() - hit.at < this.o.cacheMs) return hit.filing;
    const [filing] = await this.fetch([id]);
    return filing;
  }

  async byPhoneKey(key: string): Promise<Filing[]> {
    await this.settle();
    const ids = await this.o.connection.run('filings', (c) => c.smembers(`${this.p}p:${key}`));
    return (await this.fetch(ids.sort())).filter((f): f is Filing => f !== undefined);
  }

  async *openWindows(): AsyncIterable<Filing> {
    for await (const f of this.scan('open')) if (isOpen(f)) yield f;
  }

  all(): AsyncIterable<Filing> {
    return this.scan('all');
  }

  async count(): Promise<number> {
    await this.settle();
    return this.o.connection.run('filings', (c) => c.scard(`${this.p}all`));
  }

  async countOpen(): Promise<number> {
    await this.settle();
    return this.o.connection.run('filings', (c) => c.scard(`${this.p}open`));
  }

  /** Only the instance that imported the file indexes it; the others find the shared time index built. */
  async *toIndexAtStart(): AsyncIterable<Filing> {
    await this.settle();
    if (this.importedHere) yield* this.openWindows();
  }

  /** Applies an event under the filing's lock on the shared store, reading the filing from Redis (never the cache). */
  async apply(event: FilingEvent): Promise<ApplyResult> {
    await this.settle();
    return applyEvent(
      {
        store: this.o.store,
        closed: this.closed,
        seal: this.seal,
        keyOf: this.keyOf,
        sealing: this.o.seal !== false,
        read: async (id) => {
          this.cache.delete(id);
          return (await this.fetch([id]))[0];
        },
        write: async (filing) => {
          await this.write([filing], true);
          this.remember(filing.id, filing);
        },
        listeners: this.listeners,
      },
      event,
    );
  }

  onChange(listener: FilingListener): void {
    this.listeners.push(listener);
  }

  closedAt(id: string): Promise<string | undefined> {
    return this.closed.at(id);
  }

  markClosed(id: string, at: string): Promise<void> {
    return this.closed.mark(id, at);
  }

  /** Removes a filing from Redis (retention), under its lock; its closing time is kept. */
  async drop(id: string): Promise<void> {
    await this.settle();
    await this.o.store.withLock(`lock:filing:${id}`, async () => {
      await this.o.connection.run('filings', (c) => DROP.run(c, [], [this.p, id]));
      this.cache.delete(id);
    });
  }

  /** The connection belongs to the state store, which closes it. */
  async close(): Promise<void> {
    await this.importing?.catch(() => undefined);
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
    await this.settle();
    let cursor = '0';
    const seen = new Set<string>();
    do {
      const [next, ids] = await this.o.connection.run('filings', (c) => c.sscan(`${this.p}${set}`, cursor, 'COUNT', PAGE_SIZE));
      cursor = next;
      // SSCAN may return an id twice; a filing is yielded once.
      const fresh = ids.filter((id) => !seen.has(id) && seen.add(id));
      for (const f of await this.fetch(fresh)) if (f) yield f;
    } while (cursor !== '0');
  }
}

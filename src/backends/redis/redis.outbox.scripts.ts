/**
 * The Redis outbox's Lua scripts: each change of a message's state is one script, so it is atomic
 * across every instance. A message lives in a hash `<p>m:<id>` and in exactly one of three sorted
 * sets: `delayed` (by notBefore), `ready` (by urgency) or `leased` (by lease end); `class:<c>`
 * (by enqueue time) counts it for stats, and `done` (by finish time) remembers finished ids.
 * Sorted-set members are the 16-digit enqueue sequence followed by the id, so equal urgency scores
 * fall back to enqueue order (Redis orders equal scores by member), and the id is `member:sub(17)`.
 *
 * The message hash holds the caller's JSON (`b`) untouched: Lua's cjson would round a 16-digit
 * chat id in a payload, so the scripts never decode it.
 */
import { RedisScript } from './redis.script.js';

/** ARGV: prefix, now, forgetBefore, count, then per message: id, body, class, urgency, notBefore. Returns how many were new. */
export const ENQUEUE = new RedisScript(`
local p = ARGV[1]
local now = ARGV[2]
redis.call('ZREMRANGEBYSCORE', p..'done', '-inf', '('..ARGV[3])
local added, seen, i = 0, {}, 5
for _ = 1, tonumber(ARGV[4]) do
  local id, body, cls, urg, nb = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4]
  i = i + 5
  local mk = p..'m:'..id
  if not seen[id] and redis.call('EXISTS', mk) == 0 and not redis.call('ZSCORE', p..'done', id) then
    seen[id] = true
    local seq = redis.call('INCR', p..'seq')
    local member = string.format('%016d', seq)..id
    redis.call('HSET', mk, 'b', body, 'c', cls, 'u', urg, 'k', member, 'nb', nb, 'e', now, 'a', 0, 's', seq)
    redis.call('ZADD', p..'delayed', nb, member)
    redis.call('ZADD', p..'class:'..cls, now, member)
    added = added + 1
  end
end
return added
`);

/**
 * ARGV: prefix, now, limit, leaseUntil, owner. Moves what fell due (notBefore passed, or a lease
 * ended: a crashed claimer's work) into `ready`, then leases the `limit` most urgent. At most
 * 5,000 per set are moved per call, so one call never blocks Redis long; a larger backlog
 * is moved over the next calls, earliest first.
 */
export const CLAIM = new RedisScript(`
local p, now, limit, leaseUntil, owner = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local function promote(zkey)
  local due = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, 5000)
  for _, member in ipairs(due) do
    redis.call('ZREM', zkey, member)
    local u = redis.call('HGET', p..'m:'..string.sub(member, 17), 'u')
    if u then redis.call('ZADD', p..'ready', u, member) end
  end
end
promote(p..'delayed')
promote(p..'leased')
local out = {}
if limit < 1 then return out end
for _, member in ipairs(redis.call('ZRANGE', p..'ready', 0, limit - 1)) do
  local mk = p..'m:'..string.sub(member, 17)
  redis.call('ZREM', p..'ready', member)
  redis.call('ZADD', p..'leased', leaseUntil, member)
  redis.call('HSET', mk, 'lu', leaseUntil, 'lo', owner)
  out[#out + 1] = redis.call('HMGET', mk, 'b', 'nb', 's', 'a', 'le', 'fs', 'al')
end
return out
`);

/** ARGV: prefix, id, now. Removes a message for good (sent or given up) and remembers its id. */
export const FINISH = new RedisScript(`
local p, id = ARGV[1], ARGV[2]
local mk = p..'m:'..id
local member = redis.call('HGET', mk, 'k')
if not member then return 0 end
redis.call('ZREM', p..'ready', member)
redis.call('ZREM', p..'delayed', member)
redis.call('ZREM', p..'leased', member)
redis.call('ZREM', p..'class:'..redis.call('HGET', mk, 'c'), member)
redis.call('DEL', mk)
redis.call('ZADD', p..'done', ARGV[3], id)
return 1
`);

/** ARGV: prefix, id, notBefore, failed ('1' or ''), reason, attempts, failingSince, alerted ('' = unchanged). */
export const RESCHEDULE = new RedisScript(`
local p, id, nb = ARGV[1], ARGV[2], ARGV[3]
local mk = p..'m:'..id
local member = redis.call('HGET', mk, 'k')
if not member then return 0 end
redis.call('HSET', mk, 'nb', nb)
if ARGV[4] == '1' then redis.call('HSET', mk, 'le', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', mk, 'a', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', mk, 'fs', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', mk, 'al', ARGV[8]) end
redis.call('HDEL', mk, 'lu', 'lo')
redis.call('ZREM', p..'ready', member)
redis.call('ZREM', p..'leased', member)
redis.call('ZADD', p..'delayed', nb, member)
return 1
`);

/** ARGV: prefix, then ids. Hands leased messages back to wait for their notBefore, unchanged. */
export const RELEASE = new RedisScript(`
local p = ARGV[1]
for i = 2, #ARGV do
  local mk = p..'m:'..ARGV[i]
  local member = redis.call('HGET', mk, 'k')
  if member and redis.call('ZREM', p..'leased', member) == 1 then
    redis.call('HDEL', mk, 'lu', 'lo')
    redis.call('ZADD', p..'delayed', redis.call('HGET', mk, 'nb'), member)
  end
end
return 1
`);

/** ARGV: prefix, then ids. Deletes each message (waiting, due or leased) and its remembered id, remembering nothing: its person was forgotten. */
export const FORGET = new RedisScript(`
local p, n = ARGV[1], 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local mk = p..'m:'..id
  local member = redis.call('HGET', mk, 'k')
  if member then
    redis.call('ZREM', p..'ready', member)
    redis.call('ZREM', p..'delayed', member)
    redis.call('ZREM', p..'leased', member)
    redis.call('ZREM', p..'class:'..redis.call('HGET', mk, 'c'), member)
    redis.call('DEL', mk)
    n = n + 1
  end
  n = n + redis.call('ZREM', p..'done', id)
end
return n
`);

/** KEYS: a probe key. ARGV: a token. Writes it, reads it back and deletes it (the health check's write). */
export const PROBE = new RedisScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', 10000)
local read = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
return read
`);

package redisstore

import "github.com/redis/go-redis/v9"

// The scripts. Each decision is one of them, run atomically by Redis on
// its own clock: TIME, in microseconds since the epoch (about 2^50, so
// exact in Lua's doubles). Numbers written back to Redis go through
// string.format('%d'), since Lua's tostring keeps only 14 digits.
//
// Every script touches only the keys it is given, all of one hash tag, so
// each runs on one Cluster node.

// prelude starts every script: the shebang (Redis 7), whose flags are
// none, so Redis refuses the whole script up front when it is at its
// maxmemory (rather than run it halfway), and the helpers every script
// uses. Scripts that only read or free memory start with
// preludeAllowOOM instead.
const (
	prelude         = "#!lua\n" + helpers
	preludeAllowOOM = "#!lua flags=allow-oom\n" + helpers
)

const helpers = `
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function int(x) return string.format('%d', x) end
-- ttl_ms is a key TTL for us microseconds: rounded up, plus a margin, so
-- that Redis drops a key no earlier than the scripts deem it expired.
local function ttl_ms(us)
  if us < 0 then us = 0 end
  return math.floor(us / 1000) + 2
end
-- keep makes key live at least us microseconds more; it never shortens a
-- TTL.
local function keep(key, us)
  local ms = ttl_ms(us)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
`

// limiterLua applies store.Limiter's rule, as memstore.Limiter does: two
// fixed windows aligned to the epoch, the previous one weighted by the
// share of it the sliding window still covers. The admission test
// prev*(w-e) + curr*w < limit*w is made exactly, on integers of up to 106
// bits held in 18-bit limbs, since the products outgrow a double's 53.
const limiterLua = `
local LB = 262144
local function limbs(x)
  local a0 = x % LB
  x = (x - a0) / LB
  local a1 = x % LB
  return a0, a1, (x - a1) / LB
end
local function mul(x, y)
  local x0, x1, x2 = limbs(x)
  local y0, y1, y2 = limbs(y)
  local r = {x0*y0, x0*y1 + x1*y0, x0*y2 + x1*y1 + x2*y0, x1*y2 + x2*y1, x2*y2, 0}
  for i = 1, 5 do
    local c = math.floor(r[i] / LB)
    r[i] = r[i] - c * LB
    r[i + 1] = r[i + 1] + c
  end
  return r
end
local function less(a, b)
  for i = 6, 1, -1 do
    if a[i] ~= b[i] then return a[i] < b[i] end
  end
  return false
end
-- allow decides a request under key, limit per w microseconds, at now.
-- It returns whether it was admitted (1 or 0), the previous and current
-- windows' counts (the latter after the request), and the microseconds
-- elapsed in the current window.
local function allow(key, limit, w, now)
  local t = now
  local start = t - t % w
  local st = redis.call('HMGET', key, 'w', 's', 'p', 'c')
  local s, p, c = tonumber(st[2]), tonumber(st[3]) or 0, tonumber(st[4]) or 0
  if tonumber(st[1]) ~= w or s == nil then
    s, p, c = start, 0, 0 -- new, or now counted under another rule
  end
  if start < s then t, start = s, s end -- the clock stepped back: stay in the later window
  if start == s + w then
    p, c = c, 0
  elseif start ~= s then
    p, c = 0, 0
  end
  local e = t - start
  local ok = 0
  if c < limit and less(mul(p, w - e), mul(limit - c, w)) then
    ok = 1
    c = c + 1
  end
  redis.call('HSET', key, 'w', int(w), 's', int(start), 'p', int(p), 'c', int(c))
  -- Idle for two windows, both counts are zero: the key may go.
  redis.call('PEXPIRE', key, ttl_ms(start + 2 * w - t))
  return ok, p, c, e
end
`

// nonceLua remembers nonces in a sorted set per client, scored by expiry.
const nonceLua = `
-- remember returns 1 for a fresh nonce (now remembered), 0 for one held
-- already, or -1 and the microseconds until the client's oldest nonce
-- expires when the client is at its cap. A replay is told before the cap.
local function remember(key, member, ttl, cap, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
  if redis.call('ZSCORE', key, member) then return 0, 0 end
  if redis.call('ZCARD', key) >= cap then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return -1, tonumber(oldest[2]) - now
  end
  redis.call('ZADD', key, int(now + ttl), member)
  keep(key, ttl)
  return 1, 0
end
`

// allowScript: KEYS[1] the window; ARGV limit, window (µs).
// Returns {admitted, prev, curr, elapsed, now}.
var allowScript = redis.NewScript(prelude + limiterLua + `
local now = now_us()
local ok, p, c, e = allow(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)
return {ok, p, c, e, now}
`)

// rememberScript: KEYS[1] the client's nonces; ARGV member, ttl (µs),
// cap. Returns {status, retry (µs)}.
var rememberScript = redis.NewScript(prelude + nonceLua + `
local st, retry = remember(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), now_us())
return {st, retry}
`)

// checkScript decides a request's client limit, then its nonce, then its
// tool limit, then claims its idempotency record, stopping at the first
// refusal, in the order the request path takes them one after another
// (the nonce is written only for a request the client limit admits).
// KEYS: the client's nonces, the client limit's window, the tool limit's
// window and, with a claim, the client's three record keys. ARGV: has
// nonce, member, ttl (µs), cap, has client limit, limit, window (µs), has
// tool limit, limit, window (µs), has claim, field, fingerprint, lease
// (µs), the client's cap of records. Returns {nonce status, retry, client
// admitted, prev, curr, elapsed, tool admitted, prev, curr, elapsed, now,
// claim state, response}, with -2 for a part not decided.
var checkScript = redis.NewScript(prelude + limiterLua + nonceLua +
	"local H, IP, CP = KEYS[4], KEYS[5], KEYS[6]\n" + idempotencyLua + `
local now = now_us()
local r = {-2, 0, -2, 0, 0, 0, -2, 0, 0, 0, now, -2, ''}
if ARGV[5] == '1' then
  r[3], r[4], r[5], r[6] = allow(KEYS[2], tonumber(ARGV[6]), tonumber(ARGV[7]), now)
  if r[3] ~= 1 then return r end
end
if ARGV[1] == '1' then
  r[1], r[2] = remember(KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), now)
  if r[1] ~= 1 then return r end
end
if ARGV[8] == '1' then
  r[7], r[8], r[9], r[10] = allow(KEYS[3], tonumber(ARGV[9]), tonumber(ARGV[10]), now)
  if r[7] ~= 1 then return r end
end
if ARGV[11] == '1' then
  local b = begin(ARGV[12], ARGV[13], tonumber(ARGV[14]), tonumber(ARGV[15]), now)
  r[12] = b[1]
  if b[2] then r[13] = b[2] end
end
return r
`)

// idempotencyLua keeps a client's records in one hash (H), field the
// escaped Idempotency-Key, value the fingerprint (32 bytes), a state byte
// ('f' in flight, 'd' done) and, once done, the encoded response; and
// their expiries in two sorted sets, of claims in flight (IP) and of
// completed records (CP). The hash's field ":b" (no escaped key holds
// ':') counts the bytes of the stored responses. The including script
// binds H, IP and CP to its keys first (recordKeysLua: KEYS[1] to [3]).
const idempotencyLua = `
local function drop(f, v)
  if string.sub(v, 33, 33) == 'd' then
    redis.call('HINCRBY', H, ':b', -(#v - 33))
    redis.call('ZREM', CP, f)
  else
    redis.call('ZREM', IP, f)
  end
  redis.call('HDEL', H, f)
end
-- prune drops up to n expired records of each kind.
local function prune(now, n)
  for _, z in ipairs({IP, CP}) do
    for _, f in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', int(now), 'LIMIT', 0, n)) do
      local v = redis.call('HGET', H, f)
      if v then drop(f, v) end
      redis.call('ZREM', z, f)
    end
  end
end
-- live returns the unexpired record under f, or nil.
local function live(f, now)
  local v = redis.call('HGET', H, f)
  if not v then return nil end
  local z = IP
  if string.sub(v, 33, 33) == 'd' then z = CP end
  local exp = tonumber(redis.call('ZSCORE', z, f))
  if not exp or exp <= now then
    drop(f, v)
    return nil
  end
  return v
end
local function keepAll(us)
  keep(H, us)
  keep(IP, us)
  keep(CP, us)
end
-- begin claims field f for fingerprint fp, held lease microseconds, the
-- client holding at most cap records. Returns {state} with state 0
-- Started, 1 InFlight, 2 Mismatch, 3 Completed (and the response), 4
-- full.
local function begin(f, fp, lease, cap, now)
  prune(now, 100)
  local v = live(f, now)
  if v then
    if string.sub(v, 1, 32) ~= fp then return {2} end
    if string.sub(v, 33, 33) == 'f' then return {1} end
    return {3, string.sub(v, 34)}
  end
  -- Room for one more: expired claims go first, then the oldest
  -- completed records; claims in flight are never dropped.
  while redis.call('ZCARD', IP) + redis.call('ZCARD', CP) >= cap do
    local z = IP
    local oldest = redis.call('ZRANGE', IP, 0, 0, 'WITHSCORES')
    if #oldest == 0 or tonumber(oldest[2]) > now then
      z = CP
      oldest = redis.call('ZRANGE', CP, 0, 0)
      if #oldest == 0 then return {4} end
    end
    local o = redis.call('HGET', H, oldest[1])
    if o then drop(oldest[1], o) end
    redis.call('ZREM', z, oldest[1])
  end
  redis.call('HSET', H, f, fp .. 'f')
  redis.call('ZADD', IP, int(now + lease), f)
  keepAll(lease)
  return {0}
end
`

// recordKeysLua binds idempotencyLua's keys to the script's first three.
const recordKeysLua = "local H, IP, CP = KEYS[1], KEYS[2], KEYS[3]\n"

// beginScript: ARGV field, fingerprint, lease (µs), the client's cap.
// Returns begin's answer.
var beginScript = redis.NewScript(prelude + recordKeysLua + idempotencyLua + `
return begin(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), now_us())
`)

// completeScript: ARGV field, fingerprint, encoded response, ttl (µs),
// the client's byte cap. Returns {1} when it stored the response, {0}
// when the claim was not the caller's (lapsed, or another fingerprint's).
var completeScript = redis.NewScript(prelude + recordKeysLua + idempotencyLua + `
local f, fp, resp, ttl, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_us()
local v = live(f, now)
if not v or string.sub(v, 1, 32) ~= fp or string.sub(v, 33, 33) ~= 'f' then return {0} end
redis.call('ZREM', IP, f)
redis.call('HSET', H, f, fp .. 'd' .. resp)
redis.call('ZADD', CP, int(now + ttl), f)
local bytes = redis.call('HINCRBY', H, ':b', #resp)
-- Over the byte cap, the oldest completed records go, other than this
-- one, which alone is within the cap.
while bytes > cap do
  local oldest = redis.call('ZRANGE', CP, 0, 1)
  local o = oldest[1]
  if o == f then o = oldest[2] end
  if not o then break end
  local ov = redis.call('HGET', H, o)
  if ov then drop(o, ov) end
  redis.call('ZREM', CP, o)
  bytes = tonumber(redis.call('HGET', H, ':b')) or 0
end
keepAll(ttl)
return {1}
`)

// releaseScript: ARGV field, fingerprint. Drops the claim when it is the
// caller's and still in flight. Returns {1} when it did.
var releaseScript = redis.NewScript(preludeAllowOOM + recordKeysLua + idempotencyLua + `
local f, fp = ARGV[1], ARGV[2]
local v = live(f, now_us())
if not v or string.sub(v, 1, 32) ~= fp or string.sub(v, 33, 33) ~= 'f' then return {0} end
drop(f, v)
return {1}
`)

// stateLua keeps the shared values in one hash (KEYS[1]), field the key,
// value "<version>:<expiry µs, 0 for none>:<JSON>"; the expiries of
// those with one in a sorted set (KEYS[2]); and in a hash (KEYS[3]) the
// last version handed out ("seq") and the bytes charged ("used"): each
// entry costs its key, its value and the overhead.
const stateLua = `
local D, X, M = KEYS[1], KEYS[2], KEYS[3]
local function parse(rec)
  local i = string.find(rec, ':', 1, true)
  local j = string.find(rec, ':', i + 1, true)
  return string.sub(rec, 1, i - 1), tonumber(string.sub(rec, i + 1, j - 1)), string.sub(rec, j + 1)
end
local function drop(key, value, overhead)
  redis.call('HDEL', D, key)
  redis.call('ZREM', X, key)
  redis.call('HINCRBY', M, 'used', -(#key + #value + overhead))
end
-- live returns the version and value under key, dropping it when it has
-- expired.
local function live(key, now, overhead)
  local rec = redis.call('HGET', D, key)
  if not rec then return nil end
  local ver, exp, value = parse(rec)
  if exp > 0 and exp <= now then
    drop(key, value, overhead)
    return nil
  end
  return ver, value
end
`

// stateGetScript: ARGV key, overhead. Returns {0} for no value, or {1,
// version, value}.
var stateGetScript = redis.NewScript(preludeAllowOOM + stateLua + `
local ver, value = live(ARGV[1], now_us(), tonumber(ARGV[2]))
if not ver then return {0} end
return {1, ver, value}
`)

// stateSetScript: ARGV key, value, ttl (µs, 0 for none), has ifVersion,
// ifVersion, the total quota, overhead. Returns {0, version} when
// written, {1, stored version, exists} for a version conflict, {2, needed,
// free} when the quota has no room.
var stateSetScript = redis.NewScript(prelude + stateLua + `
local key, value, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local quota, overhead = tonumber(ARGV[6]), tonumber(ARGV[7])
local now = now_us()
local ver, old = live(key, now, overhead)
if ARGV[4] == '1' and ARGV[5] ~= (ver or '0') then
  if ver then return {1, ver, 1} end
  return {1, '0', 0}
end
local need = #key + #value + overhead
if ver then need = need - (#key + #old + overhead) end
local used = tonumber(redis.call('HGET', M, 'used')) or 0
if used + need > quota then
  -- Expired values give their room back before a write is refused (up
  -- to 10000 at a time, so no call runs long).
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', X, '-inf', int(now), 'LIMIT', 0, 10000)) do
    live(k, now, overhead)
  end
  used = tonumber(redis.call('HGET', M, 'used')) or 0
end
if need > quota - used then return {2, need, quota - used} end
local v = redis.call('HINCRBY', M, 'seq', 1)
local exp = 0
if ttl > 0 then exp = now + ttl end
redis.call('HSET', D, key, int(v) .. ':' .. int(exp) .. ':' .. value)
if exp > 0 then redis.call('ZADD', X, int(exp), key) else redis.call('ZREM', X, key) end
redis.call('HINCRBY', M, 'used', need)
return {0, v}
`)

// allScripts are loaded into every master by New.
var allScripts = []*redis.Script{allowScript, rememberScript, checkScript, beginScript, completeScript, releaseScript, stateGetScript, stateSetScript}

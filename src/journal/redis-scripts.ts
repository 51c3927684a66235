/**
 * The journal's three steps on Redis or Valkey, each a Lua script that runs
 * as one atomic step (redis-store.ts). An entry is a hash: `st` (run, done),
 * `tok` (the winning claim's random token), `exp` (when it expires by the
 * journal's clock, in ms) and `data` (the sealed entry). Nothing in it is
 * readable but those three small fields.
 */

/**
 * KEYS[1] the entry, KEYS[2] the key check; ARGV: now, token, exp, px (Redis
 * expiry, ms), data, the key check of this sidecar's encryption key.
 * A sidecar whose key is not the one the others use gets {-1}: it could
 * neither find nor read their entries, and a duplicate would run. Otherwise
 * an entry that has not expired by the journal's clock is answered as it is
 * ({0, data, tok}), or this claim becomes the entry ({1}).
 */
export const CLAIM = `
local check = redis.call('GET', KEYS[2])
if check and check ~= ARGV[6] then return {-1} end
redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[4])
local exp = redis.call('HGET', KEYS[1], 'exp')
if exp and tonumber(exp) > tonumber(ARGV[1]) then
  local found = redis.call('HMGET', KEYS[1], 'data', 'tok')
  return {0, found[1], found[2]}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'st', 'run', 'tok', ARGV[2], 'exp', ARGV[3], 'data', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1}
`

/**
 * KEYS[1] the entry; ARGV: token, exp, px, data, channel, key hash. Only the
 * claim that won, while its entry is still in flight, keeps its outcome; the
 * waiters on every sidecar are told.
 */
export const FINISH = `
local held = redis.call('HMGET', KEYS[1], 'st', 'tok')
if held[1] ~= 'run' or held[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'st', 'done', 'exp', ARGV[2], 'data', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`

/** KEYS[1] the entry; ARGV: token, channel, key hash. Only the claim that won, while in flight, removes its entry. */
export const RELEASE = `
local held = redis.call('HMGET', KEYS[1], 'st', 'tok')
if held[1] ~= 'run' or held[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`

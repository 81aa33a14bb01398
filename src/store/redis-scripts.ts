/**
 * @module
 * The Lua scripts of the Redis store. Each runs atomically on the server, reads the
 * time with `TIME` (so instances with skewed clocks agree on a bucket's refill), and
 * touches one key, or keys that share a hash tag, so they work on Redis Cluster.
 * Fractions are stored with `%.17g`, which round-trips a double exactly.
 */
import { createHash } from 'node:crypto';
import type { AdmitOp, BucketState, BudgetState } from './store.js';

/** A script and its SHA1, for EVALSHA. */
export interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Refills the bucket in KEYS[1] (capacity ARGV[2] over ARGV[3] ms) up to now. */
const REFILL = `${NOW}
local capacity = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local rate = capacity / window
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - tonumber(state[2])) * rate)
end
`;

/** Stores the bucket until it would be full again; a full bucket holds no information. */
const SAVE = `
if tokens >= capacity then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate))
end
`;

/**
 * Token bucket take. KEYS[1] bucket; ARGV cost, capacity, windowMs.
 * Returns { allowed (0/1), remaining, resetMs, retryAfterMs }.
 */
export const TAKE = script(`${REFILL}
local cost = tonumber(ARGV[1])
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
${SAVE}
local retry = 0
if allowed == 0 then retry = math.ceil((math.min(cost, capacity) - tokens) / rate) end
return { allowed, math.max(0, math.floor(tokens)), math.ceil((capacity - tokens) / rate), retry }
`);

/** Gives tokens back (negative: takes more). KEYS[1] bucket; ARGV amount, capacity, windowMs. */
export const GIVE = script(`${REFILL}
tokens = math.min(capacity, tokens + tonumber(ARGV[1]))
${SAVE}
return 1
`);

/** Adds ARGV[2] to the budget in KEYS[1]; a new key expires after ARGV[3] ms, an old one keeps its expiry. */
const ADD = `
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
`;
const STORE_SPENT = `
local value = string.format('%.17g', spent)
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[1], value, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
end
`;

/**
 * Budget reserve. KEYS[1] budget; ARGV amountUsd, capUsd, ttlMs.
 * Returns { ok (0/1), spentUsd as a string }.
 */
export const RESERVE = script(`${ADD}
local amount = tonumber(ARGV[1])
if spent + amount > tonumber(ARGV[2]) then return { 0, string.format('%.17g', spent) } end
spent = spent + amount
${STORE_SPENT}
return { 1, value }
`);

/** Budget settle. KEYS[1] budget; ARGV deltaUsd, (unused), ttlMs. Returns { 1, spentUsd }. */
export const SETTLE = script(`${ADD}
spent = math.max(0, spent + tonumber(ARGV[1]))
${STORE_SPENT}
return { 1, value }
`);

/**
 * Several takes and reserves in one call, in order, stopping after the first refusal:
 * the TAKE and RESERVE scripts above, run as functions. KEYS one per check; ARGV four per
 * check: `take` or `reserve`, then that script's three arguments. Returns their results,
 * concatenated (four values per take, two per reserve).
 */
export const ADMIT = script(`
local function take(KEYS, ARGV)
${TAKE.lua}
end
local function reserve(KEYS, ARGV)
${RESERVE.lua}
end
local out = {}
for i = 1, #KEYS do
  local o = (i - 1) * 4
  local args = { ARGV[o + 2], ARGV[o + 3], ARGV[o + 4] }
  local r
  if ARGV[o + 1] == 'take' then r = take({ KEYS[i] }, args) else r = reserve({ KEYS[i] }, args) end
  for _, v in ipairs(r) do out[#out + 1] = v end
  if r[1] == 0 then return out end
end
return out
`);

/** The states in ADMIT's answer, one per check it ran. */
export function admitResults(ops: readonly AdmitOp[], flat: (number | string)[]): (BucketState | BudgetState)[] {
  const out: (BucketState | BudgetState)[] = [];
  let at = 0;
  for (const o of ops) {
    if (at >= flat.length) break;
    if (o.op === 'take') {
      const [allowed, remaining, resetMs, retryAfterMs] = flat.slice(at, (at += 4)) as number[];
      out.push({ allowed: allowed === 1, remaining: remaining!, resetMs: resetMs!, retryAfterMs: retryAfterMs! });
    } else {
      const [ok, spent] = flat.slice(at, (at += 2));
      out.push({ ok: ok === 1, spentUsd: Number(spent) });
    }
  }
  return out;
}

/**
 * Publishes a breaker verdict and records it for instances that connect later.
 * KEYS[1] the hash of open breakers, KEYS[2] the target's probe claim (same hash tag);
 * ARGV channel, target, state, origin, ttl of the hash in ms.
 * An open breaker is recorded with the server's time; a closed one is removed; either
 * way the verdict ends the probe claim.
 */
export const PUBLISH_BREAKER = script(`${NOW}
if ARGV[3] == 'open' then
  redis.call('HSET', KEYS[1], ARGV[2], string.format('%.0f', now) .. '|' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('HDEL', KEYS[1], ARGV[2])
end
redis.call('DEL', KEYS[2])
return redis.call('PUBLISH', ARGV[1], cjson.encode({ target = ARGV[2], state = ARGV[3], origin = ARGV[4] }))
`);

/** The open breakers. KEYS[1] the hash. Returns { now, target, 'openedAt|origin', ... }. */
export const OPEN_BREAKERS = script(`${NOW}
local out = { string.format('%.0f', now) }
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`);

/**
 * Claims a half-open probe. KEYS[1] the claim; ARGV owner, ttlMs.
 * Returns -1 when granted (also to its current owner), else the ms the claim has left.
 */
/** Releases a probe claim if `ARGV[1]` still holds it. */
export const RELEASE_PROBE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

export const ACQUIRE_PROBE = script(`
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return -1
end
return math.max(1, redis.call('PTTL', KEYS[1]))
`);

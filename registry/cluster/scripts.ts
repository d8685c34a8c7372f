/**
 * The shared table's keys and the Lua scripts that change them. Every write
 * is one script, so Redis runs it atomically: two instances claiming one
 * name at the same moment are ordered, and exactly one wins. Every script
 * first checks the epoch it was written for and the session (or instance
 * run) it acts for, so a write from a frozen or cut-off instance that
 * arrives late changes nothing that a newer session owns.
 *
 * All keys share the hash tag `{p2pchat}`: on a Redis Cluster they live in
 * one slot, which multi-key scripts require.
 */

/** The keys, in the order every script receives them. */
export const KEYS = {
  /** HASH `epoch`, `seq`: the list's epoch and its last sequence number. */
  meta: "{p2pchat}:meta",
  /** HASH peer ID → the peer's record (JSON, see `ClusterRecord`). */
  peers: "{p2pchat}:peers",
  /** HASH name key (NFKC, lower case) → peer ID holding it. */
  names: "{p2pchat}:names",
  /** HASH peer ID → session token of its owner (`RUN/N`). */
  owners: "{p2pchat}:owners",
  /** ZSET instance run → deadline (Redis time, ms): liveness of each running instance. */
  runs: "{p2pchat}:runs",
  /** HASH instance name → its status (JSON, see `InstanceRecord`). */
  instances: "{p2pchat}:instances",
  /** STREAM of changes; entry ID `SEQ-0`, fields `e` (epoch) and `c` (JSON array of ops). */
  changes: "{p2pchat}:changes",
  /**
   * ZSET run whose deadline passed → when (Redis time, ms) the peers it
   * still owns leave: the move grace, one member per dead run.
   */
  orphans: "{p2pchat}:orphans",
} as const;

/** The key list passed to every script. */
export const KEY_LIST: string[] = Object.values(KEYS);

/** A peer's entry in the shared table. */
export interface ClusterRecord {
  id: string;
  name: string;
  /** `nameKey(name)`: what uniqueness compares. */
  nameKey: string;
  publicKey: string;
  address: string;
  remoteAddress: string;
  connectedAt: number;
  reconnects: number;
  version: string;
  /** The instance it registered on. */
  instance: string;
  /** The session that owns this entry: `RUN/N`. */
  token: string;
}

/** An instance's status entry. */
export interface InstanceRecord {
  name: string;
  address: string;
  peers: number;
  /** The run currently holding this name. */
  run: string;
  /** The epoch whose list holds every peer of this instance. */
  seeded: string;
  /** Written by the scripts: Redis time of the last liveness update. */
  lastSeen?: number;
}

/** One op in a stream entry. */
export type ClusterOp =
  | { op: "joined" | "updated"; peer: ClusterRecord }
  | { op: "left"; id: string; reason: "bye" | "timeout" | "kicked"; token: string };

/** Most ops per stream entry, so that one entry always fits one delta frame. */
export const OPS_PER_ENTRY = 5000;

// KEYS[1] meta, [2] peers, [3] names, [4] owners, [5] runs, [6] instances, [7] changes,
// [8] orphans.
const PRELUDE = `
local meta, peers, names, owners, runs, instances, changes, orphans =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Appends ops to the stream, ${OPS_PER_ENTRY} per entry, each entry taking the
-- next sequence number. Returns the last one (or nil when there was nothing).
local function publish(epoch, maxlen, ops)
  local seq = nil
  local i = 1
  while i <= #ops do
    local j = math.min(#ops, i + ${OPS_PER_ENTRY} - 1)
    seq = redis.call('HINCRBY', meta, 'seq', 1)
    redis.call('XADD', changes, 'MAXLEN', '~', maxlen, seq .. '-0',
      'e', epoch, 'c', '[' .. table.concat(ops, ',', i, j) .. ']')
    i = j + 1
  end
  return seq
end

-- Takes a peer off the table; returns the op announcing it.
local function remove(id, token, reason)
  local raw = redis.call('HGET', peers, id)
  if raw then
    local key = cjson.decode(raw).nameKey
    if redis.call('HGET', names, key) == id then redis.call('HDEL', names, key) end
  end
  redis.call('HDEL', peers, id)
  redis.call('HDEL', owners, id)
  return cjson.encode({op = 'left', id = id, reason = reason, token = token})
end

local function run_of(token)
  return string.match(token, '^(.*)/[^/]*$')
end
`;

/**
 * Joins the list (at start, after a new epoch, or as a new run after this
 * one expired). Creates the epoch when the engine has none — a fresh or
 * emptied Redis — clearing whatever is left of an older one. A run that
 * expired but is still within its move grace takes its peers back: they
 * were never taken off the list.
 * ARGV: run, name, instance JSON, ttl ms, candidate epoch.
 * Returns {epoch, seq, now}.
 */
export const JOIN = PRELUDE + `
local run, name, info, ttl, candidate = ARGV[1], ARGV[2], cjson.decode(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local now = now_ms()
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = candidate
  redis.call('DEL', peers, names, owners, runs, changes, orphans)
  redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
end
redis.call('ZREM', orphans, run)
redis.call('ZADD', runs, now + ttl, run)
info.lastSeen = now
redis.call('HSET', instances, name, cjson.encode(info))
return {epoch, redis.call('HGET', meta, 'seq'), now}
`;

/**
 * Claims peers for sessions of this run. A name held by another ID is
 * refused; the same ID registering again replaces its entry wherever it was
 * (it moved), and the old owner sees the new token in the stream.
 * ARGV: epoch, run, maxlen, then one record JSON per peer.
 * Returns {'ok', seq, result per record: 'ok' or 'taken:<holder ID>'},
 * or {'epoch'} / {'dead'} when the epoch or this run is gone.
 */
export const CLAIM = PRELUDE + `
local epoch, run, maxlen = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', meta, 'epoch') ~= epoch then return {'epoch'} end
if not redis.call('ZSCORE', runs, run) then return {'dead'} end
local ops, results = {}, {}
for i = 4, #ARGV do
  local raw = ARGV[i]
  local record = cjson.decode(raw)
  local holder = redis.call('HGET', names, record.nameKey)
  if holder and holder ~= record.id then
    results[#results + 1] = 'taken:' .. holder
  else
    local op = 'joined'
    local previous = redis.call('HGET', peers, record.id)
    if previous then
      op = 'updated'
      local old = cjson.decode(previous).nameKey
      if old ~= record.nameKey and redis.call('HGET', names, old) == record.id then
        redis.call('HDEL', names, old)
      end
    end
    redis.call('HSET', peers, record.id, raw)
    redis.call('HSET', names, record.nameKey, record.id)
    redis.call('HSET', owners, record.id, record.token)
    ops[#ops + 1] = '{"op":"' .. op .. '","peer":' .. raw .. '}'
    results[#results + 1] = 'ok'
  end
end
local seq = publish(epoch, maxlen, ops) or tonumber(redis.call('HGET', meta, 'seq'))
return {'ok', seq, results}
`;

/**
 * Releases peers, each only if the given session still owns it.
 * ARGV: epoch, maxlen, then (id, token, reason) triples.
 * Returns {'ok', released count} or {'epoch'}.
 */
export const RELEASE = PRELUDE + `
local epoch, maxlen = ARGV[1], ARGV[2]
if redis.call('HGET', meta, 'epoch') ~= epoch then return {'epoch'} end
local ops = {}
for i = 3, #ARGV, 3 do
  local id, token, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', owners, id) == token then ops[#ops + 1] = remove(id, token, reason) end
end
publish(epoch, maxlen, ops)
return {'ok', #ops}
`;

/**
 * Kicks a peer, whoever owns it. ARGV: epoch, maxlen, id.
 * Returns {'ok', 1 or 0} or {'epoch'}.
 */
export const KICK = PRELUDE + `
local epoch, maxlen, id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', meta, 'epoch') ~= epoch then return {'epoch'} end
local token = redis.call('HGET', owners, id)
if not token then return {'ok', 0} end
publish(epoch, maxlen, {remove(id, token, 'kicked')})
return {'ok', 1}
`;

/**
 * This run's liveness, once per tick: pushes its deadline, writes its
 * status, and marks every run whose deadline passed as an orphan for
 * `grace` ms more: its peers stay listed, and each that registers elsewhere
 * meanwhile simply changes owner. Orphans whose grace is over are reaped:
 * the peers they still own leave with reason `timeout`. Then forgets
 * instances not seen for `forget` ms.
 * ARGV: epoch, run, name, instance JSON, ttl ms, maxlen, forget ms, grace ms.
 * Returns {'ok', now, seq, instance JSONs…}, or {'epoch'}, {'dead'} (this
 * run was reaped), {'superseded'} (a newer run took this instance's name).
 */
export const TICK = PRELUDE + `
local epoch, run, name = ARGV[1], ARGV[2], ARGV[3]
local info, ttl, maxlen, forget = cjson.decode(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local grace = tonumber(ARGV[8])
if redis.call('HGET', meta, 'epoch') ~= epoch then return {'epoch'} end
if not redis.call('ZSCORE', runs, run) then return {'dead'} end
local current = redis.call('HGET', instances, name)
if current and cjson.decode(current).run ~= run then return {'superseded'} end
local now = now_ms()
redis.call('ZADD', runs, now + ttl, run)
info.lastSeen = now
redis.call('HSET', instances, name, cjson.encode(info))

for _, gone in ipairs(redis.call('ZRANGEBYSCORE', runs, '-inf', now)) do
  redis.call('ZREM', runs, gone)
  redis.call('ZADD', orphans, now + grace, gone)
end

local due = redis.call('ZRANGEBYSCORE', orphans, '-inf', now)
if #due > 0 then
  local dead = {}
  for _, gone in ipairs(due) do
    dead[gone] = true
    redis.call('ZREM', orphans, gone)
  end
  local ops = {}
  local owned = redis.call('HGETALL', owners)
  for i = 1, #owned, 2 do
    if dead[run_of(owned[i + 1])] then ops[#ops + 1] = remove(owned[i], owned[i + 1], 'timeout') end
  end
  publish(epoch, maxlen, ops)
end

local reply = {'ok', now, tonumber(redis.call('HGET', meta, 'seq'))}
local all = redis.call('HGETALL', instances)
for i = 1, #all, 2 do
  local seen = cjson.decode(all[i + 1]).lastSeen or 0
  if now - seen > forget then redis.call('HDEL', instances, all[i])
  else reply[#reply + 1] = all[i + 1] end
end
return reply
`;

/**
 * Forgets the epoch when the engine's sequence went backwards: a replica
 * promoted after an asynchronous failover lacks the last writes, so what
 * instances hold and what the engine holds no longer match. Every instance
 * then forms the list again, as after an empty restart.
 * ARGV: epoch, the sequence number an instance has already read.
 * Returns 1 if the epoch was dropped.
 */
export const REWIND = PRELUDE + `
if redis.call('HGET', meta, 'epoch') ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', meta, 'seq')) >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', meta)
return 1
`;

/**
 * The whole table at one sequence number, for a consistent start.
 * Returns {epoch or false, seq, now, id, record JSON, id, record JSON…}.
 */
export const LOAD = PRELUDE + `
local epoch = redis.call('HGET', meta, 'epoch')
local reply = {epoch or false, tonumber(redis.call('HGET', meta, 'seq') or 0), now_ms()}
local all = redis.call('HGETALL', peers)
for i = 1, #all do reply[#reply + 1] = all[i] end
return reply
`;

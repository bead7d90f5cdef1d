#include "queue/scripts.h"

#include <string>

namespace ttg::queue::scripts {

namespace {

// Shared helpers, prepended to every script that needs them.
constexpr const char* kPrelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function total_chunks(meta)
  return tonumber(redis.call('HGET', meta, 'total_chunks') or '0')
end

-- The chunk an entry ID names ("(c+1)-0"), or nil.
local function chunk_of(id, total)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  if ms == nil or seq ~= '0' then return nil end
  local c = tonumber(ms) - 1
  if c < 0 or c >= total then return nil end
  return c
end

local function event(events, ...)
  redis.call('XADD', events, 'MAXLEN', '~', 10000, '*', 'at', now_ms(), ...)
end

local function check_complete(meta)
  local v = redis.call('HMGET', meta, 'done', 'dead', 'total_chunks', 'state')
  local done, dead, total = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
  if done + dead >= total and v[4] ~= 'cancelled' and v[4] ~= 'complete' then
    redis.call('HSET', meta, 'state', 'complete', 'finished_ms', now_ms())
  end
end

-- Records chunk c (or a malformed entry when c is nil) as dead and acks it.
local function bury(tasks, meta, done, dead, events, group, id, c, reason, err, attempts, worker)
  redis.call('XACK', tasks, group, id)
  redis.call('XADD', dead, '*', 'chunk_id', c == nil and '' or tostring(c), 'reason', reason,
             'last_error', err, 'attempts', tostring(attempts), 'worker_id', worker,
             'at', now_ms(), 'entry_id', id)
  if c ~= nil and redis.call('GETBIT', done, c) == 0 then
    redis.call('SETBIT', done, c, 1)
    redis.call('HINCRBY', meta, 'dead', 1)
    check_complete(meta)
  else
    redis.call('HINCRBY', meta, 'malformed', 1)
  end
  event(events, 'type', 'dead', 'chunk', c == nil and '' or tostring(c), 'reason', reason,
        'worker', worker)
end

local function active(meta)
  local s = redis.call('HGET', meta, 'state')
  return s == 'submitting' or s == 'pending' or s == 'running', s
end
)lua";

std::string with_prelude(const char* body) { return std::string(kPrelude) + body; }

}  // namespace

const redis::Script& create() {
  static const redis::Script s(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'state', 'submitting',
           'created_ms', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000),
           'done', 0, 'dead', 0, 'duplicates', 0, 'takeovers', 0, 'retries', 0,
           'released', 0, 'malformed', 0)
redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
return 1
)lua");
  return s;
}

const redis::Script& finish_submit() {
  static const redis::Script s(R"lua(
if redis.call('HGET', KEYS[1], 'state') == 'submitting' then
  if redis.call('HEXISTS', KEYS[1], 'first_claim_ms') == 1 then
    redis.call('HSET', KEYS[1], 'state', 'running')
  else
    redis.call('HSET', KEYS[1], 'state', 'pending')
  end
end
return redis.call('HGET', KEYS[1], 'state')
)lua");
  return s;
}

const redis::Script& add_tasks() {
  static const redis::Script s(R"lua(
local job, created, k, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local total, from, to = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local ntotal = ARGV[4]
for c = from, to - 1 do
  local b = c * k
  local e = math.min(b + k, n)
  redis.call('XADD', KEYS[1], string.format('%d-0', c + 1),
             'chunk_id', string.format('%d', c), 'start_param', string.format('%d', b),
             'end_param', string.format('%d', e), 'params_count', string.format('%d', e - b),
             'total_params', ntotal, 'total_chunks', total, 'created_at', created, 'job', job)
end
return to - from
)lua");
  return s;
}

const redis::Script& claim() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, attempts, done, released = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, consumer, n, lease = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local ok, state = active(meta)
if not ok then return {} end
local total = total_chunks(meta)
local out = {}
local function consider(id, fields)
  local c = chunk_of(id, total)
  if c == nil then
    out[#out + 1] = {id, fields, 0}
  elseif redis.call('GETBIT', done, c) == 1 then
    redis.call('XACK', tasks, group, id)
  else
    out[#out + 1] = {id, fields, redis.call('HINCRBY', attempts, c, 1)}
  end
end
local budget = redis.call('LLEN', released)
while #out < n and budget > 0 do
  budget = budget - 1
  local id = redis.call('RPOP', released)
  if not id then break end
  -- Only if still handed back (idle past the lease): nobody took it meanwhile.
  local claimed = redis.call('XCLAIM', tasks, group, consumer, lease, id)
  if #claimed > 0 then consider(claimed[1][1], claimed[1][2]) end
end
if #out < n then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n - #out,
                       'STREAMS', tasks, '>')
  if r then
    for _, e in ipairs(r[1][2]) do consider(e[1], e[2]) end
  end
end
if #out > 0 then
  if state == 'pending' then redis.call('HSET', meta, 'state', 'running') end
  redis.call('HSETNX', meta, 'first_claim_ms', now_ms())
end
return out
)lua"));
  return s;
}

const redis::Script& renew() {
  static const redis::Script s(R"lua(
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if #p == 1 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
  else
    lost[#lost + 1] = id
  end
end
return lost
)lua");
  return s;
}

const redis::Script& reclaim() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, attempts, done, dead, events, errors =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local group, consumer, lease, n, worker = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
if not active(meta) then return {} end
local held = {}
for i = 6, #ARGV do held[ARGV[i]] = true end
local total = total_chunks(meta)
local max = tonumber(redis.call('HGET', meta, 'max_attempts') or '3')
local out = {}
local pending = redis.call('XPENDING', tasks, group, 'IDLE', lease, '-', '+', n + #ARGV - 5)
for _, p in ipairs(pending) do
  local id, owner, idle = p[1], p[2], p[3]
  if #out >= n then break end
  if not (owner == consumer and held[id]) then
    local claimed = redis.call('XCLAIM', tasks, group, consumer, lease, id)
    local c = chunk_of(id, total)
    if #claimed == 0 then
      -- XCLAIM drops entries deleted from the stream from the pending list.
      if c ~= nil then
        bury(tasks, meta, done, dead, events, group, id, c, 'deleted',
             'task entry was deleted from the stream', redis.call('HGET', attempts, c) or 0,
             worker)
      end
    elseif c == nil then
      out[#out + 1] = {id, claimed[1][2], 0, owner, idle}
    elseif redis.call('GETBIT', done, c) == 1 then
      redis.call('XACK', tasks, group, id)
    else
      local a = redis.call('HINCRBY', attempts, c, 1)
      if a > max then
        redis.call('HSET', attempts, c, max)
        local last = redis.call('HGET', errors, c) or ''
        local err = 'lease expired on each of ' .. max .. ' attempts (last held by ' .. owner ..
                    ', idle ' .. idle .. ' ms): the chunk kills or hangs its workers'
        if last ~= '' then err = err .. '; last error: ' .. last end
        bury(tasks, meta, done, dead, events, group, id, c, 'lease_expired', err, max, worker)
      else
        redis.call('HINCRBY', meta, 'takeovers', 1)
        redis.call('HSET', errors, c, 'lease expired while held by ' .. owner)
        event(events, 'type', 'takeover', 'chunk', tostring(c), 'from', owner, 'to', worker,
              'idle_ms', tostring(idle), 'attempt', tostring(a))
        out[#out + 1] = {id, claimed[1][2], a, owner, idle}
      end
    end
  end
end
return out
)lua"));
  return s;
}

const redis::Script& commit() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, results, done, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, worker = ARGV[1], ARGV[2]
-- A job that no longer exists (cancelled and removed, or lost with a Redis
-- that kept no data) takes no results: nothing is written.
if redis.call('EXISTS', meta) == 0 then return redis.error_reply('NOJOB job does not exist') end
local out, committed, duplicates = {}, 0, 0
for i = 3, #ARGV, 6 do
  local id, cs = ARGV[i], ARGV[i + 1]
  local c = tonumber(cs)
  if redis.call('GETBIT', done, c) == 1 then
    redis.call('XACK', tasks, group, id)
    duplicates = duplicates + 1
    event(events, 'type', 'duplicate', 'chunk', cs, 'worker', worker)
    out[#out + 1] = 0
  else
    redis.call('XADD', results, '*', 'chunk_id', cs, 'worker_id', worker, 'status', 'ok',
               'duration_seconds', ARGV[i + 3], 'completed_at', ARGV[i + 4],
               'result_data', ARGV[i + 5], 'attempt', ARGV[i + 2], 'entry_id', id)
    redis.call('SETBIT', done, c, 1)
    redis.call('XACK', tasks, group, id)
    committed = committed + 1
    out[#out + 1] = 1
  end
end
if duplicates > 0 then redis.call('HINCRBY', meta, 'duplicates', duplicates) end
if committed > 0 then
  redis.call('HINCRBY', meta, 'done', committed)
  check_complete(meta)
end
return out
)lua"));
  return s;
}

const redis::Script& fail() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, attempts, done, dead, events, errors =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local group, id, c, consumer, err, worker = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
if redis.call('EXISTS', meta) == 0 then return {'lost', 0} end
if redis.call('GETBIT', done, c) == 1 then
  redis.call('XACK', tasks, group, id)
  return {'finished', 0}
end
local p = redis.call('XPENDING', tasks, group, id, id, 1)
if #p == 0 or p[1][2] ~= consumer then return {'lost', 0} end
local a = tonumber(redis.call('HGET', attempts, c) or '0')
local max = tonumber(redis.call('HGET', meta, 'max_attempts') or '3')
redis.call('HSET', errors, c, err)
if a >= max then
  bury(tasks, meta, done, dead, events, group, id, c, 'max_attempts', err, a, worker)
  return {'dead', a}
end
a = redis.call('HINCRBY', attempts, c, 1)
redis.call('HINCRBY', meta, 'retries', 1)
redis.call('XCLAIM', tasks, group, consumer, 0, id, 'JUSTID')
event(events, 'type', 'retry', 'chunk', ARGV[3], 'worker', worker, 'attempt', tostring(a),
      'error', err)
return {'retry', a}
)lua"));
  return s;
}

const redis::Script& dead_letter() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, done, dead, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local c = chunk_of(ARGV[2], total_chunks(meta))
bury(tasks, meta, done, dead, events, ARGV[1], ARGV[2], c, ARGV[4], ARGV[5], 0, ARGV[6])
return 1
)lua"));
  return s;
}

const redis::Script& release() {
  static const redis::Script s(with_prelude(R"lua(
local tasks, meta, attempts, released, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, consumer, idle, refund = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local total = total_chunks(meta)
local n = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', tasks, group, id, id, 1)
  if #p == 1 and p[1][2] == consumer then
    local c = chunk_of(id, total)
    if c ~= nil and refund then redis.call('HINCRBY', attempts, c, -1) end
    redis.call('XCLAIM', tasks, group, consumer, 0, id, 'IDLE', idle, 'JUSTID')
    redis.call('LPUSH', released, id)
    redis.call('HINCRBY', meta, 'released', 1)
    event(events, 'type', 'released', 'chunk', c == nil and '' or tostring(c), 'worker', consumer)
    n = n + 1
  end
end
return n
)lua"));
  return s;
}

const redis::Script& retire() {
  static const redis::Script s(R"lua(
-- XGROUP DELCONSUMER drops a consumer's pending entries silently, so a
-- consumer is deleted only when it holds nothing.
local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if not ok then return 0 end
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua");
  return s;
}

}  // namespace ttg::queue::scripts

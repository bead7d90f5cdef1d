#include "queue/scripts.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "queue/keys.h"

namespace ttg::queue::scripts {

namespace {

// Shared helpers of the job scripts. KEYS are JobKeys::all(): meta tasks
// results dead done attempts errors handoff gaps refused events dead_ids
// copies ahead.
constexpr const char* kJobPrelude = R"lua(
local K = {meta = KEYS[1], tasks = KEYS[2], results = KEYS[3], dead = KEYS[4], done = KEYS[5],
           attempts = KEYS[6], errors = KEYS[7], handoff = KEYS[8], gaps = KEYS[9],
           refused = KEYS[10], events = KEYS[11], dead_ids = KEYS[12], copies = KEYS[13],
           ahead = KEYS[14]}
local NJOBKEYS = 14
local GROUP = 'ttg-workers'
local HANDED = 'ttg:handed-back'

local NOW = nil
local function now_ms()
  if NOW == nil then
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW
end

-- ISO-8601 UTC of `ms` since the epoch (days to civil date: Hinnant's method).
local function iso8601(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) -
                          math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600),
                       math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

local function total_chunks()
  return tonumber(redis.call('HGET', K.meta, 'total_chunks') or '0')
end

-- The chunk an entry ID names ("(c+1)-0"), or nil.
local function chunk_of(id, total)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  if ms == nil or seq ~= '0' then return nil end
  local c = tonumber(ms) - 1
  if c < 0 or c >= total then return nil end
  return c
end

local function entry_of(c) return string.format('%d-0', c + 1) end

-- Attempts started of a chunk that was read: a chunk's first claim writes
-- nothing, so a missing field means 1.
local function attempts_of(c) return tonumber(redis.call('HGET', K.attempts, c) or '1') end
local function cstr(c) if c == nil then return '' end return string.format('%d', c) end

-- XCLAIM silently drops a deleted entry from the pending list, so every
-- XCLAIM is preceded by this check.
local function exists(id) return #redis.call('XRANGE', K.tasks, id, id) > 0 end

local function event(...)
  redis.call('XADD', K.events, 'MAXLEN', '~', 10000, '*', 'at', now_ms(), ...)
end

local function check_complete()
  local v = redis.call('HMGET', K.meta, 'done', 'dead', 'total_chunks', 'state')
  local done, dead, total = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
  if done + dead >= total and v[4] ~= 'cancelled' and v[4] ~= 'complete' then
    redis.call('HSET', K.meta, 'state', 'complete', 'finished_ms', now_ms())
  end
end

-- Records chunk c (or a malformed entry when c is nil) as dead and acks it.
local function bury(id, c, reason, err, attempts, worker)
  redis.call('XACK', K.tasks, GROUP, id)
  local dead_id = redis.call('XADD', K.dead, '*', 'chunk_id', cstr(c), 'reason', reason,
                             'last_error', err, 'attempts', tostring(attempts), 'worker_id',
                             worker, 'at', now_ms(), 'entry_id', id)
  if c ~= nil and redis.call('GETBIT', K.done, c) == 0 then
    redis.call('SETBIT', K.done, c, 1)
    redis.call('HSET', K.dead_ids, c, dead_id)
    redis.call('HINCRBY', K.meta, 'dead', 1)
    check_complete()
  else
    redis.call('HINCRBY', K.meta, 'malformed', 1)
  end
  event('type', 'dead', 'chunk', cstr(c), 'reason', reason, 'worker', worker)
end

local function bury_deleted(id, c, worker, err)
  if c == nil then
    redis.call('XACK', K.tasks, GROUP, id)
    return
  end
  bury(id, c, 'deleted', err, attempts_of(c), worker)
end

-- The state of the job if `run` is its current incarnation; else nil and the
-- error reply to return (nothing may be written then).
local function incarnation(run)
  local v = redis.call('HMGET', K.meta, 'run', 'state')
  if not v[2] then return nil, redis.error_reply('NOJOB job does not exist') end
  if (v[1] or '') ~= run then
    return nil, redis.error_reply('STALE job was submitted again under a new run')
  end
  return v[2]
end

local function active(state)
  return state == 'submitting' or state == 'pending' or state == 'running'
end
)lua";

std::string job_script(const char* body) { return std::string(kJobPrelude) + body; }

const redis::Script& script_create() {
  static const redis::Script s(job_script(R"lua(
local run = ARGV[1]
if redis.call('EXISTS', K.meta) == 1 then
  local v = redis.call('HMGET', K.meta, 'spec', 'state', 'run')
  return {0, v[1] or '', v[2] or '', v[3] or ''}
end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', K.meta, unpack(fields))
redis.call('HSET', K.meta, 'run', run, 'state', 'submitting', 'created_ms', now_ms(),
           'done', 0, 'dead', 0, 'duplicates', 0, 'takeovers', 0, 'retries', 0,
           'released', 0, 'malformed', 0, 'read_to', 0)
redis.pcall('XGROUP', 'CREATE', K.tasks, GROUP, '0', 'MKSTREAM')
return {1, now_ms(), iso8601(now_ms())}
)lua"));
  return s;
}

const redis::Script& script_add_tasks() {
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

const redis::Script& script_finish_submit() {
  static const redis::Script s(job_script(R"lua(
local state, err = incarnation(ARGV[1])
if not state then return err end
if state == 'submitting' then
  if redis.call('HEXISTS', K.meta, 'first_claim_ms') == 1 then state = 'running'
  else state = 'pending' end
  redis.call('HSET', K.meta, 'state', state)
end
return state
)lua"));
  return s;
}

const redis::Script& script_claim() {
  static const redis::Script s(job_script(R"lua(
-- n: chunks for free slots; extra: more, claimed ahead (new chunks only).
local run, consumer, worker, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local extra = tonumber(ARGV[5] or '0')
local state, err = incarnation(run)
if not state then return err end
if not active(state) then return {} end
local total = total_chunks()
local max = tonumber(redis.call('HGET', K.meta, 'max_attempts') or '3')
local out = {}

-- Entries nobody read before they were deleted: buried a bounded number
-- per call (a trim can leave millions).
local budget = 256
while budget > 0 do
  local g = redis.call('LINDEX', K.gaps, 0)
  if not g then break end
  local a, b = string.match(g, '^(%d+)%-(%d+)$')
  a, b = tonumber(a), tonumber(b)
  local stop = math.min(b, a + budget)
  for c = a, stop - 1 do
    local id = entry_of(c)
    if redis.call('GETBIT', K.done, c) == 0 and not exists(id) and
       #redis.call('XPENDING', K.tasks, GROUP, id, id, 1) == 0 then
      bury(id, c, 'deleted', 'task entry was deleted before any worker read it', 0, worker)
    end
  end
  budget = budget - (stop - a)
  if stop >= b then redis.call('LPOP', K.gaps)
  else redis.call('LSET', K.gaps, 0, string.format('%d-%d', stop, b)) end
end

-- reclaimed: it comes from the handed-back consumer (else it is new).
local function consider(id, fields, handoff, reclaimed)
  local c = chunk_of(id, total)
  if c == nil then
    out[#out + 1] = {id, fields, 0, '', ''}
    return
  end
  if redis.call('GETBIT', K.done, c) == 1 then
    redis.call('XACK', K.tasks, GROUP, id)
    return
  end
  local from, why = '', ''
  if handoff then from, why = string.match(handoff, '^(.-)\t(.*)$') end
  from, why = from or '', why or ''
  -- A chunk put back by retry starts afresh, as a new one: no takeover.
  if why == 'retry' then from, why = '', '' end
  local a = 1
  if reclaimed then
    a = attempts_of(c) + 1
    redis.call('HSET', K.attempts, c, a)
  elseif #out >= n then
    redis.call('SETBIT', K.ahead, c, 1)
  end
  if a > max then
    redis.call('HSET', K.attempts, c, max)
    local last = redis.call('HGET', K.errors, c) or ''
    local e = 'its worker was lost on each of ' .. max .. ' attempts (last: ' .. why ..
              ', held by ' .. from .. '): the chunk kills or hangs its workers'
    if last ~= '' then e = e .. '; last error: ' .. last end
    bury(id, c, 'lease_expired', e, max, worker)
    return
  end
  if why ~= '' and why ~= 'handed back' then
    redis.call('HINCRBY', K.meta, 'takeovers', 1)
    redis.call('HSET', K.errors, c, why .. ' (held by ' .. from .. ')')
    event('type', 'takeover', 'chunk', cstr(c), 'from', from, 'to', worker, 'reason', why,
          'attempt', tostring(a))
  end
  out[#out + 1] = {id, fields, a, from, why, now_ms()}
end

-- Handed back or taken from gone workers: older than anything unread.
if n > 0 then
  local p = redis.call('XPENDING', K.tasks, GROUP, '-', '+', n, HANDED)
  for _, e in ipairs(p) do
    local id = e[1]
    local handoff = redis.call('HGET', K.handoff, id)
    redis.call('HDEL', K.handoff, id)
    if not exists(id) then
      bury_deleted(id, chunk_of(id, total), worker, 'task entry was deleted from the stream')
    else
      local claimed = redis.call('XCLAIM', K.tasks, GROUP, consumer, 0, id)
      if #claimed > 0 then consider(claimed[1][1], claimed[1][2], handoff, true) end
    end
  end
end

local want = n + extra - #out
if want > 0 then
  local read_to = tonumber(redis.call('HGET', K.meta, 'read_to') or '0')
  local before = read_to
  local got = 0
  local r = redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', want, 'STREAMS',
                       K.tasks, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      got = got + 1
      local c = chunk_of(e[1], total)
      if c ~= nil then
        -- The group's cursor skipped chunks read_to..c-1: their entries were
        -- deleted before anyone read them.
        if c > read_to then
          redis.call('RPUSH', K.gaps, string.format('%d-%d', read_to, c))
        end
        if c + 1 > read_to then read_to = c + 1 end
      end
      consider(e[1], e[2], nil, false)
    end
  end
  if got < want and state ~= 'submitting' and read_to < total then
    redis.call('RPUSH', K.gaps, string.format('%d-%d', read_to, total))
    read_to = total
  end
  if read_to ~= before then redis.call('HSET', K.meta, 'read_to', read_to) end
end
if #out > 0 then
  if state == 'pending' then redis.call('HSET', K.meta, 'state', 'running') end
  redis.call('HSETNX', K.meta, 'first_claim_ms', now_ms())
end
return out
)lua"));
  return s;
}

const redis::Script& script_renew() {
  static const redis::Script s(job_script(R"lua(
local run, consumer, worker = ARGV[1], ARGV[2], ARGV[3]
local state, err = incarnation(run)
if not state then return err end
local total = total_chunks()
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', K.tasks, GROUP, id, id, 1)
  local mine = #p == 1 and p[1][2] == consumer
  if #p == 1 and p[1][2] == HANDED then
    -- Taken from this worker because its connection closed, but it is
    -- alive: it takes the chunk back unless someone claimed it already.
    local h = redis.call('HGET', K.handoff, id)
    if h and string.sub(h, 1, #consumer + 1) == consumer .. '\t' and
       string.sub(h, #consumer + 2) ~= 'handed back' and exists(id) then
      redis.call('HDEL', K.handoff, id)
      mine = true
    end
  end
  if mine then
    if exists(id) then
      redis.call('XCLAIM', K.tasks, GROUP, consumer, 0, id, 'JUSTID')
    else
      bury_deleted(id, chunk_of(id, total), worker,
                   'task entry was deleted from the stream while ' .. worker .. ' held it')
      lost[#lost + 1] = id
    end
  else
    lost[#lost + 1] = id
  end
end
return lost
)lua"));
  return s;
}

const redis::Script& script_hand_over() {
  static const redis::Script s(job_script(R"lua(
local run, mode, from, min_idle, n, worker = ARGV[1], ARGV[2], ARGV[3], ARGV[4],
                                              tonumber(ARGV[5]), ARGV[6]
local state, err = incarnation(run)
if not state then return err end
if not active(state) then return 0 end
local total = total_chunks()
local listed = {}
for i = 7, #ARGV do listed[ARGV[i]] = true end
local reasons = {release = 'handed back', gone = 'worker gone', restarted = 'worker restarted',
                 expired = 'lease expired', recover = 'worker gone (recover)'}
local why = reasons[mode]
local entries
if mode == 'release' then
  entries = {}
  for i = 7, #ARGV do
    local p = redis.call('XPENDING', K.tasks, GROUP, ARGV[i], ARGV[i], 1)
    if #p == 1 and p[1][2] == from then entries[#entries + 1] = p[1] end
  end
elseif mode == 'expired' then
  entries = redis.call('XPENDING', K.tasks, GROUP, 'IDLE', min_idle, '-', '+', n)
else
  entries = redis.call('XPENDING', K.tasks, GROUP, '-', '+', n, from)
end
local moved = 0
for _, e in ipairs(entries) do
  local id, owner = e[1], e[2]
  local skip = owner == HANDED or (mode ~= 'release' and listed[id])
  if not skip then
    local c = chunk_of(id, total)
    if not exists(id) then
      bury_deleted(id, c, worker, 'task entry was deleted from the stream')
    elseif c ~= nil and redis.call('GETBIT', K.done, c) == 1 then
      redis.call('XACK', K.tasks, GROUP, id)
    else
      redis.call('XCLAIM', K.tasks, GROUP, HANDED, 0, id, 'JUSTID')
      redis.call('HSET', K.handoff, id, owner .. '\t' .. why)
      -- Claimed ahead: it may never have started, so its attempt is
      -- refunded, once (it is claimed again only for a free slot).
      local refund = mode == 'release'
      if c ~= nil and redis.call('GETBIT', K.ahead, c) == 1 then
        redis.call('SETBIT', K.ahead, c, 0)
        refund = true
      end
      if refund and c ~= nil then redis.call('HSET', K.attempts, c, attempts_of(c) - 1) end
      if mode == 'release' then
        redis.call('HINCRBY', K.meta, 'released', 1)
        event('type', 'released', 'chunk', cstr(c), 'worker', owner)
      end
      moved = moved + 1
    end
  end
end
return moved
)lua"));
  return s;
}

const redis::Script& script_commit() {
  static const redis::Script s(job_script(R"lua(
local run, worker = ARGV[1], ARGV[2]
local state, err = incarnation(run)
if not state then return err end
local at = iso8601(now_ms())
local out, committed, duplicates, wins = {}, 0, 0, 0
for i = 3, #ARGV, 8 do
  local id, cs = ARGV[i], ARGV[i + 1]
  local c = tonumber(cs)
  if redis.call('GETBIT', K.done, c) == 1 then
    redis.call('XACK', K.tasks, GROUP, id)
    duplicates = duplicates + 1
    event('type', 'duplicate', 'chunk', cs, 'worker', worker)
    out[#out + 1] = 0
  else
    redis.call('XADD', K.results, '*', 'chunk_id', cs, 'worker_id', worker, 'status', 'ok',
               'duration_seconds', ARGV[i + 3], 'completed_at', at,
               'result_data', ARGV[i + 4], 'attempt', ARGV[i + 2], 'entry_id', id,
               'claimed_ms', ARGV[i + 5], 'queued_ms', ARGV[i + 6])
    redis.call('SETBIT', K.done, c, 1)
    redis.call('XACK', K.tasks, GROUP, id)
    committed = committed + 1
    if ARGV[i + 7] == '1' then wins = wins + 1 end
    out[#out + 1] = 1
  end
end
if duplicates > 0 then redis.call('HINCRBY', K.meta, 'duplicates', duplicates) end
if wins > 0 then redis.call('HINCRBY', K.meta, 'speculative_wins', wins) end
if committed > 0 then
  redis.call('HINCRBY', K.meta, 'done', committed)
  check_complete()
end
return out
)lua"));
  return s;
}

// ARGV: run consumer worker entry age_ms.
const redis::Script& script_speculate() {
  static const redis::Script s(job_script(R"lua(
local run, consumer, worker, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, err = incarnation(run)
if not state then return err end
if not active(state) then return {} end
local c = chunk_of(id, total_chunks())
if c == nil or redis.call('GETBIT', K.done, c) == 1 then return {} end
-- Only a chunk another live consumer computes: a handed-back one goes to
-- the next claim anyway.
local p = redis.call('XPENDING', K.tasks, GROUP, id, id, 1)
if #p == 0 or p[1][2] == HANDED or p[1][2] == consumer then return {} end
local e = redis.call('XRANGE', K.tasks, id, id)
if #e == 0 then return {} end
if redis.call('HSETNX', K.copies, c, consumer) == 0 then return {} end
redis.call('HINCRBY', K.meta, 'speculated', 1)
event('type', 'speculated', 'chunk', cstr(c), 'worker', worker, 'owner', p[1][2], 'age_ms', ARGV[5])
local a = tonumber(redis.call('HGET', K.attempts, c) or '1')
return {id, e[1][2], a, p[1][2], now_ms()}
)lua"));
  return s;
}

const redis::Script& script_fail() {
  static const redis::Script s(job_script(R"lua(
local run, consumer, worker, id, c, err = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]),
                                          ARGV[6]
local state = incarnation(run)
if not state then return {'lost', 0} end
if redis.call('GETBIT', K.done, c) == 1 then
  redis.call('XACK', K.tasks, GROUP, id)
  return {'finished', 0}
end
local p = redis.call('XPENDING', K.tasks, GROUP, id, id, 1)
if #p == 0 or p[1][2] ~= consumer then return {'lost', 0} end
local a = attempts_of(c)
local max = tonumber(redis.call('HGET', K.meta, 'max_attempts') or '3')
redis.call('HSET', K.errors, c, err)
if not exists(id) then
  bury(id, c, 'deleted', 'task entry was deleted from the stream; last error: ' .. err, a, worker)
  return {'dead', a}
end
if a >= max then
  bury(id, c, 'max_attempts', err, a, worker)
  return {'dead', a}
end
a = a + 1
redis.call('HSET', K.attempts, c, a)
redis.call('HINCRBY', K.meta, 'retries', 1)
redis.call('XCLAIM', K.tasks, GROUP, consumer, 0, id, 'JUSTID')
event('type', 'retry', 'chunk', ARGV[5], 'worker', worker, 'attempt', tostring(a), 'error', err)
return {'retry', a}
)lua"));
  return s;
}

const redis::Script& script_dead_letter() {
  static const redis::Script s(job_script(R"lua(
local state, err = incarnation(ARGV[1])
if not state then return err end
local id = ARGV[3]
bury(id, chunk_of(id, total_chunks()), 'malformed', ARGV[4], 0, ARGV[2])
return 1
)lua"));
  return s;
}

const redis::Script& script_refuse() {
  static const redis::Script s(job_script(R"lua(
local state, err = incarnation(ARGV[1])
if not state then return err end
if redis.call('HSET', K.refused, ARGV[2], ARGV[3]) == 1 then
  event('type', 'refused', 'worker', ARGV[2], 'reason', ARGV[3])
end
return 1
)lua"));
  return s;
}

const redis::Script& script_retire() {
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

const redis::Script& script_cancel() {
  static const redis::Script s(job_script(R"lua(
local state = redis.call('HGET', K.meta, 'state')
if not state then return redis.error_reply('NOJOB job does not exist') end
if state == 'complete' then return 'complete' end
if state == 'cancelled' then return 'was_cancelled' end
redis.call('HSET', K.meta, 'state', 'cancelled', 'finished_ms', now_ms())
event('type', 'cancelled')
return 'cancelled'
)lua"));
  return s;
}

// KEYS: the job's, then ttg:active. ARGV: job.
const redis::Script& script_finalize() {
  static const redis::Script s(job_script(R"lua(
local ACTIVE = KEYS[NJOBKEYS + 1]
local v = redis.call('HMGET', K.meta, 'state', 'retain_ms', 'expires_ms')
-- A job still (or again: retry reopens a complete job) running stays in the
-- active list; the check and the removal are one step.
if v[1] and v[1] ~= 'complete' and v[1] ~= 'cancelled' then return v[1] end
redis.call('SREM', ACTIVE, ARGV[1])
if not v[1] then return 'gone' end
if v[3] then return v[1] end
-- Every chunk of a complete job is acknowledged: its entries are dead weight,
-- unless some chunk is dead: retry needs its entry.
if v[1] == 'complete' and tonumber(redis.call('HGET', K.meta, 'dead') or '0') == 0 then
  redis.call('XTRIM', K.tasks, 'MAXLEN', 0)
end
local retain = tonumber(v[2] or '0')
if retain > 0 then
  redis.call('HSET', K.meta, 'expires_ms', now_ms() + retain)
  for i = 1, NJOBKEYS do
    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], retain) end
  end
else
  redis.call('HSET', K.meta, 'expires_ms', 0)
end
return v[1]
)lua"));
  return s;
}

// KEYS: the job's, then ttg:active. ARGV: run, job, chunk...
const redis::Script& script_retry() {
  static const redis::Script s(job_script(R"lua(
local ACTIVE = KEYS[NJOBKEYS + 1]
local state, err = incarnation(ARGV[1])
if not state then return err end
local total = total_chunks()
local out, retried, reopened = {}, 0, 0
for i = 3, #ARGV do
  local c = tonumber(ARGV[i])
  local why = nil
  local dead_id = nil
  if c == nil or c ~= math.floor(c) or c < 0 or c >= total then
    why = 'no_such_chunk'
  elseif state == 'cancelled' then
    why = 'cancelled'
  elseif redis.call('GETBIT', K.done, c) == 0 then
    why = 'not_dead'
  else
    dead_id = redis.call('HGET', K.dead_ids, c)
    if not dead_id then
      why = 'done'
    else
      local d = redis.call('XRANGE', K.dead, dead_id, dead_id)
      if #d == 0 then
        why = 'no_dead_entry'
      else
        local f = d[1][2]
        for j = 1, #f, 2 do
          if f[j] == 'reason' and f[j + 1] == 'malformed' then why = 'malformed' end
        end
        if why == nil and not exists(entry_of(c)) then why = 'deleted' end
      end
    end
  end
  if why then
    out[#out + 1] = why
  else
    local id = entry_of(c)
    -- FORCE: the entry was acknowledged when it died, so it is pending
    -- nowhere; this makes it pending in the handed-back consumer, where the
    -- next claim of any worker takes it.
    redis.call('XCLAIM', K.tasks, GROUP, HANDED, 0, id, 'FORCE', 'JUSTID')
    redis.call('HSET', K.handoff, id, '\tretry')
    redis.call('SETBIT', K.done, c, 0)
    -- Fresh attempts: the claim that takes it back makes this 1.
    redis.call('HSET', K.attempts, c, 0)
    redis.call('HDEL', K.errors, c)
    redis.call('HDEL', K.copies, c)
    redis.call('SETBIT', K.ahead, c, 0)
    redis.call('XDEL', K.dead, dead_id)
    redis.call('HDEL', K.dead_ids, c)
    event('type', 'retried', 'chunk', cstr(c))
    retried = retried + 1
    out[#out + 1] = 'retried'
  end
end
if retried > 0 then
  redis.call('HINCRBY', K.meta, 'dead', -retried)
  redis.call('HINCRBY', K.meta, 'retried', retried)
  if state == 'complete' then
    -- Running again: no expiry, and the sweeper finalizes it again when it
    -- completes; workers find it in the active list.
    local again = 'pending'
    if redis.call('HEXISTS', K.meta, 'first_claim_ms') == 1 then again = 'running' end
    redis.call('HSET', K.meta, 'state', again)
    redis.call('HDEL', K.meta, 'finished_ms', 'expires_ms')
    for j = 1, NJOBKEYS do redis.call('PERSIST', KEYS[j]) end
    redis.call('SADD', ACTIVE, ARGV[2])
    event('type', 'reopened', 'chunks', tostring(retried))
    reopened = 1
  end
end
return {reopened, out}
)lua"));
  return s;
}

// KEYS: workers heartbeats info ring sweep-state. ARGV: consumer client_id
// server info lease_gap conn_gap lease_grace conn_grace.
const redis::Script& script_heartbeat() {
  static const redis::Script s(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local consumer, client, server = ARGV[1], ARGV[2], ARGV[3]
local lease_gap, conn_gap = tonumber(ARGV[5]), tonumber(ARGV[6])
local lease_grace, conn_grace = tonumber(ARGV[7]), tonumber(ARGV[8])
local v = redis.call('HMGET', KEYS[5], 'last_ms', 'server', 'grace_until', 'conn_grace_until')
local last = tonumber(v[1] or '0')
local grace, cgrace = tonumber(v[3] or '0'), tonumber(v[4] or '0')
-- Nobody reached Redis for a while (it was frozen, restarted or cut off, or
-- every worker was gone): leases and connections look dead that are not.
if last > 0 and now - last > lease_gap then grace = math.max(grace, now + lease_grace) end
if last > 0 and now - last > conn_gap then cgrace = math.max(cgrace, now + conn_grace) end
if client ~= '' then
  if v[2] and v[2] ~= server then
    -- A restarted server: every connection was closed by the restart.
    grace = math.max(grace, now + lease_grace)
    cgrace = math.max(cgrace, now + conn_grace)
  end
  redis.call('HSET', KEYS[5], 'server', server)
  redis.call('HSET', KEYS[1], consumer, client .. ' ' .. server)
  redis.call('HSET', KEYS[3], consumer, ARGV[4])
  redis.call('ZADD', KEYS[4], 0, consumer)
elseif ARGV[4] ~= '' and redis.call('HEXISTS', KEYS[1], consumer) == 1 then
  -- A registered worker's entry, changed since its last heartbeat; one
  -- found gone and unregistered gets no entry until it registers again.
  redis.call('HSET', KEYS[3], consumer, ARGV[4])
end
redis.call('HSET', KEYS[2], consumer, now)
redis.call('HSET', KEYS[5], 'last_ms', now, 'grace_until', grace, 'conn_grace_until', cgrace)
return {now, grace, cgrace}
)lua");
  return s;
}

const redis::Script& script_sweep_lock() {
  static const redis::Script s(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua");
  return s;
}

const redis::Script& script_unregister() {
  static const redis::Script s(R"lua(
for i = 1, 3 do redis.call('HDEL', KEYS[i], ARGV[1]) end
redis.call('ZREM', KEYS[4], ARGV[1])
-- GETDEL, not DEL, which a worker's ACL user does not have (GETDEL deletes
-- string keys only: of TTG's, just this one).
if redis.call('GET', KEYS[5]) == ARGV[1] then redis.call('GETDEL', KEYS[5]) end
-- The last worker out leaves nothing behind: with no worker registered
-- there is no one whose outage a later heartbeat must excuse.
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('HDEL', KEYS[6], 'last_ms', 'server', 'grace_until', 'conn_grace_until')
end
return 1
)lua");
  return s;
}

Call job_call(const redis::Script& script, const std::string& job, std::vector<std::string> args) {
  return Call{&script, JobKeys(job).all(), std::move(args)};
}

std::string num(int64_t v) { return std::to_string(v); }

static_assert(std::string_view(kGroup) == "ttg-workers", "GROUP in kJobPrelude");
static_assert(std::string_view(kHandedBack) == "ttg:handed-back", "HANDED in kJobPrelude");

}  // namespace

Result<redis::Reply> run(redis::Client& client, const Call& call) {
  return client.eval(*call.script, call.keys, call.args);
}

redis::Command evalsha(const Call& call) {
  return redis::Connection::evalsha_command(*call.script, call.keys, call.args);
}

Call create(const std::string& job, const std::string& run,
            const std::vector<std::string>& meta_fields) {
  std::vector<std::string> args{run};
  args.insert(args.end(), meta_fields.begin(), meta_fields.end());
  return job_call(script_create(), job, std::move(args));
}

Call add_tasks(const std::string& job, const std::string& created_at, const JobSpec& spec,
               int64_t from, int64_t to) {
  return Call{&script_add_tasks(),
              {JobKeys(job).tasks},
              {job, created_at, num(spec.chunk_size), num(spec.total_params),
               num(spec.total_chunks()), num(from), num(to)}};
}

Call finish_submit(const JobRef& job) {
  return job_call(script_finish_submit(), job.name, {job.run});
}

Call claim(const JobRef& job, const std::string& consumer, const std::string& worker, int n,
           int ahead) {
  return job_call(script_claim(), job.name, {job.run, consumer, worker, num(n), num(ahead)});
}

Call renew(const JobRef& job, const std::string& consumer, const std::string& worker,
           const std::vector<std::string>& ids) {
  std::vector<std::string> args{job.run, consumer, worker};
  args.insert(args.end(), ids.begin(), ids.end());
  return job_call(script_renew(), job.name, std::move(args));
}

Call hand_over(const JobRef& job, HandOver kind, const std::string& from, int64_t min_idle_ms,
               int n, const std::string& worker, const std::vector<std::string>& ids) {
  const char* mode = "release";
  switch (kind) {
    case HandOver::kRelease:
      mode = "release";
      break;
    case HandOver::kGone:
      mode = "gone";
      break;
    case HandOver::kRestarted:
      mode = "restarted";
      break;
    case HandOver::kExpired:
      mode = "expired";
      break;
    case HandOver::kRecover:
      mode = "recover";
      break;
  }
  std::vector<std::string> args{job.run, mode, from, num(min_idle_ms), num(n), worker};
  args.insert(args.end(), ids.begin(), ids.end());
  return job_call(script_hand_over(), job.name, std::move(args));
}

Call commit(const JobRef& job, const std::string& worker) {
  return job_call(script_commit(), job.name, {job.run, worker});
}

void add_commit(Call& call, const Completion& c) {
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.6f", c.duration_seconds);
  call.args.push_back(c.chunk.entry_id);
  call.args.push_back(num(c.chunk.chunk));
  call.args.push_back(std::to_string(c.chunk.attempt));
  call.args.push_back(duration);
  call.args.push_back(c.result_data);
  call.args.push_back(num(c.chunk.claimed_ms));
  call.args.push_back(num(c.chunk.created_ms));
  call.args.push_back(c.chunk.speculative ? "1" : "0");
}

Call speculate(const JobRef& job, const std::string& consumer, const std::string& worker,
               const std::string& entry_id, int64_t age_ms) {
  return job_call(script_speculate(), job.name, {job.run, consumer, worker, entry_id, num(age_ms)});
}

Call fail(const Chunk& chunk, const std::string& consumer, const std::string& worker,
          const std::string& error) {
  return job_call(script_fail(), chunk.job,
                  {chunk.run, consumer, worker, chunk.entry_id, num(chunk.chunk), error});
}

Call dead_letter(const Chunk& chunk, const std::string& worker, const std::string& reason) {
  return job_call(script_dead_letter(), chunk.job, {chunk.run, worker, chunk.entry_id, reason});
}

Call refuse(const JobRef& job, const std::string& consumer, const std::string& reason) {
  return job_call(script_refuse(), job.name, {job.run, consumer, reason});
}

Call retire(const std::string& job, const std::string& consumer) {
  return Call{&script_retire(), {JobKeys(job).tasks}, {kGroup, consumer}};
}

Call cancel(const std::string& job) { return job_call(script_cancel(), job, {}); }

Call finalize(const std::string& job) {
  Call call = job_call(script_finalize(), job, {job});
  call.keys.push_back(kActiveKey);
  return call;
}

Call retry(const JobRef& job, const std::vector<int64_t>& chunks) {
  Call call = job_call(script_retry(), job.name, {job.run, job.name});
  call.keys.push_back(kActiveKey);
  for (int64_t c : chunks) call.args.push_back(num(c));
  return call;
}

Call heartbeat(const HeartbeatArgs& a) {
  // Gaps and graces (docs/PROTOCOL.md, "Clocks"): a silence longer than half
  // a lease could make a renewed lease look expired; one longer than two
  // seconds may come before clients' time-outs (5 s) close connections.
  // Workers beat every 250 ms, so neither happens while Redis is up.
  const int64_t lease_gap = std::max<int64_t>(a.lease_ms / 2, 1);
  const int64_t conn_gap = kConnectionGapMs;
  const int64_t lease_grace = a.lease_ms;
  // Long enough for every worker to reconnect and register again after an
  // outage: a client gives up on a silent server after its 5 s command
  // time-out, and reconnects with back-off (capped at 2 s) and a 2 s connect
  // time-out. A worker that really died meanwhile is still found by its
  // lease once the lease grace is over.
  const int64_t conn_grace = std::max<int64_t>(a.lease_ms, kConnectionGraceMs);
  return Call{&script_heartbeat(),
              {kWorkersKey, kHeartbeatsKey, kWorkerInfoKey, kRingKey, kSweepStateKey},
              {a.consumer, a.client_id, a.server, a.info, num(lease_gap), num(conn_gap),
               num(lease_grace), num(conn_grace)}};
}

Call sweep_lock(const std::string& consumer, int64_t ttl_ms) {
  return Call{&script_sweep_lock(), {kSweeperKey}, {consumer, num(ttl_ms)}};
}

Call unregister(const std::string& consumer) {
  return Call{&script_unregister(),
              {kWorkersKey, kHeartbeatsKey, kWorkerInfoKey, kRingKey, kSweeperKey, kSweepStateKey},
              {consumer}};
}

}  // namespace ttg::queue::scripts

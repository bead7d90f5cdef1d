#pragma once
// The Lua scripts of the queue protocol (docs/PROTOCOL.md, "Scripts").
// Each is atomic; keys are passed in a fixed order documented beside each.

#include "redis/connection.h"

namespace ttg::queue::scripts {

// KEYS: meta tasks. ARGV: group, field, value, ... Returns 1 created, 0 exists.
const redis::Script& create();
// KEYS: meta. Ends submission: state submitting -> pending (or running).
const redis::Script& finish_submit();
// KEYS: tasks. ARGV: job created_at chunk_size total_params total_chunks
// from to. Adds the task entries of chunks [from, to) with the fields of
// codec.h's task_fields(), generated in Redis to save the bytes on the wire.
const redis::Script& add_tasks();
// KEYS: tasks meta attempts done released. ARGV: group consumer n lease_ms.
// Returns [[id, [field, value...], attempt], ...].
const redis::Script& claim();
// KEYS: tasks. ARGV: group consumer id... Returns the lost IDs.
const redis::Script& renew();
// KEYS: tasks meta attempts done dead events errors.
// ARGV: group consumer lease_ms n worker held_id...
// Returns [[id, fields, attempt, previous_owner, idle_ms], ...].
const redis::Script& reclaim();
// KEYS: tasks meta results done events (one job).
// ARGV: group worker, then per chunk: entry chunk attempt duration
// completed_at result_data. Returns per chunk 1 committed, 0 duplicate.
const redis::Script& commit();
// KEYS: tasks meta attempts done dead events errors.
// ARGV: group entry chunk consumer error worker. Returns [kind, attempt].
const redis::Script& fail();
// KEYS: tasks meta done dead events. ARGV: group entry unused reason error worker.
// The chunk is the one the entry ID names, if any.
const redis::Script& dead_letter();
// KEYS: tasks meta attempts released events.
// ARGV: group consumer idle_ms refund(0|1) id... Hands back the entries the
// consumer holds; with refund the interrupted attempt is given back (a
// worker shutting down), without it the attempt counts (a dead worker).
// Returns the number handed back.
const redis::Script& release();

// KEYS: tasks. ARGV: group consumer. Deletes the consumer only when its
// pending list is empty; returns 1 when deleted.
const redis::Script& retire();

}  // namespace ttg::queue::scripts

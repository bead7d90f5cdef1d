#pragma once
// Task entries: the fields written by submit and their decoding. Pure
// functions, testable without a server.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/job.h"
#include "queue/work_queue.h"
#include "redis/reply.h"

namespace ttg::queue {

// The stream entry ID of chunk `c`: "(c+1)-0". The one place (with the Lua
// scripts' chunk_of()) that knows how IDs name chunks.
std::string entry_id_for_chunk(int64_t c);
// The chunk that entry ID `id` names in a job of `total` chunks, if any.
std::optional<int64_t> chunk_of_entry_id(std::string_view id, int64_t total);

// The fields of chunk `c`'s task entry (prototype names plus `job`).
std::vector<std::string> task_fields(const std::string& job, const JobSpec& spec, int64_t c,
                                     const std::string& created_at);

// Decodes a claimed entry (`id`, flat field/value array) of `job` into a
// Chunk. Never fails: an entry that does not match the spec comes back with
// `malformed` set to the reason. `chunk` is -1 when the ID names no chunk.
Chunk decode_task(const std::string& job, const JobSpec& spec, const std::string& id,
                  const redis::Reply& fields, int attempt);

// Field/value pairs of a flat [f1, v1, f2, v2, ...] array reply.
std::vector<std::pair<std::string, std::string>> field_pairs(const redis::Reply& flat);

}  // namespace ttg::queue

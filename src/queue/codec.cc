#include "queue/codec.h"

#include <map>

#include "util/strings.h"

namespace ttg::queue {

std::string entry_id_for_chunk(int64_t c) { return std::to_string(c + 1) + "-0"; }

std::optional<int64_t> chunk_of_entry_id(std::string_view id, int64_t total) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos || id.substr(dash + 1) != "0") return std::nullopt;
  auto ms = util::parse_int(id.substr(0, dash));
  if (!ms || *ms < 1 || *ms > total) return std::nullopt;
  return *ms - 1;
}

std::vector<std::string> task_fields(const std::string& job, const JobSpec& spec, int64_t c,
                                     const std::string& created_at) {
  int64_t b = spec.chunk_begin(c);
  int64_t e = spec.chunk_end(c);
  return {"chunk_id",     std::to_string(c),
          "start_param",  std::to_string(b),
          "end_param",    std::to_string(e),
          "params_count", std::to_string(e - b),
          "total_params", std::to_string(spec.total_params),
          "total_chunks", std::to_string(spec.total_chunks()),
          "created_at",   created_at,
          "job",          job};
}

std::vector<std::pair<std::string, std::string>> field_pairs(const redis::Reply& flat) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& e = flat.elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) out.emplace_back(e[i].str(), e[i + 1].str());
  return out;
}

Chunk decode_task(const std::string& job, const JobSpec& spec, const std::string& id,
                  const redis::Reply& fields, int attempt) {
  Chunk chunk;
  chunk.job = job;
  chunk.entry_id = id;
  chunk.attempt = attempt;
  int64_t total = spec.total_chunks();
  chunk.chunk = chunk_of_entry_id(id, total).value_or(-1);
  auto bad = [&](std::string why) {
    chunk.malformed = "entry " + id + ": " + why;
    return chunk;
  };
  if (chunk.chunk < 0) return bad("ID does not name a chunk of this job (not written by ttg)");
  if (!fields.is_array() || fields.size() % 2 != 0) return bad("fields are not pairs");
  std::map<std::string, std::string> f;
  for (auto& [k, v] : field_pairs(fields)) f[k] = v;
  auto get = [&](const char* name) -> std::optional<int64_t> {
    auto it = f.find(name);
    if (it == f.end()) return std::nullopt;
    return util::parse_int(it->second);
  };
  auto cid = get("chunk_id");
  auto start = get("start_param");
  auto end = get("end_param");
  if (!cid) return bad("field chunk_id is missing or not an integer");
  if (!start) return bad("field start_param is missing or not an integer");
  if (!end) return bad("field end_param is missing or not an integer");
  if (*cid != chunk.chunk) {
    return bad("chunk_id " + std::to_string(*cid) + " does not match its ID");
  }
  if (*start != spec.chunk_begin(chunk.chunk) || *end != spec.chunk_end(chunk.chunk)) {
    return bad("parameter range [" + std::to_string(*start) + ", " + std::to_string(*end) +
               ") does not match the job's spec");
  }
  chunk.begin = *start;
  chunk.end = *end;
  // Only for the queue-wait metric: an entry without it is still computed.
  if (auto it = f.find("created_at"); it != f.end()) {
    chunk.created_ms = parse_iso8601(it->second).value_or(0);
  }
  return chunk;
}

}  // namespace ttg::queue

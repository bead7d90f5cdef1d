// Fuzzes the task entry decoder, ttg::queue::decode_task
// (src/queue/codec.h), with the entries a claim could return.
//
// Input: one mode byte, then lines ('\n'): the entry ID, then field, value,
// field, value, ... Mode bits: 1 = a job of 2^63 - 1 points (else 1003
// points in chunks of 10), 2 = the fields reply is nil instead of an array,
// 4 = every third element of the array is an integer reply.
//
// decode_task never fails and never throws: an entry comes back either as a
// chunk of the job with the spec's range, or with `malformed` saying why.
// And what submit writes for any chunk decodes to that chunk.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "queue/codec.h"
#include "redis/reply.h"
#include "util/strings.h"

namespace {

using ttg::redis::Reply;

ttg::JobSpec spec_for(bool huge) {
  ttg::JobSpec spec;
  spec.kernel = "noop";
  spec.total_params = huge ? std::numeric_limits<int64_t>::max() : 1003;
  spec.chunk_size = huge ? 7 : 10;
  return spec;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.emplace_back(text.substr(pos));
      return out;
    }
    out.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

void check_decoded(const ttg::queue::Chunk& chunk, const ttg::JobSpec& spec, const std::string& job,
                   const std::string& id, int attempt) {
  TTG_FUZZ_CHECK(chunk.job == job);
  TTG_FUZZ_CHECK(chunk.entry_id == id);
  TTG_FUZZ_CHECK(chunk.attempt == attempt);
  if (!chunk.malformed.empty()) {
    TTG_FUZZ_CHECK(ttg::util::starts_with(chunk.malformed, "entry " + id + ": "));
    return;
  }
  TTG_FUZZ_CHECK(chunk.chunk >= 0 && chunk.chunk < spec.total_chunks());
  TTG_FUZZ_CHECK(chunk.begin == spec.chunk_begin(chunk.chunk));
  TTG_FUZZ_CHECK(chunk.end == spec.chunk_end(chunk.chunk));
  TTG_FUZZ_CHECK(chunk.begin < chunk.end && chunk.end <= spec.total_params);
}

// What submit writes for chunk `c` decodes to chunk `c`.
void check_round_trip(const ttg::JobSpec& spec, uint64_t seed) {
  int64_t c = static_cast<int64_t>(seed % static_cast<uint64_t>(spec.total_chunks()));
  std::vector<Reply> elements;
  for (auto& f : ttg::queue::task_fields("job", spec, c, "2026-01-01T00:00:00Z")) {
    elements.push_back(Reply::string(std::move(f)));
  }
  std::string id = ttg::queue::entry_id_for_chunk(c);
  auto chunk = ttg::queue::decode_task("job", spec, id, Reply::array(std::move(elements)), 1);
  TTG_FUZZ_CHECK(chunk.malformed.empty());
  TTG_FUZZ_CHECK(chunk.chunk == c);
  check_decoded(chunk, spec, "job", id, 1);
}

void check(const uint8_t* data, size_t size) {
  if (size == 0) return;
  uint8_t mode = data[0];
  auto spec = spec_for((mode & 1) != 0);
  auto lines = split_lines(ttg::fuzz::as_text(data + 1, size - 1));
  std::string id = lines[0];
  Reply fields;
  if ((mode & 2) == 0) {
    std::vector<Reply> elements;
    for (size_t i = 1; i < lines.size(); ++i) {
      if ((mode & 4) != 0 && i % 3 == 0) {
        elements.push_back(Reply::integer(static_cast<int64_t>(lines[i].size())));
      } else {
        elements.push_back(Reply::string(lines[i]));
      }
    }
    fields = Reply::array(std::move(elements));
  }
  int attempt = 1 + static_cast<int>(size % 5);
  auto chunk = ttg::queue::decode_task("job", spec, id, fields, attempt);
  check_decoded(chunk, spec, "job", id, attempt);

  uint64_t seed = 0;
  std::memcpy(&seed, data, std::min(size, sizeof seed));
  check_round_trip(spec, seed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ttg::fuzz::run_guarded([&] { check(data, size); });
  return 0;
}

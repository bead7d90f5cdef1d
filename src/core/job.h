#pragma once
// Jobs and chunks: the domain of the work queue. No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/param_space.h"
#include "core/result.h"

namespace ttg {

// Limits of a job (docs/ARCHITECTURE.md, "Limits"). A chunk's results are
// one stream entry holding a record per point, computed and held in memory
// by one worker: at most kMaxChunkSize points per chunk. Every chunk is a
// stream entry that stays in Redis's memory until the job is cleaned up: at
// most kMaxChunks chunks per job (a bigger space needs bigger chunks).
inline constexpr int64_t kMaxChunkSize = 1'000'000;
inline constexpr int64_t kMaxChunks = 100'000'000;
// The chunk size "auto" as a setting or spec file holds it: chosen at submit
// time from a timing of the kernel (sizing/chunk_size.h). Never the
// chunk_size of a JobSpec.
inline constexpr int64_t kAutoChunkSize = 0;

// What a job computes and how it is cut into chunks. Stored as JSON in the
// job's meta so that every worker derives the same chunks, and the same
// parameter values from a chunk's index range.
struct JobSpec {
  // Kernel name (see `ttg kernels`). Default "simulate".
  std::string kernel = "simulate";
  // The kernel's fixed arguments, e.g. {"work_ms": 100}. Default empty.
  nlohmann::json args = nlohmann::json::object();
  // Number of parameter points, indices 0..total_params-1. With a `space`,
  // always its size (set_space() keeps them equal; validate() checks).
  // Default 1000.
  int64_t total_params = 1000;
  // Points per chunk, 1 to kMaxChunkSize. Default 10.
  int64_t chunk_size = 10;
  // Attempts before a chunk is dead-lettered. Default 3.
  int max_attempts = 3;
  // The parameter space. None means the integers 0..total_params-1 named
  // "param" (`ttg submit --params N`, and specs stored before spaces
  // existed), so such specs keep their JSON form. Set it with set_space().
  // Default none.
  std::optional<ParamSpace> space;
  // Names of the outputs to keep; empty = all. Default empty.
  std::vector<std::string> outputs;

  int64_t total_chunks() const {
    return total_params / chunk_size + (total_params % chunk_size != 0 ? 1 : 0);
  }
  // [begin, end) of chunk `c` (0 <= c < total_chunks()).
  int64_t chunk_begin(int64_t c) const { return c * chunk_size; }
  int64_t chunk_end(int64_t c) const {
    // Written so that nothing overflows near total_params = 2^63 - 1.
    return chunk_size < total_params - c * chunk_size ? c * chunk_size + chunk_size : total_params;
  }

  // Sets `space` and total_params = its size.
  void set_space(ParamSpace s);
  // The space of the points: `space`, else ParamSpace::count(total_params).
  // Errors: kInvalidArgument when total_params < 1.
  [[nodiscard]] Result<ParamSpace> param_space() const;
  // The parameter set of point `index` (0 <= index < total_params) as
  // {"name": value, ...}: {"param": index} without a space. O(dimensions);
  // safe to call from many threads at once. This is what a kernel computes.
  nlohmann::json point(int64_t index) const;
  // The names of the parameters of every point, in declaration order.
  std::vector<std::string> param_names() const;

  // {"kernel", "args", "total_params", "chunk_size", "max_attempts"} and,
  // when set, "space" (ParamSpace::to_json()) and "outputs".
  nlohmann::json to_json() const;
  // Parses and validates (kInvalidArgument naming the bad field). A spec
  // with "space" derives total_params from it (a "total_params" that
  // disagrees is an error); one without has the integer points of
  // "total_params".
  [[nodiscard]] static Result<JobSpec> from_json(const nlohmann::json& j);
  // Checks the ranges: total_params >= 1 (and equal to the space's size),
  // chunk_size 1..kMaxChunkSize, at most kMaxChunks chunks, max_attempts
  // 1..1000, outputs non-empty and unique.
  [[nodiscard]] Status validate() const;
};

// Job names: 1-100 characters of [A-Za-z0-9._-]; no braces or colons, so a
// name cannot break the key layout (`ttg:{NAME}:...`).
[[nodiscard]] Status validate_job_name(std::string_view name);

// A fresh job name: "job-YYYYmmdd-HHMMSS-xxxx".
std::string generate_job_name();

// Job states as stored in the meta hash.
enum class JobState { kSubmitting, kPending, kRunning, kComplete, kCancelled };
std::string_view job_state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);

// `ms` since the Unix epoch as ISO-8601 UTC with milliseconds
// ("2026-11-29T18:12:34.123Z"); iso8601_now() for the local clock.
std::string iso8601(int64_t ms);
std::string iso8601_now();
// The inverse of iso8601(): ms since the Unix epoch of exactly that form
// ("YYYY-MM-DDTHH:MM:SS.mmmZ"); nullopt for any other text.
std::optional<int64_t> parse_iso8601(std::string_view text);

// A fresh run id: 16 random hex digits. Each submission of a job gets one.
std::string generate_run_id();

// What differs between two specs, one line per field ("chunk_size: 10
// stored, 20 given"; kernel arguments one by one); empty when equal.
std::vector<std::string> spec_differences(const JobSpec& stored, const JobSpec& given);
// Milliseconds since the Unix epoch.
int64_t unix_ms();

// The most chunks a list of chunks (parse_chunk_list) may name.
inline constexpr int64_t kMaxChunkList = 1'000'000;
// Parses a list of chunk numbers such as "3,5-7" (chunks 3, 5, 6, 7):
// comma-separated numbers and inclusive ranges A-B, spaces around them
// allowed. Returns them ascending, each once. kInvalidArgument, with a
// message naming the part that is wrong, for an empty list or part, a part
// that is not a number or range, a negative number, a range whose end is
// below its start, or more than kMaxChunkList chunks.
[[nodiscard]] Result<std::vector<int64_t>> parse_chunk_list(std::string_view text);
// `chunks` (ascending) as parse_chunk_list() reads them: runs of three or
// more as ranges, "3, 5-7, 9" (with `separator` ","; "3,5-7,9").
std::string format_chunk_list(const std::vector<int64_t>& chunks,
                              std::string_view separator = ", ");

}  // namespace ttg

#pragma once
// Jobs and chunks: the domain of the work queue. No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace ttg {

// What a job computes and how it is cut into chunks. Stored as JSON in the
// job's meta so that every worker derives the same chunks.
struct JobSpec {
  // Kernel name (see `ttg kernels`). Default "simulate".
  std::string kernel = "simulate";
  // The kernel's fixed arguments, e.g. {"work_ms": 100}. Default empty.
  nlohmann::json args = nlohmann::json::object();
  // Number of parameter points (integers 0..total_params-1). Default 1000.
  int64_t total_params = 1000;
  // Points per chunk. Default 10.
  int64_t chunk_size = 10;
  // Attempts before a chunk is dead-lettered. Default 3.
  int max_attempts = 3;

  int64_t total_chunks() const { return (total_params + chunk_size - 1) / chunk_size; }
  // [begin, end) of chunk `c` (0 <= c < total_chunks()).
  int64_t chunk_begin(int64_t c) const { return c * chunk_size; }
  int64_t chunk_end(int64_t c) const {
    return c * chunk_size + chunk_size < total_params ? c * chunk_size + chunk_size : total_params;
  }

  nlohmann::json to_json() const;
  // Parses and validates (kInvalidArgument naming the bad field).
  [[nodiscard]] static Result<JobSpec> from_json(const nlohmann::json& j);
  // Checks the ranges: total_params >= 1, chunk_size >= 1, max_attempts >= 1.
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

// The current wall-clock time as ISO-8601 UTC with milliseconds.
std::string iso8601_now();
// Milliseconds since the Unix epoch.
int64_t unix_ms();

}  // namespace ttg

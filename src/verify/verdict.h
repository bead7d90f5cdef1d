#pragma once
// The one check of a job's results, shared by `ttg demo`, `ttg verify` and
// every fault test: each chunk has exactly one result (none missing, none
// twice, none naming no chunk), chunks expected to have none have none, and
// every stored value equals a recomputation in this process.

#include <cstdint>
#include <set>
#include <string>

#include "core/job.h"
#include "core/result.h"
#include "kernels/kernel.h"
#include "queue/redis_queue.h"

namespace ttg::verify {

struct Verdict {
  int64_t total = 0;              // chunks of the job
  int64_t results = 0;            // entries in the results stream
  int64_t with_result = 0;        // chunks that have at least one result
  int64_t missing = 0;            // chunks without a result (expected ones excepted)
  int64_t duplicate_results = 0;  // chunks with more than one result, and results of no chunk
  int64_t unexpected = 0;         // results of chunks expected to have none
  int64_t dead = 0;               // dead-lettered chunks (as given)
  int64_t mismatched = 0;         // results whose value differs from the recomputation
  int64_t checked_values = 0;     // parameter sets recomputed and compared
  bool pass = false;              // nothing missing, duplicated, unexpected or mismatched;
                                  // no dead letters unless expected
  std::string first_problem;      // the first problem found, for people
};

struct CheckOptions {
  // The job's dead-letter count. A job with dead letters does not pass,
  // unless they are exactly the chunks of `without_result`.
  int64_t dead = 0;
  // Chunks that must have no result (dead-lettered on purpose by a test).
  // They are not recomputed.
  std::set<int64_t> without_result;
  // Plugin kernels for a plugin job; borrowed for the call. Null: built-in
  // kernels only.
  const kernels::Registry* plugins = nullptr;
};

// Reads every result of `job` from `store` and recomputes each chunk of
// `spec` with the job's reference kernel. Errors: reading the results
// (Redis errors, kNotFound), or a kernel that cannot be made or fails on
// recomputation. Runs on the calling thread; `store` is borrowed.
[[nodiscard]] Result<Verdict> check_job(queue::JobStore& store, const std::string& job,
                                        const JobSpec& spec, const CheckOptions& options);

// "PASS: every chunk has exactly one result, ..." or "FAIL: <first problem>".
std::string verdict_text(const Verdict& v);

}  // namespace ttg::verify

#pragma once
// The computed verdict of `ttg demo` and `ttg verify`: every chunk of a job
// has exactly one result, none is missing, and every stored value equals a
// recomputation in this process.

#include <cstdint>
#include <string>

#include "core/job.h"
#include "core/result.h"
#include "kernels/kernel.h"
#include "queue/redis_queue.h"

namespace ttg::cli {

struct Verdict {
  int64_t total = 0;              // chunks of the job
  int64_t with_result = 0;        // chunks that have at least one result
  int64_t missing = 0;            // chunks without a result
  int64_t duplicate_results = 0;  // chunks with more than one result, and results of no chunk
  int64_t dead = 0;               // dead-lettered chunks (as given)
  int64_t mismatched = 0;         // results whose value differs from the recomputation
  int64_t checked_values = 0;     // parameter sets recomputed and compared
  bool pass = false;              // nothing missing, duplicated, mismatched or dead
  std::string first_problem;      // the first problem found, for people
};

// Reads every result of `job` from `store` and recomputes each chunk of
// `spec` with the job's kernel (a plugin kernel from `plugins`, which must
// then be given; borrowed for the call). `dead` is the job's dead-letter
// count: a job with dead letters does not pass. Errors: reading the results
// (Redis errors), or a kernel that cannot be made or fails on recomputation.
[[nodiscard]] Result<Verdict> compute_verdict(queue::JobStore& store, const std::string& job,
                                              const JobSpec& spec, int64_t dead,
                                              const kernels::Registry* plugins = nullptr);

// "PASS: every chunk has exactly one result, ..." or "FAIL: <first problem>".
std::string verdict_text(const Verdict& v);

}  // namespace ttg::cli

#pragma once
// The check every fault test ends with: each chunk of a job has exactly one
// result, and that result equals a recomputation in the test's own process.
// The same check as `ttg demo` and `ttg verify` (src/verify/), reported as
// test failures.

#include <cstdint>
#include <set>
#include <string>

#include "core/job.h"
#include "queue/redis_queue.h"

namespace ttg::testing {

struct ExactlyOnceReport {
  int64_t results = 0;     // entries in the results stream
  int64_t missing = 0;     // chunks without a result
  int64_t twice = 0;       // chunks with more than one result, and results of no chunk
  int64_t wrong = 0;       // results that differ from a recomputation
  int64_t unexpected = 0;  // results of chunks listed in `without_result`
};

// Reads every result of `job` and recomputes each chunk with the spec's
// reference kernel. Chunks in `without_result` (dead-lettered ones) must have
// no result and are not recomputed. Records a test failure (EXPECT) for each
// kind of mismatch, and returns the counts.
ExactlyOnceReport expect_exactly_once_and_correct(queue::JobStore& store, const std::string& job,
                                                  const JobSpec& spec,
                                                  const std::set<int64_t>& without_result = {});

}  // namespace ttg::testing

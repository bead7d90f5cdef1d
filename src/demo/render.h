#pragma once
// What `ttg demo` prints at the end: the results table (or one JSON object)
// and, for the mandelbrot kernel, the picture drawn from the stored results.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/result.h"
#include "queue/redis_queue.h"
#include "verify/verdict.h"

namespace ttg::demo {

// The run as the demo saw it.
struct Summary {
  std::string job, kernel;
  int workers = 0;
  int64_t total_params = 0;
  double seconds = 0;                      // from the workers' start to completion
  std::string killed_worker;               // empty: none was killed
  std::optional<double> takeover_seconds;  // kill -> its last chunk committed elsewhere
  std::vector<std::string> events;         // for people, in order
  std::string kept_redis;                  // the URL of a Redis left running, if any
};

// The results table for people.
void print_summary(std::ostream& out, const Summary& sum, const queue::JobStatus& status,
                   const verify::Verdict& verdict);

// The same as one JSON object (`ttg demo --json`).
nlohmann::json summary_json(const Summary& sum, const queue::JobStatus& status,
                            const verify::Verdict& verdict);

// The Mandelbrot picture from the stored results of `job` (a `width`-wide
// grid, rows top to bottom): '#' inside the set, shades by escape time
// outside, every other row (a character is about twice as tall as wide),
// wide pictures sampled down to at most 100 columns; then a caption saying
// so. Errors: reading the results.
[[nodiscard]] Result<std::string> mandelbrot_picture(queue::JobStore& store, const std::string& job,
                                                     const JobSpec& spec, int64_t width);

}  // namespace ttg::demo

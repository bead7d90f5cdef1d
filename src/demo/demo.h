#pragma once
// `ttg demo`: one job run by a few worker processes on a Redis of the
// demo's own (or a given one), watched live, optionally with a worker killed
// in the middle, and judged by the shared verifier (src/verify/): every
// chunk exactly one result, every value equal to a recomputation.
//
// The demo reads Redis only through queue::JobStore. Workers are separate
// `ttg worker` processes, started and stopped by pid.

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/result.h"
#include "redis/options.h"

namespace ttg::demo {

// kCli: progress, workers and events on the terminal; kWeb: the dashboard
// of `ttg serve` in the demo's process (its URL printed) and no live
// terminal view; kBoth: both; kNone: nothing but the verdict's exit code.
enum class Monitor { kCli, kWeb, kBoth, kNone };

struct DemoOptions {
  // "small" (1,000 parameter sets), "medium" (10,000) or "large"
  // (1,000,000): the prototype's scales.
  std::string scale = "small";
  int workers = 3;
  // Kill (SIGKILL) a worker that holds a chunk once `kill_at` of the chunks
  // are done.
  bool fault_demo = false;
  double kill_at = 0.3;
  // "mandelbrot" (a picture is drawn) or any built-in kernel, with its
  // arguments.
  std::string kernel = "mandelbrot";
  nlohmann::json args = nlohmann::json::object();
  // Overrides of the scale's figures, when given.
  std::optional<int64_t> total_params, chunk_size, simulate_work_ms;
  int max_attempts = 3;
  int64_t lease_ms = 10000;
  int64_t reclaim_interval_ms = 1000;

  Monitor monitor = Monitor::kCli;
  // With kWeb or kBoth: the dashboard's port on 127.0.0.1; 0 = any free
  // port. Default 8080.
  int web_port = 8080;
  // With kWeb or kBoth: after the verdict, keep the dashboard (and the
  // demo's Redis) up until a line is read from stdin (Enter), stdin ends,
  // or `stop`; else stop with the demo. Default false.
  bool serve_after_verdict = false;
  // ttg's version, for the dashboard's metrics. Default empty.
  std::string version;
  // Redraw the progress line in place (a terminal); else print it every 2 s.
  bool interactive = false;
  // Print one JSON object at the end, nothing else.
  bool json = false;
  // Leave the demo's private Redis running (and the workers' logs in place)
  // so that the results can be read afterwards.
  bool keep = false;

  // A Redis to use; none: a private redis-server on a unix socket, started
  // and stopped by the demo.
  std::optional<redis::Options> redis;
  // The job's name (required).
  std::string job;
  // The ttg binary the workers run (`PROGRAM worker ...`), and how to show
  // it to people in the commands the demo suggests (e.g. build/release/ttg).
  std::string program;
  std::string program_shown;
};

// The job spec the demo runs for `options` (validated, kernel included).
// Errors: kInvalidArgument for a bad kernel, arguments or figures.
[[nodiscard]] Result<JobSpec> demo_spec(const DemoOptions& options);

struct DemoOutcome {
  bool pass = false;         // the verifier's verdict
  bool interrupted = false;  // `stop` became true before the job completed
};

// Runs the demo, writing its monitor, results and picture to `out`.
// Returns when the job completed (then judged; with the dashboard and
// `serve_after_verdict`, once the user is done with it), `stop` became true
// (interrupted), or it failed: errors are Redis's, kInvalidArgument (the
// dashboard's port cannot be listened on), kIo (a worker or
// redis-server could not start), kInternal (every worker exited before the
// job was complete), kTimeout (the job took more than ten times the ideal
// time plus two minutes). Blocks the calling thread; `stop` is polled every
// 100 ms.
[[nodiscard]] Result<DemoOutcome> run_demo(const DemoOptions& options, std::ostream& out,
                                           const std::atomic<bool>& stop);

}  // namespace ttg::demo

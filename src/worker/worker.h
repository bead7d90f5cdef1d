#pragma once
// The worker: claim -> compute -> commit, with a lease thread, takeover of
// expired leases, retries with back-off, and a draining shutdown
// (docs/PROTOCOL.md). Sees the queue only through queue::WorkQueue.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "kernels/kernel.h"
#include "obs/metrics.h"
#include "queue/work_queue.h"
#include "worker/status.h"

namespace ttg::worker {

struct WorkerOptions {
  // The job to serve; empty = every active job. Default empty.
  std::string job;
  // Compute slots (threads). Default 2.
  int threads = 2;
  // Claim ahead (docs/PROTOCOL.md, "Claim ahead"): queued work per slot
  // allowed, by the measured chunk time, at most a tenth of the lease;
  // 0 = claim only for free slots. Default 50.
  int64_t claim_ahead_ms = 50;
  // Speculative tail (docs/PROTOCOL.md, "Speculative tail"): with a free
  // slot and nothing left to claim of a job, copy the chunk another worker
  // has computed longest, once it is past `speculation`'s threshold.
  // Default on.
  bool speculate = true;
  queue::SpeculationPolicy speculation;
  // For tests and benchmarks of slow machines: every chunk takes this many
  // times its compute time (the slot idles for the rest, cancellable).
  // Default 1.
  double slowdown = 1;
  // Lease length in ms (must match the queue's). Default 10000.
  int64_t lease_ms = 10000;
  // How often the lease thread renews; 0 = lease_ms / 3. Default 0.
  int64_t renew_interval_ms = 0;
  // Mean interval between the sweeper's scans for expired leases (jittered
  // +-50%; only the worker holding the sweeper role scans). Default 1000.
  int64_t reclaim_interval_ms = 1000;
  // Mean interval between liveness checks of the next workers in the ring
  // (jittered +-50%): a dead worker's chunks are handed over this long after
  // its connection closed, at most. Default 250.
  int64_t liveness_interval_ms = 250;
  // Exit after this long with nothing to do; 0 = never. Default 30000.
  int64_t idle_timeout_ms = 30000;
  // On SIGTERM: time allowed to finish in-flight chunks before handing them
  // back. Default 30000.
  int64_t drain_timeout_ms = 30000;
  // Jobs of kernel `exec` run a program named by whoever wrote the job's
  // spec: served only when `allow_exec_any`, or when the program's path
  // starts with one of `exec_prefixes`. Default neither.
  bool allow_exec_any = false;
  std::vector<std::string> exec_prefixes;
  // What the registry shows of this worker.
  queue::WorkerInfo info;
  // Where the worker reports its events (obs/metrics.h); borrowed, must
  // outlive run_worker(). Default nullptr: no metrics, at no cost.
  obs::WorkerMetrics* metrics = nullptr;
  // Where the worker tells its liveness and readiness (worker/status.h):
  // the main loop beats it every round and marks draining, the lease
  // thread reports each heartbeat. Borrowed, must outlive run_worker().
  // Default nullptr: not told.
  WorkerStatus* status = nullptr;
};

struct WorkerStats {
  int64_t claimed = 0;     // chunks claimed (new or handed back)
  int64_t taken_over = 0;  // chunks taken over after a lease expired
  int64_t speculated = 0;  // speculative copies started
  int64_t max_held = 0;    // the most chunks held at once (claim ahead)
  int64_t committed = 0;   // results recorded
  int64_t duplicates = 0;  // commits suppressed as duplicates
  int64_t retries = 0;     // failed attempts retried
  int64_t dead = 0;        // chunks this worker dead-lettered
  int64_t lost = 0;        // chunks whose lease this worker lost
  int64_t released = 0;    // chunks handed back at shutdown
  int64_t malformed = 0;   // malformed entries dead-lettered
  int64_t refused = 0;     // incarnations this worker would not serve
  // Why run() returned: "finished" (the job is complete), "cancelled",
  // "idle", "stopped", "no_job" (the job named never existed before the idle
  // time-out).
  std::string exit_reason;
};

// Makes a queue with its own connection; called once for the main loop and
// once for the lease thread.
using QueueFactory = std::function<std::unique_ptr<queue::WorkQueue>()>;
// Makes a kernel for a job's spec; called once per compute slot and job.
using KernelFactory = std::function<Result<std::unique_ptr<kernels::Kernel>>(const JobSpec& spec)>;

// Runs one worker until its job(s) are finished, the idle time-out passes, or
// `stop` becomes true (then it drains: finishes in-flight chunks within the
// drain time-out, hands back the rest). Redis errors are logged and retried
// with back-off; they never end the worker. Returns an error only for a
// fault it cannot work around: a worker of one job (`options.job`) that cannot
// serve the job (its kernel unknown here, a plugin that is not loaded or has
// another version, an exec program not allowed) returns that error; a worker
// of every job refuses such a job, says why in the job's status, and serves
// the others.
//
// Threads: the caller's thread runs the main loop (claims, commits, liveness
// checks); one lease thread renews and heartbeats; `options.threads` compute
// threads run kernels. `make_queue` and `make_kernel` are called from these
// threads and must outlive the call.
[[nodiscard]] Result<WorkerStats> run_worker(const WorkerOptions& options,
                                             const QueueFactory& make_queue,
                                             const KernelFactory& make_kernel,
                                             const std::atomic<bool>& stop);

}  // namespace ttg::worker

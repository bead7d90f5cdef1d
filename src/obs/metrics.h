#pragma once
// A worker's metrics: the events the worker reports (WorkerMetrics), a sink
// that drops them (null_metrics()), and PrometheusMetrics, which counts them
// in a prometheus-cpp registry and renders it in the Prometheus text format
// (which the worker's endpoint, src/worker/endpoint.h, serves as /metrics). The metrics, their
// types, labels and meaning are listed in docs/DEPLOY.md ("Metrics and health"). No prometheus-cpp
// header is included here: code that reports events does not depend on it.
//
// Labels: every series has `worker` (the worker's consumer name); per-job
// series have `ttg_job` (Prometheus reserves `job` for its own use). A
// worker counts at most kMaxJobLabels jobs under their own names; events of
// further jobs are counted under `ttg_job="(other)"` (job names cannot hold
// parentheses), so a worker that serves every job for weeks keeps a bounded
// number of series. No label ever names a chunk.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ttg::obs {

// Why a worker dead-lettered a chunk.
enum class DeadLetterReason {
  kAttempts,   // its last attempt failed (a kernel error)
  kMalformed,  // its task entry cannot be computed
};

// The events of a worker. Thread safety: every method may be called from
// any thread, concurrently (a worker calls them from its main loop, its
// compute threads and its lease thread); none blocks for long or fails.
// `job` is borrowed for the call only. The base class records nothing: it
// is the null sink, and each event costs one virtual call.
class WorkerMetrics {
 public:
  WorkerMetrics() = default;
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;
  virtual ~WorkerMetrics() = default;

  // `n` chunks of `job` committed (first commit wins).
  virtual void on_committed(const std::string& /*job*/, int64_t /*n*/) {}
  // A commit suppressed as a duplicate: the chunk was already done.
  virtual void on_duplicate(const std::string& /*job*/) {}
  // An attempt failed with a kernel error (retried or not).
  virtual void on_failed(const std::string& /*job*/) {}
  // A failed attempt that the queue will retry.
  virtual void on_retried(const std::string& /*job*/) {}
  // A chunk claimed from a gone or expired owner.
  virtual void on_taken_over(const std::string& /*job*/) {}
  // A speculative copy started of a chunk another worker was slow with.
  virtual void on_speculated(const std::string& /*job*/) {}
  // `n` chunks handed back at shutdown (their attempt refunded).
  virtual void on_handed_back(const std::string& /*job*/, int64_t /*n*/) {}
  // A chunk this worker dead-lettered.
  virtual void on_dead_lettered(const std::string& /*job*/, DeadLetterReason /*why*/) {}
  // A chunk's lease lost: another worker owns it now.
  virtual void on_lease_lost(const std::string& /*job*/) {}
  // One attempt's compute time (success or kernel error, not a cancel).
  virtual void observe_compute(const std::string& /*job*/, double /*seconds*/) {}
  // From the chunk's queueing to its first claim, on Redis's clock.
  virtual void observe_queue_wait(const std::string& /*job*/, double /*seconds*/) {}
  // `chunks` leases of `job` renewed by one call that took `seconds`.
  virtual void observe_renewal(const std::string& /*job*/, int64_t /*chunks*/, double /*seconds*/) {
  }
  // Compute slots: their number, and one starting or ending a computation.
  virtual void set_slots(int /*total*/) {}
  virtual void on_compute_started() {}
  virtual void on_compute_ended() {}
  // Chunks held now (computing, waiting for a retry, committing).
  virtual void set_in_flight(int64_t /*n*/) {}
  // A Redis operation `op` that failed (unreachable, timed out, an error
  // reply) and will be tried again. `op` is one of a small fixed set of
  // names ("claim", "commit", "renew", ...): it becomes a label.
  virtual void on_redis_error(std::string_view /*op*/) {}
  // `n` new connections to Redis after the first one of a connection user.
  virtual void on_reconnects(int64_t /*n*/) {}
};

// A sink that records nothing; lives as long as the process.
WorkerMetrics& null_metrics();

struct MetricsOptions {
  // The `worker` label of every series. Default empty.
  std::string worker;
  // The `version` label of ttg_build_info. Default empty.
  std::string version;
};

// Jobs counted under their own `ttg_job` label, at most.
inline constexpr size_t kMaxJobLabels = 100;

// The metrics in a Prometheus registry. Thread safety: as WorkerMetrics;
// text() may run concurrently with events and with itself.
class PrometheusMetrics final : public WorkerMetrics {
 public:
  explicit PrometheusMetrics(const MetricsOptions& options);
  ~PrometheusMetrics() override;

  // Everything, in the Prometheus text format (what /metrics returns).
  std::string text() const;

  void on_committed(const std::string& job, int64_t n) override;
  void on_duplicate(const std::string& job) override;
  void on_failed(const std::string& job) override;
  void on_retried(const std::string& job) override;
  void on_taken_over(const std::string& job) override;
  void on_speculated(const std::string& job) override;
  void on_handed_back(const std::string& job, int64_t n) override;
  void on_dead_lettered(const std::string& job, DeadLetterReason why) override;
  void on_lease_lost(const std::string& job) override;
  void observe_compute(const std::string& job, double seconds) override;
  void observe_queue_wait(const std::string& job, double seconds) override;
  void observe_renewal(const std::string& job, int64_t chunks, double seconds) override;
  void set_slots(int total) override;
  void on_compute_started() override;
  void on_compute_ended() override;
  void set_in_flight(int64_t n) override;
  void on_redis_error(std::string_view op) override;
  void on_reconnects(int64_t n) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks that `text` is an IPv4 address (the form --metrics-bind takes;
// the endpoint listens on IPv4 only).
// Errors: kInvalidArgument.
[[nodiscard]] Status check_bind_address(std::string_view text);

}  // namespace ttg::obs

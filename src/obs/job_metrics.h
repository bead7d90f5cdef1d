#pragma once
// The per-job gauges of `ttg serve` (docs/DEPLOY.md, "The dashboard: ttg
// serve"), rendered in the Prometheus text format from plain values. The
// caller (src/serve/) gathers the values; only job_metrics.cc includes
// prometheus-cpp. Pure: no I/O, safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ttg::obs {

// One job's values; every series of it has the label `ttg_job` = `name`.
struct JobGauges {
  std::string name;
  // One of "submitting", "pending", "running", "complete", "cancelled":
  // ttg_job_state{state=...} is 1 for it and 0 for the four others.
  std::string state;
  int64_t chunks = 0, done = 0, dead = 0, in_flight = 0, pending = 0, lag = 0;
  double rate_chunks_per_second = 0;
  std::optional<double> eta_seconds;  // nullopt: the series is left out
  double oldest_in_flight_seconds = 0;
  int64_t workers = 0;
  double created_timestamp_seconds = 0;
  // Counters from the job's meta.
  int64_t takeovers = 0, duplicates = 0, retries = 0, chunks_retried = 0, speculated = 0,
          speculative_wins = 0;
};

// Everything /metrics shows.
struct ServeGauges {
  std::vector<JobGauges> jobs;
  int64_t backlog_chunks = 0;
  int64_t workers_registered = 0, workers_alive = 0;
  bool redis_up = false;
  std::string version;  // label of ttg_serve_build_info
};

// The job states ttg_job_state has a series for, in that order.
const std::vector<std::string>& job_state_labels();

// `gauges` in the Prometheus text format (version 0.0.4), with HELP and
// TYPE lines for every family, families in a fixed order.
std::string render_job_metrics(const ServeGauges& gauges);

}  // namespace ttg::obs

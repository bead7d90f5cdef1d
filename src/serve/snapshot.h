#pragma once
// What `ttg serve` knows of a Redis at one refresh: every job shown, its
// chunks in flight, events and dead letters, and the worker registry
// (docs/DEPLOY.md, "The dashboard: ttg serve"). A Snapshot is built by the
// poller and never changed after it is published: any number of request
// threads read one through a shared_ptr<const Snapshot>.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "queue/redis_queue.h"

namespace ttg::serve {

// A registered worker is alive while its heartbeat is younger than this
// (workers beat every 250 ms).
inline constexpr int64_t kAliveMs = 2000;
// Chunks in flight read per job and refresh, at most (lowest chunk first).
inline constexpr int kMaxInFlight = 2000;
// Events kept per job (the newest), dead letters read per job (the first).
inline constexpr int kMaxEvents = 100;
inline constexpr int kMaxDead = 100;

struct InFlightChunk {
  int64_t chunk = -1;
  std::string consumer;
  // Since its claim when its worker reports it (`from_claim`), else the
  // pending list's idle time.
  int64_t age_ms = 0;
  bool from_claim = false;
  int64_t deliveries = 0;
};

struct JobSnapshot {
  queue::JobStatus status;
  int64_t in_flight = 0;  // claimed by a worker (handed-back chunks are pending)
  int64_t pending = 0;    // not done, not dead, not in flight
  int64_t lag = 0;
  std::optional<double> rate;  // chunks/s over the last minute; nullopt: unknown
  std::optional<double> eta_s;
  int64_t oldest_in_flight_ms = 0;
  int64_t workers = 0;                            // consumers holding its chunks
  std::vector<InFlightChunk> chunks;              // at most kMaxInFlight, lowest chunk first
  std::vector<queue::ResultRecord> events;        // the newest kMaxEvents, oldest first
  std::vector<queue::ResultRecord> dead;          // the first kMaxDead dead letters
  std::vector<std::pair<int64_t, double>> rates;  // the rate chart

  bool finished() const {
    return status.state == JobState::kComplete || status.state == JobState::kCancelled;
  }
};

struct Snapshot {
  // Whether a refresh has run yet; until then nothing is known.
  bool polled = false;
  // Whether the last refresh reached Redis; when not, `error` says why and
  // the rest is the last snapshot that did.
  bool redis_up = false;
  std::string error;
  int64_t redis_time_ms = 0;  // Redis's clock at the last refresh that reached it
  int64_t refresh_ms = 0;
  int64_t jobs_registered = 0;    // jobs in the registry (those shown: `jobs`)
  std::vector<JobSnapshot> jobs;  // the newest first
  std::vector<queue::JobStore::RegisteredWorker> workers;  // by name
  int64_t workers_alive = 0;
  // Over the jobs not finished.
  int64_t pending = 0, in_flight = 0;

  const JobSnapshot* find(const std::string& name) const {
    for (const auto& j : jobs) {
      if (j.status.name == name) return &j;
    }
    return nullptr;
  }
};

// Whether `w` beat within kAliveMs.
inline bool alive(const queue::JobStore::RegisteredWorker& w) {
  return w.heartbeat_age_ms >= 0 && w.heartbeat_age_ms < kAliveMs;
}

}  // namespace ttg::serve

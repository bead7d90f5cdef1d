#include "worker/status.h"

namespace ttg::worker {

int64_t WorkerStatus::ticks(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

WorkerStatus::WorkerStatus(StatusOptions options) : options_(options) {}

void WorkerStatus::loop_beat(Clock::time_point now) {
  loop_at_.store(ticks(now));
  loop_started_.store(true);
}

void WorkerStatus::loop_ended() { loop_ended_.store(true); }

void WorkerStatus::heartbeat_ok(Clock::time_point now) {
  heartbeat_at_.store(ticks(now));
  heartbeat_seen_.store(true);
  heartbeat_failing_.store(false);
}

void WorkerStatus::heartbeat_failed(std::string_view error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::string(error.substr(0, error.find('\n')));
  }
  heartbeat_failing_.store(true);
}

void WorkerStatus::set_draining() { draining_.store(true); }

Health WorkerStatus::liveness(Clock::time_point now) const {
  if (loop_ended_.load()) return {true, "ok: stopping"};
  if (!loop_started_.load()) return {true, "ok: starting"};
  const int64_t age_ms = (ticks(now) - loop_at_.load()) / 1000000;
  if (age_ms > options_.stall_ms) {
    return {false, "wedged: the main loop has made no progress for " + std::to_string(age_ms) +
                       " ms (limit " + std::to_string(options_.stall_ms) + " ms)"};
  }
  return {true, "ok"};
}

Health WorkerStatus::readiness(Clock::time_point now) const {
  if (draining_.load()) return {false, "draining: finishing in-flight chunks, claiming no more"};
  if (heartbeat_failing_.load()) {
    std::lock_guard<std::mutex> lock(mu_);
    return {false, "redis unreachable: " + error_};
  }
  if (!heartbeat_seen_.load()) return {false, "not registered yet: no heartbeat has reached Redis"};
  const int64_t age_ms = (ticks(now) - heartbeat_at_.load()) / 1000000;
  if (age_ms > options_.heartbeat_ms) {
    return {false, "not registered: the last heartbeat reached Redis " + std::to_string(age_ms) +
                       " ms ago"};
  }
  return {true, "ok"};
}

}  // namespace ttg::worker

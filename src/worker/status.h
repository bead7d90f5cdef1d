#pragma once
// What a running worker says about itself on its health endpoint
// (docs/DEPLOY.md, "Metrics and health"): liveness (its main loop still
// goes round) and readiness (it reaches Redis, is registered, and is not
// draining). The worker writes the status from its threads; the HTTP
// handlers read it from theirs.
//
// Thread safety: every method may be called from any thread, concurrently;
// none blocks for long (atomics, and a mutex around one short string).
// Times are std::chrono::steady_clock's, so a jump of the wall clock
// changes nothing; each method takes `now` for tests.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace ttg::worker {

struct StatusOptions {
  // The main loop counts as wedged when it has made no progress for this
  // long. Between two beats it makes at most a few Redis calls, each
  // bounded by the connect and command time-outs (2 s, 5 s) and the
  // reconnect back-off, so this leaves room. Default 60000.
  int64_t stall_ms = 60000;
  // Registered only while the last successful heartbeat is this recent:
  // the registry counts a worker whose heartbeat is older than 2 s as gone
  // (the heartbeat goes every 250 ms). Default 2000.
  int64_t heartbeat_ms = 2000;
};

// A verdict: ok, or why not (one line).
struct Health {
  bool ok = false;
  std::string reason;
};

class WorkerStatus {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkerStatus(StatusOptions options = {});
  WorkerStatus(const WorkerStatus&) = delete;
  WorkerStatus& operator=(const WorkerStatus&) = delete;

  // The main loop made progress: it went round, or finished a Redis call
  // in a round (called from the main loop only, but any thread would do).
  void loop_beat(Clock::time_point now = Clock::now());
  // The main loop has ended (the worker is retiring and will exit):
  // liveness no longer watches it.
  void loop_ended();
  // A heartbeat reached Redis (the registry entry is written).
  void heartbeat_ok(Clock::time_point now = Clock::now());
  // A heartbeat failed; `error` says why (its first line is kept).
  void heartbeat_failed(std::string_view error);
  // SIGTERM: the worker claims no more and finishes what it holds.
  void set_draining();

  // Ok before the main loop's first round (the worker waits for Redis at
  // start-up, for --connect-timeout at most, then exits by itself), while
  // it has made progress within stall_ms, and once it has ended (the
  // process retires and exits); else why not.
  Health liveness(Clock::time_point now = Clock::now()) const;
  // 200 when not draining, the last heartbeat succeeded and is younger
  // than heartbeat_ms; else the first reason that applies, in that order:
  // "draining: ...", "redis unreachable: ERROR", "not registered yet: ...",
  // "not registered: the last heartbeat reached Redis N ms ago".
  Health readiness(Clock::time_point now = Clock::now()) const;

 private:
  static int64_t ticks(Clock::time_point t);

  const StatusOptions options_;
  std::atomic<bool> loop_started_{false};
  std::atomic<int64_t> loop_at_{0};  // steady ns of the last round
  std::atomic<bool> loop_ended_{false};
  std::atomic<int64_t> heartbeat_at_{0};  // steady ns of the last good heartbeat
  std::atomic<bool> heartbeat_seen_{false};
  std::atomic<bool> heartbeat_failing_{false};
  std::atomic<bool> draining_{false};
  mutable std::mutex mu_;  // guards error_
  std::string error_;      // the last heartbeat's error
};

}  // namespace ttg::worker

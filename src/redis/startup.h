#pragma once
// Waiting for Redis at start-up, when processes start in any order: a worker
// started before its Redis (by a script, or by Kubernetes, which starts the
// pods of a deployment together) waits for it rather than failing at once.

#include <atomic>
#include <chrono>
#include <functional>

#include "core/result.h"
#include "redis/options.h"
#include "util/backoff.h"

namespace ttg::redis {

struct StartupWait {
  // How long to keep trying, counted from the first try; 0 = one try.
  // Default 60 s.
  std::chrono::milliseconds timeout{60000};
  // The delay between tries: capped exponential back-off with jitter.
  // Default 100 ms doubling up to 2 s.
  util::BackoffPolicy backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(2000), 2.0,
                              0.5};
  // OnWaiting is called on the first failed try, then at most once per
  // this. Default 10 s.
  std::chrono::milliseconds report_every{10000};
};

// Told that the server cannot be reached yet: the last try's error and how
// long the wait has lasted so far. Called on the waiting thread.
using OnWaiting = std::function<void(const Error& error, std::chrono::milliseconds waited)>;

// Connects to the server of `options` and closes the connection again,
// trying again while the server cannot be reached: kConnection and kTimeout
// (refused, unreachable, no answer) are retried until `wait.timeout` has
// passed since the first try. Any other error is returned at once: kNoAuth
// and kWrongPass (the password), kTls (certificates), kProtocol (not a Redis
// server).
// Returns ok once a connection was made (PING answered, AUTH and SELECT
// done); the last error, its message ending "(tried for N s)", when the time
// is up; kCancelled soon after `stop` becomes true (it is checked every
// 50 ms). Blocks the calling thread; a try itself takes at most the
// options' connect and command time-outs.
[[nodiscard]] Status wait_for_server(const Options& options, const StartupWait& wait,
                                     const std::atomic<bool>& stop, const OnWaiting& on_waiting);

}  // namespace ttg::redis

#pragma once
// Capped exponential back-off with jitter.

#include <chrono>
#include <random>

namespace ttg::util {

struct BackoffPolicy {
  // First delay. Default 50 ms.
  std::chrono::milliseconds initial{50};
  // Largest delay before jitter. Default 2 s.
  std::chrono::milliseconds max{2000};
  // Growth per failure. Default 2.
  double multiplier = 2.0;
  // Fraction of each delay drawn at random: the delay is uniform in
  // [d * (1 - jitter), d]. Default 0.5.
  double jitter = 0.5;
};

// Not thread-safe: one per retry loop.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {});
  // The delay before the next attempt; grows with each call.
  std::chrono::milliseconds next();
  // After a success: the next delay is `initial` again.
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

// A duration uniform in [base * (1 - fraction), base * (1 + fraction)], for
// spreading periodic work of many processes (no stampede).
std::chrono::milliseconds jittered(std::chrono::milliseconds base, double fraction);

}  // namespace ttg::util

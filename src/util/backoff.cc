#include "util/backoff.h"

#include <algorithm>
#include <cmath>

namespace ttg::util {

namespace {
std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}
}  // namespace

Backoff::Backoff(BackoffPolicy policy) : policy_(policy), rng_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next() {
  double base = static_cast<double>(policy_.initial.count()) *
                std::pow(policy_.multiplier, std::min(attempt_, 30));
  base = std::min(base, static_cast<double>(policy_.max.count()));
  ++attempt_;
  double lo = base * (1.0 - std::clamp(policy_.jitter, 0.0, 1.0));
  std::uniform_real_distribution<double> dist(lo, base);
  return std::chrono::milliseconds(static_cast<long long>(dist(rng_)));
}

std::chrono::milliseconds jittered(std::chrono::milliseconds base, double fraction) {
  double b = static_cast<double>(base.count());
  double f = std::clamp(fraction, 0.0, 1.0);
  std::uniform_real_distribution<double> dist(b * (1.0 - f), b * (1.0 + f));
  return std::chrono::milliseconds(static_cast<long long>(dist(thread_rng())));
}

}  // namespace ttg::util

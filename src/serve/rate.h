#pragma once
// A job's progress over time, as `ttg serve` sees it: its `done` counter
// sampled at each refresh on Redis's clock, the commit rate over the last
// minute, the points of the dashboard's rate chart, and the ETA
// (docs/DEPLOY.md, "The dashboard: ttg serve"). Pure: no I/O, no clock of
// its own. Not thread-safe: the poller owns each history.

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace ttg::serve {

class RateHistory {
 public:
  // The rate is the growth of `done` over this window.
  static constexpr int64_t kWindowMs = 60'000;
  // Each chart point is the rate over this window before it.
  static constexpr int64_t kChartWindowMs = 10'000;
  // Samples older than this (behind the newest) are dropped; so are the
  // oldest beyond kMaxSamples (a refresh faster than 300 ms).
  static constexpr int64_t kKeepMs = 600'000;
  static constexpr size_t kMaxSamples = 2000;

  // Records `done` at `t_ms`. A time not after the newest sample's replaces
  // that sample's count when equal, and starts the history over when
  // earlier (Redis's clock went back: another server).
  void add(int64_t t_ms, int64_t done);
  // Chunks per second from the oldest sample of the last kWindowMs to the
  // newest; nullopt with fewer than two samples there. Never negative.
  std::optional<double> rate() const;
  // [t_ms, chunks per second over the kChartWindowMs before t_ms] for
  // every sample but the first, oldest first.
  std::vector<std::pair<int64_t, double>> chart() const;
  size_t size() const { return samples_.size(); }

 private:
  struct Sample {
    int64_t t_ms;
    int64_t done;
  };
  std::deque<Sample> samples_;
};

// Seconds until `remaining` chunks are done at `chunks_per_second`: 0 when
// nothing remains; nullopt when the rate is unknown or zero.
std::optional<double> eta_seconds(int64_t remaining, std::optional<double> chunks_per_second);

}  // namespace ttg::serve

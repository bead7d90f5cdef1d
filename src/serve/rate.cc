#include "serve/rate.h"

#include <algorithm>

namespace ttg::serve {

namespace {

double per_second(int64_t from_done, int64_t to_done, int64_t from_ms, int64_t to_ms) {
  // `done` only grows within a job's run; a drop (it cannot, but a hand
  // edit of the meta could) reads as no progress.
  const double chunks = static_cast<double>(std::max<int64_t>(to_done - from_done, 0));
  return chunks * 1000.0 / static_cast<double>(to_ms - from_ms);
}

}  // namespace

void RateHistory::add(int64_t t_ms, int64_t done) {
  if (!samples_.empty()) {
    if (t_ms < samples_.back().t_ms) samples_.clear();
  }
  if (!samples_.empty() && t_ms == samples_.back().t_ms) {
    samples_.back().done = done;
  } else {
    samples_.push_back({t_ms, done});
  }
  while (!samples_.empty() && samples_.front().t_ms < t_ms - kKeepMs) samples_.pop_front();
  while (samples_.size() > kMaxSamples) samples_.pop_front();
}

std::optional<double> RateHistory::rate() const {
  if (samples_.size() < 2) return std::nullopt;
  const Sample& last = samples_.back();
  auto first = std::lower_bound(samples_.begin(), samples_.end(), last.t_ms - kWindowMs,
                                [](const Sample& s, int64_t t) { return s.t_ms < t; });
  if (first->t_ms >= last.t_ms) return std::nullopt;
  return per_second(first->done, last.done, first->t_ms, last.t_ms);
}

std::vector<std::pair<int64_t, double>> RateHistory::chart() const {
  std::vector<std::pair<int64_t, double>> out;
  size_t from = 0;
  for (size_t i = 1; i < samples_.size(); ++i) {
    while (samples_[from].t_ms < samples_[i].t_ms - kChartWindowMs) ++from;
    // `from` is at most i - 1 here only if a sample lies in the window;
    // otherwise the one just before stands in (a refresh slower than it).
    const size_t j = std::min(from, i - 1);
    out.emplace_back(samples_[i].t_ms, per_second(samples_[j].done, samples_[i].done,
                                                  samples_[j].t_ms, samples_[i].t_ms));
  }
  return out;
}

std::optional<double> eta_seconds(int64_t remaining, std::optional<double> chunks_per_second) {
  if (remaining <= 0) return 0.0;
  if (!chunks_per_second || *chunks_per_second <= 0) return std::nullopt;
  return static_cast<double>(remaining) / *chunks_per_second;
}

}  // namespace ttg::serve

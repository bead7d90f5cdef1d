#include "sizing/chunk_size.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

namespace ttg::sizing {

namespace {

using Clock = std::chrono::steady_clock;

// The largest size a double is turned into before the caps apply: far above
// kMaxChunkSize, far below int64's limit.
constexpr double kLargeSize = 4e18;

// floor(`seconds` / `per_point`) points, at least 1, at most kLargeSize.
int64_t points_in(double seconds, double per_point) {
  double v = std::floor(seconds / per_point);
  if (!(v >= 1)) return 1;
  if (v >= kLargeSize) return static_cast<int64_t>(kLargeSize);
  return static_cast<int64_t>(v);
}

int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

std::string num(int64_t n) { return std::to_string(n); }

// The offsets' visiting order: 0, k/2, k/4, 3k/4, ... (each index's bits
// reversed), so that the first few offsets visited are spread over the space.
std::vector<int64_t> spread_order(int64_t k) {
  int bits = 0;
  while ((int64_t{1} << bits) < k) ++bits;
  std::vector<std::pair<uint64_t, int64_t>> keyed;
  for (int64_t i = 0; i < k; ++i) {
    uint64_t r = 0;
    for (int b = 0; b < bits; ++b) {
      if ((static_cast<uint64_t>(i) >> b) & 1u) r |= uint64_t{1} << (bits - 1 - b);
    }
    keyed.emplace_back(r, i);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<int64_t> out;
  for (const auto& [r, i] : keyed) out.push_back(i);
  return out;
}

// floor(i * n / k) without overflow (0 <= i <= k <= n).
int64_t scaled(int64_t i, int64_t n, int64_t k) { return n / k * i + n % k * i / k; }

}  // namespace

std::string_view rule_name(Rule rule) {
  switch (rule) {
    case Rule::kTarget:
      return "target";
    case Rule::kTail:
      return "tail";
    case Rule::kFloor:
      return "floor";
    case Rule::kWholeJob:
      return "whole job";
    case Rule::kMaxChunkSize:
      return "max chunk size";
    case Rule::kMaxChunks:
      return "max chunks";
  }
  return "";
}

std::string format_seconds(double seconds) {
  char buf[64];
  if (seconds < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.2g ns", seconds * 1e9);
  } else if (seconds < 1e-6) {
    std::snprintf(buf, sizeof buf, "%.0f ns", seconds * 1e9);
  } else if (seconds < 1e-3) {
    std::snprintf(buf, sizeof buf, "%.1f us", seconds * 1e6);
  } else if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%.2f ms", seconds * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  }
  return buf;
}

Choice choose_chunk_size(const ChoiceInput& in) {
  const double p = std::max(in.seconds_per_point, 1e-9);
  const int64_t n = std::max<int64_t>(in.total_points, 1);
  // Bounded so that kChunksPerSlot * slots cannot overflow.
  const int64_t slots = std::clamp<int64_t>(in.slots, 1, int64_t{1} << 40);
  const double target = in.target_seconds > 0 ? in.target_seconds : kDefaultTargetSeconds;
  const double floor_seconds = kOverheadFactor * kChunkOverheadSeconds;

  const int64_t target_size = points_in(target, p);
  // Rounded down, so that the job has at least kChunksPerSlot * slots chunks
  // when it has that many points.
  const int64_t tail_size = std::max<int64_t>(1, n / (kChunksPerSlot * slots));
  const int64_t floor_size = std::max<int64_t>(
      1, static_cast<int64_t>(std::min(std::ceil(floor_seconds / p), kLargeSize)));

  Choice c;
  c.chunk_size = target_size;
  c.rule = Rule::kTarget;
  c.reason =
      "the target: " + format_seconds(target) + " per chunk at " + format_seconds(p) + " per point";
  if (tail_size < c.chunk_size) {
    c.chunk_size = tail_size;
    c.rule = Rule::kTail;
    c.reason = "the tail rule: at least " + num(kChunksPerSlot) + " chunks per slot for " +
               num(slots) + (slots == 1 ? " slot" : " slots") + " (" +
               num(std::min(n, kChunksPerSlot * slots)) +
               " chunks), so that the last wave is "
               "short; the " +
               format_seconds(target) + " target would make " + num(ceil_div(n, target_size)) +
               (ceil_div(n, target_size) == 1 ? " chunk" : " chunks");
  }
  if (floor_size > c.chunk_size) {
    c.chunk_size = floor_size;
    c.rule = Rule::kFloor;
    c.reason = "the overhead floor: at least " + format_seconds(floor_seconds) +
               " of work per chunk, so that Redis's ~" + format_seconds(kChunkOverheadSeconds) +
               " per chunk stays under 1%";
  }
  if (c.chunk_size >= n) {
    if (c.rule == Rule::kFloor) {
      c.reason = "one chunk: the job's " + num(n) + (n == 1 ? " point takes" : " points take") +
                 " about " + format_seconds(p * static_cast<double>(n)) +
                 ", under the overhead floor of " + format_seconds(floor_seconds) + " per chunk";
    } else {
      c.reason = "one chunk: the job has " + num(n) + (n == 1 ? " point" : " points");
    }
    c.chunk_size = n;
    c.rule = Rule::kWholeJob;
  }
  if (c.chunk_size > kMaxChunkSize) {
    c.reason = "the largest chunk size, " + num(kMaxChunkSize) + " points (" + c.reason + ")";
    c.chunk_size = kMaxChunkSize;
    c.rule = Rule::kMaxChunkSize;
  }
  c.chunks = ceil_div(n, c.chunk_size);
  if (c.chunks > kMaxChunks) {
    int64_t fit = ceil_div(n, kMaxChunks);
    if (fit <= kMaxChunkSize) {
      c.chunk_size = fit;
      c.chunks = ceil_div(n, fit);
      c.rule = Rule::kMaxChunks;
      c.reason = "raised so that the job has at most " + num(kMaxChunks) + " chunks";
    }
  }
  c.chunk_seconds = p * static_cast<double>(c.chunk_size);
  return c;
}

std::string not_timed_reason(const JobSpec& spec) {
  if (spec.kernel == "exec") {
    return "kernel exec is not timed at submit time: that would run the job's program on this "
           "machine";
  }
  if (spec.kernel == "faulty") {
    return "kernel faulty is not timed at submit time: its faults name chunks, which the chunk "
           "size defines";
  }
  return "";
}

Result<Sample> measure(const JobSpec& spec, const std::string& job,
                       const kernels::Registry& plugins, const SampleOptions& options) {
  const auto started = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  auto made = kernels::make_kernel(spec, plugins);
  if (!made) return tl::unexpected(made.error());
  std::unique_ptr<kernels::Kernel> kernel = std::move(*made);
  const kernels::PointFn point = kernels::points_for(spec);
  const int64_t n = spec.total_params;
  if (n < 1) return make_error(ErrorCode::kInvalidArgument, "the job has no points to time");
  const int64_t k = std::clamp<int64_t>(options.offsets, 1, n);

  // Offset i's points are [i * n / k, (i + 1) * n / k): disjoint, so no
  // point is timed twice, and together the whole space.
  struct Stratum {
    int64_t next, end;
    bool started = false;
  };
  std::vector<Stratum> strata;
  for (int64_t i : spread_order(k)) strata.push_back({scaled(i, n, k), scaled(i + 1, n, k)});

  kernels::CancelFlag cancel{false};
  Sample s;
  int64_t length = 1;
  for (;;) {
    bool ran = false;
    for (auto& st : strata) {
      if (st.next >= st.end) continue;
      const int64_t len = std::min(length, st.end - st.next);
      if (s.points > 0 &&
          elapsed() + s.seconds_per_point() * static_cast<double>(len) > options.max_wall_seconds) {
        s.stopped = "wall-time bound";
        s.wall_seconds = elapsed();
        return s;
      }
      kernels::ChunkTask task{job, 0, st.next, st.next + len, 1, point};
      const auto t0 = Clock::now();
      auto r = kernel->run(task, cancel);
      const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!r) {
        return make_error(ErrorCode::kKernelFailed,
                          "kernel '" + spec.kernel + "' failed on points [" + num(st.next) + ", " +
                              num(st.next + len) + ") while timing it: " + r.error().message);
      }
      s.points += len;
      s.runs += 1;
      s.kernel_seconds += dt;
      if (!st.started) s.offsets += 1;
      st.started = true;
      st.next += len;
      ran = true;
      if (s.kernel_seconds >= options.min_kernel_seconds) {
        s.stopped = "enough kernel time";
        s.whole_job = s.points == n;
        s.wall_seconds = elapsed();
        return s;
      }
      if (elapsed() >= options.max_wall_seconds) {
        s.stopped = "wall-time bound";
        s.whole_job = s.points == n;
        s.wall_seconds = elapsed();
        return s;
      }
    }
    if (!ran) break;
    if (length < (int64_t{1} << 61)) length *= 2;
  }
  s.stopped = "every point";
  s.whole_job = true;
  s.wall_seconds = elapsed();
  return s;
}

}  // namespace ttg::sizing

#pragma once
// Choosing a job's chunk size at submit time (`ttg submit --chunk-size
// auto`, the default for built-in and plugin kernels): time the kernel on a
// sample of the parameter space, then pick a size from that measurement.
//
// The choice (choose_chunk_size) is a pure function of the measurement, so
// its rules are tested without a clock; the measurement (measure) runs the
// kernel in the calling thread exactly as a worker's compute slot does
// (kernels::make_kernel, kernels::points_for, Kernel::run on a ChunkTask).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/result.h"
#include "kernels/kernel.h"

namespace ttg::sizing {

// Seconds of computation a chunk aims at (--target-chunk-seconds). Long
// enough that Redis's share is negligible, short enough that a lost worker
// costs little recomputation and progress shows. Default 2.
inline constexpr double kDefaultTargetSeconds = 2.0;
// The tail rule: a job gets at least this many chunks per expected slot
// (when its points allow), so that the last wave is a small part of the run.
inline constexpr int64_t kChunksPerSlot = 8;
// Redis time a chunk costs (claim, lease renewals, commit), an estimate
// from docs/PERFORMANCE.md's queue ceiling.
inline constexpr double kChunkOverheadSeconds = 100e-6;
// The floor: a chunk computes for at least this multiple of
// kChunkOverheadSeconds (overhead under 1% of the chunk's time).
inline constexpr double kOverheadFactor = 100.0;
// The chunk size of kernels that are not timed at submit time (see
// not_timed_reason()), and of `ttg worker --static` without a size.
inline constexpr int64_t kFixedChunkSize = 10;

// Which rule decided a choice.
enum class Rule {
  kTarget,        // target_seconds / seconds_per_point
  kTail,          // at least kChunksPerSlot chunks per slot
  kFloor,         // the queue-overhead floor
  kWholeJob,      // the job has no more points than the size: one chunk
  kMaxChunkSize,  // capped at kMaxChunkSize
  kMaxChunks,     // raised so that the job has at most kMaxChunks chunks
};
std::string_view rule_name(Rule rule);

struct ChoiceInput {
  // The kernel's measured time per point, in seconds; >= 0 (0 is taken as
  // 1 ns).
  double seconds_per_point = 0;
  // The job's points, >= 1.
  int64_t total_points = 1;
  // Compute slots expected to run the job, >= 1 (fewer is taken as 1).
  int64_t slots = 1;
  // Seconds per chunk to aim at, > 0.
  double target_seconds = kDefaultTargetSeconds;
};

struct Choice {
  // 1..kMaxChunkSize.
  int64_t chunk_size = 1;
  // ceil(total_points / chunk_size). Above kMaxChunks only when no size
  // fits (total_points > kMaxChunks * kMaxChunkSize): the caller refuses it.
  int64_t chunks = 1;
  // The estimated seconds of one full chunk: chunk_size * seconds_per_point.
  double chunk_seconds = 0;
  Rule rule = Rule::kTarget;
  // One line for people: why this size ("at least 8 chunks per slot for 4
  // slots: ...").
  std::string reason;
};

// The chunk size for `in`: the target size (target_seconds /
// seconds_per_point), lowered by the tail rule to total_points /
// (kChunksPerSlot * slots) (rounded down, at least 1) when that is smaller, raised to the overhead
// floor (kOverheadFactor * kChunkOverheadSeconds of work) when that is
// larger, then kept within [1, min(total_points, kMaxChunkSize)] and, if it
// can be, within kMaxChunks chunks. Pure; thread-safe.
Choice choose_chunk_size(const ChoiceInput& in);

// How long and how widely measure() samples.
struct SampleOptions {
  // Stop once the kernel has run this long in all (0.2 s).
  double min_kernel_seconds = 0.2;
  // Never start a kernel run that would end past this much wall time
  // (2 s). One point is always run, however long it takes.
  double max_wall_seconds = 2.0;
  // The sample's start positions: this many evenly spaced offsets (8).
  int64_t offsets = 8;
};

// What measure() timed.
struct Sample {
  int64_t points = 0;         // points computed
  int64_t runs = 0;           // kernel runs (small chunks)
  int64_t offsets = 0;        // distinct offsets the runs started at
  double kernel_seconds = 0;  // time inside Kernel::run, summed
  double wall_seconds = 0;    // the whole measurement
  bool whole_job = false;     // every point of the job was computed
  // Why it stopped: "enough kernel time", "wall-time bound", "every point".
  std::string stopped;

  double seconds_per_point() const {
    return points > 0 ? kernel_seconds / static_cast<double>(points) : 0;
  }
};

// Non-empty when `spec`'s kernel is not timed at submit time, saying why:
// exec (running the user's program at submit time is a side effect) and
// faulty (its faults name chunks, so they are defined by the chunk size, and
// a sample could crash or hang the submitter). Such jobs get
// kFixedChunkSize.
std::string not_timed_reason(const JobSpec& spec);

// Times `spec`'s kernel on a sample of its points, in the calling thread:
// small runs at `options.offsets` evenly spaced offsets of the space,
// visited so that a sample cut short is still spread (0, 1/2, 1/4, 3/4,
// ...), each offset's runs doubling in length round by round, until the
// kernel has run `min_kernel_seconds`, the next run would pass
// `max_wall_seconds`, or every point was computed. `job` seeds the points
// as it does on a worker. `plugins` must have loaded `spec`'s plugin, if
// any. Writes nothing anywhere. Errors: kInvalidArgument (the kernel cannot
// be made: see make_kernel); kKernelFailed "kernel 'k' failed on points
// [a, b) while timing it: <error>" for a computation that fails.
[[nodiscard]] Result<Sample> measure(const JobSpec& spec, const std::string& job,
                                     const kernels::Registry& plugins,
                                     const SampleOptions& options = {});

// A duration for people: "0.05 ns", "850 ns", "12.5 us", "3.20 ms", "1.50 s".
std::string format_seconds(double seconds);

}  // namespace ttg::sizing

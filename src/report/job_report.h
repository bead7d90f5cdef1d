#pragma once
// The report data of a job: what `ttg report` writes into its page and what
// the dashboard of `ttg serve` draws for a finished job, both through
// TTGViews.render() (src/web/assets/views.js). One JSON object:
//
//   format      "ttg-report-1"
//   summary     job, run, kernel, state, space (for people), parameters,
//               outputs (those a plot may use), chunks, done, dead,
//               duplicates, takeovers, retries, retried, released, points,
//               results (entries read), records (parameter sets read),
//               created_ms, first_claim_ms, finished_ms (0: not yet),
//               wall_seconds (created to finished, or to the last result
//               while running; null when unknown), compute_seconds (sum over
//               the chunks), workers [{name, chunks, compute_seconds}]
//   grid        (two parameters or more) the heatmap of output z over
//               parameters x and y: x, y, z (names), xs, ys (the axes'
//               values: numbers ascending, other values in the order of the
//               sets), values (values[j][i] at ys[j], xs[i]; null for a cell
//               without a record), z_min, z_max, aggregate ("none", or
//               "mean" when some cell holds several records),
//               records_per_cell_max (the most records in one cell),
//               records_per_point_max (the most at one (x, y) pair: more
//               than 1 when a parameter other than x and y varies),
//               empty_cells, skipped (records without a number at x, y, z),
//               x_binned, y_binned (true when the axis had more than
//               kMaxAxisValues values: each shown value is then the first of
//               a bin of neighbouring values, x_ranges / y_ranges give each
//               bin's [first, last], and the cell is the mean of its records)
//   line        (one parameter) x, z, xs, zs (the mean of the records at each
//               x), aggregate, records_per_cell_max, records_per_point_max,
//               empty_cells, z_min, z_max, skipped, binned, and ranges past
//               kMaxLinePoints
//   timeline    bars [{chunk, worker, start_ms, end_ms, attempt, claimed_ms,
//               queued_ms}] (the computation that was committed: end_ms its
//               commit, start_ms = end_ms - its compute time; Redis's clock),
//               workers (the rows, sorted), start_ms, end_ms (the span),
//               events [{type (takeover, retry, dead, duplicate), at_ms,
//               chunk, worker, and from, reason, attempt where the event has
//               them}], bars_total, bars_omitted, events_total,
//               events_omitted. Past kMaxTimelineBars, every bar of a chunk
//               computed more than once is kept (up to the cap) and the rest
//               sampled evenly in time; past kMaxTimelineEvents, the latest
//               events are kept.
//   histograms  compute_seconds, queue_wait_seconds (claimed_ms -
//               queued_ms): each {n, min, max, mean, p50, p90, p99, edges
//               (bins + 1 ascending), counts (bins)}; n = 0 and empty arrays
//               when there are no values.
//   dead        [{chunk, reason, attempts, worker, last_error (first line,
//               at most 200 bytes)}], the first kMaxDeadListed; dead_total
//
// Times are ms since the epoch on Redis's clock, durations seconds.
// "grid" and "line" are absent when no output can be plotted (no results
// yet); only one of them is present.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "queue/redis_queue.h"

namespace ttg::report {

// Limits of the report data: past them it bins or samples, and says so.
inline constexpr size_t kMaxAxisValues = 300;       // per heatmap axis
inline constexpr size_t kMaxLinePoints = 5000;      // points of the line plot
inline constexpr size_t kMaxTimelineBars = 5000;    // chunks on the timeline
inline constexpr size_t kMaxTimelineEvents = 5000;  // events on the timeline
inline constexpr size_t kMaxHistogramBins = 40;
inline constexpr size_t kMaxDeadListed = 1000;

// What to plot. Each is a name; empty chooses the default.
struct ReportOptions {
  // The parameter along the heatmap's x axis, or the line plot's. Default:
  // the space's first parameter.
  std::string x;
  // The heatmap's y axis. Default: the space's first parameter other than
  // x. Given for a space of one parameter, it is an error.
  std::string y;
  // The output plotted. Default: the first of the kernel's outputs (those
  // the spec's `outputs` keeps) that is a number in the first result.
  std::string z;
};

// The resolved names: y empty for a line plot, z empty when there is
// nothing to plot yet.
struct Axes {
  std::string x, y, z;
};

// Resolves `options` for a job whose space has `parameters` (in the spec's
// order, at least one) and whose kernel declares `outputs` (empty when
// unknown), given the job's `first_record` (an object of result_data, or
// null when there are no results). The outputs a plot may use are
// `outputs`, or when it is empty the keys of `first_record` that are
// neither a parameter nor param_index. Errors (kInvalidArgument): "unknown parameter
// 'bet' for x (did you mean 'beta'?; the parameters are beta, gamma)", the
// same for y and for an output of z, "x and y are both 'beta'", "y: the job
// has one parameter ('beta')".
[[nodiscard]] Result<Axes> choose_axes(const std::vector<std::string>& parameters,
                                       const std::vector<std::string>& outputs,
                                       const nlohmann::json& first_record,
                                       const ReportOptions& options);

// The outputs a plot may use (see choose_axes()).
std::vector<std::string> plottable_outputs(const std::vector<std::string>& parameters,
                                           const std::vector<std::string>& outputs,
                                           const nlohmann::json& first_record);

// The records of one result entry's result_data text: each object of its
// array, or the one object it is; nothing for text that is not JSON.
std::vector<nlohmann::json> records_of(const std::string& result_data);

// Collects records into the heatmap grid (axes.y set) or the line plot of
// `axes`; see the top of this file for what to_json() gives. Memory grows
// with the number of distinct (x, y) pairs, not of records. Not
// thread-safe.
class PlotBuilder {
 public:
  explicit PlotBuilder(Axes axes);
  // One record: a JSON object. One without a scalar at x (and y) or a
  // number (or boolean: 1, 0) at z is counted as skipped.
  void add(const nlohmann::json& record);
  // {"grid": {...}} or {"line": {...}}, with the limits `max_axis` (per
  // heatmap axis) and `max_points` (of the line).
  nlohmann::json to_json(size_t max_axis = kMaxAxisValues,
                         size_t max_points = kMaxLinePoints) const;

 private:
  struct Axis {
    std::vector<nlohmann::json> values;               // distinct, first-seen order
    std::unordered_map<std::string, uint32_t> index;  // value's JSON text -> index
    uint32_t intern(const nlohmann::json& v);
  };
  struct Cell {
    double sum = 0;
    int64_t n = 0;
  };
  Axes axes_;
  Axis x_, y_;
  std::unordered_map<uint64_t, Cell> cells_;  // (x index << 32 | y index) -> cell
  int64_t skipped_ = 0;
};

// How one chunk's committed computation went, from its result entry.
struct ChunkTiming {
  int64_t chunk = -1;
  std::string worker;
  int attempt = 1;
  double seconds = 0;        // compute time (duration_seconds)
  int64_t completed_ms = 0;  // commit (completed_at); 0 when unreadable
  int64_t claimed_ms = 0;    // 0 when the entry lacks it
  int64_t queued_ms = 0;     // 0 when the entry lacks it
};
ChunkTiming timing_of(const queue::ResultRecord& record);

// The "timeline" object from the chunks' timings and the job's events
// stream (entries with `type`, `at`, `chunk`, ...; types other than
// takeover, retry, dead and duplicate are left out).
nlohmann::json timeline_json(const std::vector<ChunkTiming>& chunks,
                             const std::vector<queue::ResultRecord>& events,
                             size_t max_bars = kMaxTimelineBars,
                             size_t max_events = kMaxTimelineEvents);

// One histogram of `values` (non-finite ones are dropped): equal-width bins
// from min to max, ceil(sqrt(n)) of them but at most `max_bins`; a single
// bin [v, v] when every value is v.
nlohmann::json histogram_json(std::vector<double> values, size_t max_bins = kMaxHistogramBins);

// {"compute_seconds", "queue_wait_seconds"} of `chunks`; a wait is counted
// only when both times are known and the claim is not before the queueing.
nlohmann::json histograms_json(const std::vector<ChunkTiming>& chunks);

// The report data of `job` (see the top of this file), read through
// `store` only: status, results, events, dead letters. Reads only. Errors:
// kNotFound for an unknown job, kInvalidArgument from choose_axes(), and
// the store's errors (connection, ...).
[[nodiscard]] Result<nlohmann::json> build_report(queue::JobStore& store, const std::string& job,
                                                  const ReportOptions& options);

}  // namespace ttg::report

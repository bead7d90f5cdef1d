#include <string>

#include <memory>

#include "kernels/kernel.h"
#include "kernels/random.h"

namespace ttg::kernels {

nlohmann::json index_point(int64_t i) { return nlohmann::json{{"param", i}}; }

PointFn points_for(const JobSpec& spec) {
  // Values come from the job's parameter space, computed from the index
  // (`{"param": i}` for a plain --params N job).
  return [s = std::make_shared<const JobSpec>(spec)](int64_t i) { return s->point(i); };
}

uint64_t point_seed(std::string_view job, int64_t index) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : job) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return splitmix64(h ^ splitmix64(static_cast<uint64_t>(index)));
}

StopCondition::StopCondition(const CancelFlag& cancel, Clock::time_point deadline,
                             std::chrono::milliseconds timeout)
    : cancel_(cancel), deadline_(deadline), timeout_(timeout) {}

Status StopCondition::check() const {
  if (cancel_.load(std::memory_order_relaxed)) {
    return make_error(ErrorCode::kCancelled, "cancelled");
  }
  if (deadline_ != Clock::time_point::max() && Clock::now() >= deadline_) {
    return make_error(ErrorCode::kKernelFailed,
                      "timed out after " + std::to_string(timeout_.count()) + " ms (timeout_ms)");
  }
  return {};
}

namespace {

// Appends the members of the JSON object text `object` ("{...}") to `out`,
// each preceded by a comma.
void append_members(std::string& out, const std::string& object) {
  if (object.size() <= 2) return;
  out += ',';
  out.append(object, 1, object.size() - 2);
}

// Appends {"param_index": i, the set's values, the outputs} to `out`. The
// record is spliced from two dumps rather than built as a third object: this
// runs once per parameter set, for kernels as cheap as a hash.
void append_record(std::string& out, int64_t i, nlohmann::json& point,
                   const nlohmann::json& outputs) {
  for (auto it = outputs.begin(); it != outputs.end(); ++it) point.erase(it.key());
  point.erase("param_index");
  out += "{\"param_index\":";
  out += std::to_string(i);
  append_members(out, point.dump());
  append_members(out, outputs.dump());
  out += '}';
}

}  // namespace

Result<std::string> PointKernel::run(const ChunkTask& task, const CancelFlag& cancel) {
  auto deadline = StopCondition::Clock::time_point::max();
  if (timeout_) deadline = StopCondition::Clock::now() + *timeout_;
  StopCondition stop(cancel, deadline, timeout_.value_or(std::chrono::milliseconds(0)));
  std::string out = "[";
  for (int64_t i = task.begin; i < task.end; ++i) {
    TTG_TRY(stop.check());
    nlohmann::json given = task.point ? task.point(i) : index_point(i);
    if (!given.is_object()) {
      return make_error(ErrorCode::kKernelFailed,
                        "parameter set " + std::to_string(i) + " is not a JSON object");
    }
    nlohmann::json point = defaults_;
    point.update(given);
    auto outputs = compute(point, point_seed(task.job, i), stop);
    if (!outputs) {
      return tl::unexpected(
          outputs.error().code == ErrorCode::kCancelled
              ? outputs.error()
              : outputs.error().with_context("parameter set " + std::to_string(i)));
    }
    if (!outputs->is_object()) {
      return make_error(ErrorCode::kKernelFailed, "parameter set " + std::to_string(i) +
                                                      ": the outputs are not a JSON object");
    }
    if (out.size() > 1) out += ',';
    append_record(out, i, point, *outputs);
  }
  return out + "]";
}

}  // namespace ttg::kernels

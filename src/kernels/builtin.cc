#include <signal.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "kernels/kernel.h"
#include "util/strings.h"

namespace ttg::kernels {

namespace {

// SplitMix64: a fixed, well-mixed function of the parameter index, so the
// placeholder result is deterministic.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Sleeps `ms`, waking early when `cancel` is set; false if cancelled.
bool interruptible_sleep(int64_t ms, const CancelFlag& cancel) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cancel.load(std::memory_order_relaxed)) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(20)));
  }
  return false;
}

Error cancelled() { return Error{ErrorCode::kCancelled, "cancelled"}; }

// The placeholder value of parameter `p`: a number in [0, 100).
double simulated_value(int64_t p) {
  return static_cast<double>(splitmix64(static_cast<uint64_t>(p)) >> 11) * 0x1.0p-53 * 100.0;
}

void append_record(std::string& out, int64_t p, double value) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s{\"param\":%" PRId64 ",\"value\":%.17g}",
                out.size() > 1 ? "," : "", p, value);
  out += buf;
}

Result<int64_t> int_arg(const nlohmann::json& args, const char* name, int64_t fallback,
                        int64_t min) {
  auto it = args.find(name);
  if (it == args.end()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < min) {
    return make_error(
        ErrorCode::kInvalidArgument,
        std::string("kernel argument '") + name + "' must be an integer >= " + std::to_string(min));
  }
  return it->get<int64_t>();
}

Result<std::set<int64_t>> chunk_list_arg(const nlohmann::json& args, const char* name) {
  std::set<int64_t> out;
  auto it = args.find(name);
  if (it == args.end()) return out;
  auto bad = [&] {
    return make_error(ErrorCode::kInvalidArgument, std::string("kernel argument '") + name +
                                                       "' must be a list of chunk numbers");
  };
  if (it->is_array()) {
    for (const auto& v : *it) {
      if (!v.is_number_integer()) return bad();
      out.insert(v.get<int64_t>());
    }
  } else if (it->is_string()) {
    for (const auto& part : util::split(it->get<std::string>(), ',')) {
      if (util::trim(part).empty()) continue;
      auto v = util::parse_int(util::trim(part));
      if (!v) return bad();
      out.insert(*v);
    }
  } else if (it->is_number_integer()) {
    out.insert(it->get<int64_t>());
  } else {
    return bad();
  }
  return out;
}

Status check_known(const nlohmann::json& args, const std::string& kernel,
                   std::initializer_list<const char*> known) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) {
      return make_error(ErrorCode::kInvalidArgument,
                        "kernel '" + kernel + "' has no argument '" + it.key() + "'");
    }
  }
  return {};
}

// simulate: the prototype's placeholder. Sleeps work_ms per parameter.
class SimulateKernel final : public Kernel {
 public:
  explicit SimulateKernel(int64_t work_ms) : work_ms_(work_ms) {}
  Result<std::string> run(const ChunkTask& task, const CancelFlag& cancel) override {
    std::string out = "[";
    for (int64_t p = task.begin; p < task.end; ++p) {
      if (work_ms_ > 0 && !interruptible_sleep(work_ms_, cancel))
        return tl::unexpected(cancelled());
      if (cancel.load(std::memory_order_relaxed)) return tl::unexpected(cancelled());
      append_record(out, p, simulated_value(p));
    }
    return out + "]";
  }

 private:
  int64_t work_ms_;
};

// noop: computes nothing; for measuring the queue itself.
class NoopKernel final : public Kernel {
 public:
  Result<std::string> run(const ChunkTask& task, const CancelFlag&) override {
    return "[{\"params\":" + std::to_string(task.end - task.begin) + "}]";
  }
};

// faulty: simulate, but fails, crashes or hangs on chosen chunks; for
// proving the failure handling.
class FaultyKernel final : public Kernel {
 public:
  FaultyKernel(int64_t work_ms, std::set<int64_t> fail, std::set<int64_t> crash,
               std::set<int64_t> hang, std::set<int64_t> pause)
      : sim_(work_ms),
        fail_(std::move(fail)),
        crash_(std::move(crash)),
        hang_(std::move(hang)),
        pause_(std::move(pause)) {}
  Result<std::string> run(const ChunkTask& task, const CancelFlag& cancel) override {
    if (crash_.count(task.chunk) != 0) {
      std::fprintf(stderr, "faulty kernel: crashing on chunk %" PRId64 "\n", task.chunk);
      std::abort();
    }
    if (hang_.count(task.chunk) != 0) {
      while (!cancel.load()) interruptible_sleep(1000, cancel);
      return tl::unexpected(cancelled());
    }
    auto r = sim_.run(task, cancel);
    if (r && pause_.count(task.chunk) != 0 && task.attempt == 1) {
      // Freeze the whole process between computing and committing: the
      // worst moment for a pause, as a long GC or a stopped VM would.
      std::fprintf(stderr, "faulty kernel: stopping the process after chunk %" PRId64 "\n",
                   task.chunk);
      ::raise(SIGSTOP);
    }
    if (r && fail_.count(task.chunk) != 0) {
      return make_error(ErrorCode::kKernelFailed,
                        "faulty kernel: chunk " + std::to_string(task.chunk) + " always fails");
    }
    return r;
  }

 private:
  SimulateKernel sim_;
  std::set<int64_t> fail_, crash_, hang_, pause_;
};

}  // namespace

const std::vector<KernelInfo>& builtin_kernels() {
  static const std::vector<KernelInfo> kinds = {
      {"simulate",
       "the prototype's placeholder: sleeps work_ms per parameter, then returns a "
       "deterministic number",
       {"work_ms: milliseconds of sleep per parameter (100)"},
       {"value: a deterministic number in [0, 100)"}},
      {"noop",
       "computes nothing; measures the queue itself",
       {},
       {"params: parameters in the chunk"}},
      {"faulty",
       "simulate, but fails, crashes its worker or hangs on chosen chunks; for testing",
       {"work_ms: as simulate (0)", "fail_chunks: chunks whose every attempt fails ([])",
        "crash_chunks: chunks that abort the worker process ([])",
        "hang_chunks: chunks that never finish ([])",
        "pause_chunks: chunks after whose first computation the process stops itself "
        "(SIGSTOP) before committing ([])"},
       {"value: as simulate"}},
  };
  return kinds;
}

JobSpec reference_spec(const JobSpec& spec) {
  JobSpec ref = spec;
  if (spec.kernel == "simulate" || spec.kernel == "faulty") {
    ref.kernel = "simulate";
    ref.args = {{"work_ms", 0}};
  }
  return ref;
}

Status validate(const JobSpec& spec) {
  return make_kernel(spec).map([](auto&&) {});
}

Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec) {
  const auto& a = spec.args;
  if (spec.kernel == "simulate") {
    TTG_TRY(check_known(a, spec.kernel, {"work_ms"}));
    TTG_TRY_ASSIGN(int64_t work_ms, int_arg(a, "work_ms", 100, 0));
    return std::make_unique<SimulateKernel>(work_ms);
  }
  if (spec.kernel == "noop") {
    TTG_TRY(check_known(a, spec.kernel, {}));
    return std::make_unique<NoopKernel>();
  }
  if (spec.kernel == "faulty") {
    TTG_TRY(check_known(a, spec.kernel,
                        {"work_ms", "fail_chunks", "crash_chunks", "hang_chunks", "pause_chunks"}));
    TTG_TRY_ASSIGN(int64_t work_ms, int_arg(a, "work_ms", 0, 0));
    TTG_TRY_ASSIGN(auto fail, chunk_list_arg(a, "fail_chunks"));
    TTG_TRY_ASSIGN(auto crash, chunk_list_arg(a, "crash_chunks"));
    TTG_TRY_ASSIGN(auto hang, chunk_list_arg(a, "hang_chunks"));
    TTG_TRY_ASSIGN(auto pause, chunk_list_arg(a, "pause_chunks"));
    return std::make_unique<FaultyKernel>(work_ms, std::move(fail), std::move(crash),
                                          std::move(hang), std::move(pause));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown kernel '" + spec.kernel + "' (see `ttg kernels`)");
}

}  // namespace ttg::kernels

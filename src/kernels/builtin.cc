#include "kernels/builtin.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "kernels/kernel.h"
#include "kernels/random.h"
#include "util/strings.h"
#include "util/suggest.h"

namespace ttg::kernels {

namespace {

using std::chrono::milliseconds;

// Sleeps `ms`, waking early when `stop` says so (then returns its error).
Status interruptible_sleep(int64_t ms, const StopCondition& stop) {
  auto until = std::chrono::steady_clock::now() + milliseconds(ms);
  for (;;) {
    TTG_TRY(stop.check());
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return {};
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, milliseconds(20)));
  }
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

// simulate: the prototype's placeholder. Sleeps work_ms per parameter set,
// then draws a number from the set's seed.
class SimulateKernel final : public PointKernel {
 public:
  SimulateKernel(int64_t work_ms, std::optional<milliseconds> timeout)
      : PointKernel(timeout, nlohmann::json::object()), work_ms_(work_ms) {}

 protected:
  Result<nlohmann::json> compute(const nlohmann::json&, uint64_t seed,
                                 const StopCondition& stop) override {
    if (work_ms_ > 0) TTG_TRY(interruptible_sleep(work_ms_, stop));
    double value = static_cast<double>(splitmix64(seed) >> 11) * 0x1.0p-53 * 100.0;
    return nlohmann::json{{"value", value}};
  }

 private:
  int64_t work_ms_;
};

// noop: computes nothing and builds no record per parameter set (one record
// per chunk); measures the queue itself.
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
  FaultyKernel(int64_t work_ms, std::optional<milliseconds> timeout, std::set<int64_t> fail,
               std::set<int64_t> crash, std::set<int64_t> hang, std::set<int64_t> pause)
      : sim_(work_ms, timeout),
        timeout_(timeout),
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
      // Hangs until cancelled, or until the time-out when there is one.
      auto deadline = timeout_ ? std::chrono::steady_clock::now() + *timeout_
                               : std::chrono::steady_clock::time_point::max();
      StopCondition stop(cancel, deadline, timeout_.value_or(milliseconds(0)));
      for (;;) {
        auto st = interruptible_sleep(1000, stop);
        if (!st) return tl::unexpected(st.error());
      }
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
  std::optional<milliseconds> timeout_;
  std::set<int64_t> fail_, crash_, hang_, pause_;
};

Result<std::unique_ptr<Kernel>> make_simulate(const nlohmann::json& args) {
  TTG_TRY_ASSIGN(int64_t work_ms, int_arg(args, "work_ms", 100, 0));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  return std::make_unique<SimulateKernel>(work_ms, timeout);
}

Result<std::unique_ptr<Kernel>> make_noop(const nlohmann::json&) {
  return std::make_unique<NoopKernel>();
}

Result<std::unique_ptr<Kernel>> make_faulty(const nlohmann::json& args) {
  TTG_TRY_ASSIGN(int64_t work_ms, int_arg(args, "work_ms", 0, 0));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  TTG_TRY_ASSIGN(auto fail, chunk_list_arg(args, "fail_chunks"));
  TTG_TRY_ASSIGN(auto crash, chunk_list_arg(args, "crash_chunks"));
  TTG_TRY_ASSIGN(auto hang, chunk_list_arg(args, "hang_chunks"));
  TTG_TRY_ASSIGN(auto pause, chunk_list_arg(args, "pause_chunks"));
  return std::make_unique<FaultyKernel>(work_ms, timeout, std::move(fail), std::move(crash),
                                        std::move(hang), std::move(pause));
}

const std::vector<BuiltinKind>& kinds() {
  static const std::vector<BuiltinKind> all = [] {
    std::vector<BuiltinKind> k;
    k.push_back({{"simulate",
                  "the prototype's placeholder: sleeps work_ms per parameter set, then returns a "
                  "deterministic number drawn from the set's seed",
                  "",
                  "",
                  {},
                  {{"work_ms", "milliseconds of sleep per parameter set", 100},
                   timeout_field(std::nullopt)},
                  {{"value", "a deterministic number in [0, 100)"}}},
                 make_simulate,
                 nullptr});
    k.push_back({{"noop",
                  "computes nothing; measures the queue itself (one record per chunk)",
                  "",
                  "",
                  {},
                  {},
                  {{"params", "parameter sets in the chunk"}}},
                 make_noop,
                 nullptr});
    k.push_back(
        {{"faulty",
          "simulate, but fails, crashes its worker or hangs on chosen chunks; for testing",
          "",
          "",
          {},
          {{"work_ms", "as simulate", 0},
           {"fail_chunks", "chunks whose every attempt fails", nlohmann::json::array()},
           {"crash_chunks", "chunks that abort the worker process", nlohmann::json::array()},
           {"hang_chunks", "chunks that never finish (until timeout_ms, if given)",
            nlohmann::json::array()},
           {"pause_chunks",
            "chunks after whose first computation the process stops itself (SIGSTOP) before "
            "committing",
            nlohmann::json::array()},
           timeout_field(std::nullopt)},
          {{"value", "as simulate"}}},
         make_faulty,
         nullptr});
    k.push_back(bs_mc_kind());
    k.push_back(sir_kind());
    k.push_back(mandelbrot_kind());
    k.push_back(exec_kind());
    return k;
  }();
  return all;
}

const BuiltinKind* find_kind(const std::string& name) {
  for (const auto& k : kinds()) {
    if (k.info.name == name) return &k;
  }
  return nullptr;
}

std::vector<std::string> accepted_names(const KernelInfo& info) {
  std::vector<std::string> names;
  for (const auto& f : info.parameters) names.push_back(f.name);
  for (const auto& f : info.arguments) names.push_back(f.name);
  return names;
}

std::vector<std::string> names_of(const std::vector<KernelField>& fields) {
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.name);
  return names;
}

bool has_field(const std::vector<KernelField>& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const KernelField& f) { return f.name == name; });
}

std::string name_list(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list.empty() ? "none" : list;
}

Error unknown_kernel(std::string_view name, const Registry& plugins) {
  return Error{ErrorCode::kInvalidArgument,
               "unknown kernel '" + std::string(name) + "'" +
                   util::did_you_mean(name, kernel_names(plugins)) +
                   " (see `ttg kernels`; a plugin kernel needs its library: --kernel-lib PATH)"};
}

}  // namespace

KernelField timeout_field(std::optional<int64_t> fallback) {
  return {"timeout_ms", "per-chunk time-out in milliseconds; a chunk past it fails its attempt",
          fallback ? nlohmann::json(*fallback) : nlohmann::json(nullptr)};
}

Status check_known(const nlohmann::json& args, const std::string& kernel,
                   const std::vector<std::string>& known) {
  if (!args.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "kernel arguments must be a JSON object");
  }
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::string suggestion = util::did_you_mean(it.key(), known);
    return make_error(
        ErrorCode::kInvalidArgument,
        "kernel '" + kernel + "' has no argument '" + it.key() + "'" +
            (suggestion.empty() ? " (it takes " + name_list(known) + ")" : suggestion));
  }
  return {};
}

std::optional<KernelInfo> find_kernel_info(std::string_view name, const Registry& plugins) {
  if (const BuiltinKind* kind = find_kind(std::string(name))) return kind->info;
  for (auto& info : plugins.kernels()) {
    if (info.name == name) return info;
  }
  return std::nullopt;
}

std::vector<std::string> kernel_names(const Registry& plugins) {
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.info.name);
  for (const auto& info : plugins.kernels()) names.push_back(info.name);
  return names;
}

Status check_kernel_name(std::string_view name, const Registry& plugins) {
  if (find_kernel_info(name, plugins)) return {};
  return tl::unexpected(unknown_kernel(name, plugins));
}

Status check_parameter_name(const KernelInfo& info, std::string_view name) {
  if (info.parameters.empty() || has_field(info.parameters, name)) return {};
  std::string message = "kernel '" + info.name + "' has no parameter '" + std::string(name) + "'";
  if (has_field(info.arguments, name)) {
    message += " ('" + std::string(name) +
               "' is a kernel argument, the same for every set: give it in args or as --arg; "
               "the parameters are " +
               name_list(names_of(info.parameters)) + ")";
  } else {
    std::string suggestion = util::did_you_mean(name, names_of(info.parameters));
    message += suggestion.empty() ? " (it reads " + name_list(names_of(info.parameters)) + ")"
                                  : suggestion;
  }
  return make_error(ErrorCode::kInvalidArgument, message);
}

Status check_argument_name(const KernelInfo& info, std::string_view name) {
  std::vector<std::string> known = accepted_names(info);
  if (std::find(known.begin(), known.end(), name) != known.end()) return {};
  std::string suggestion = util::did_you_mean(name, known);
  return make_error(ErrorCode::kInvalidArgument,
                    "kernel '" + info.name + "' has no argument or parameter '" +
                        std::string(name) + "'" +
                        (suggestion.empty() ? " (it takes " + name_list(known) + ")" : suggestion));
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

Result<double> number_arg(const nlohmann::json& args, const char* name, double fallback) {
  auto it = args.find(name);
  if (it == args.end()) return fallback;
  if (!it->is_number()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("kernel argument '") + name + "' must be a number");
  }
  return it->get<double>();
}

Result<std::optional<milliseconds>> timeout_arg(const nlohmann::json& args,
                                                std::optional<int64_t> fallback) {
  if (!args.contains("timeout_ms")) {
    if (!fallback) return std::optional<milliseconds>();
    return std::optional<milliseconds>(milliseconds(*fallback));
  }
  TTG_TRY_ASSIGN(int64_t ms, int_arg(args, "timeout_ms", 0, 1));
  return std::optional<milliseconds>(milliseconds(ms));
}

Result<std::vector<std::string>> names_arg(const nlohmann::json& args, const char* name) {
  std::vector<std::string> out;
  auto it = args.find(name);
  if (it == args.end()) return out;
  auto bad = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("kernel argument '") + name + "' must be a list of names");
  };
  if (it->is_string()) {
    for (const auto& part : util::split(it->get<std::string>(), ',')) {
      auto t = util::trim(part);
      if (!t.empty()) out.emplace_back(t);
    }
    return out;
  }
  if (!it->is_array()) return bad();
  for (const auto& v : *it) {
    if (!v.is_string() || v.get<std::string>().empty()) return bad();
    out.push_back(v.get<std::string>());
  }
  return out;
}

nlohmann::json parameter_defaults(const std::vector<KernelField>& params,
                                  const nlohmann::json& args) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& p : params) {
    auto it = args.find(p.name);
    if (it != args.end()) {
      out[p.name] = *it;
    } else if (!p.default_value.is_null()) {
      out[p.name] = p.default_value;
    }
  }
  return out;
}

Result<double> number_param(const nlohmann::json& point, const char* name) {
  auto it = point.find(name);
  if (it == point.end()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("parameter '") + name +
                          "' is missing (give it in the parameter space, or as --arg " + name +
                          "=VALUE for every set)");
  }
  if (!it->is_number()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("parameter '") + name + "' must be a number, not " + it->dump());
  }
  return it->get<double>();
}

const std::vector<KernelInfo>& builtin_kernels() {
  static const std::vector<KernelInfo> infos = [] {
    std::vector<KernelInfo> v;
    for (const auto& k : kinds()) v.push_back(k.info);
    return v;
  }();
  return infos;
}

JobSpec reference_spec(const JobSpec& spec) {
  JobSpec ref = spec;
  if (spec.kernel == "simulate" || spec.kernel == "faulty") {
    ref.kernel = "simulate";
    ref.args = {{"work_ms", 0}};
  }
  return ref;
}

Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec, const Registry& plugins) {
  if (const BuiltinKind* kind = find_kind(spec.kernel)) {
    TTG_TRY(check_known(spec.args, spec.kernel, accepted_names(kind->info)));
    return kind->make(spec.args);
  }
  auto plugin = plugins.find(spec.kernel);
  if (!plugin) return tl::unexpected(unknown_kernel(spec.kernel, plugins));
  return make_plugin_kernel(plugin, spec.args);
}

Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec) {
  return make_kernel(spec, Registry());
}

Status validate(const JobSpec& spec, const Registry& plugins) {
  TTG_TRY(make_kernel(spec, plugins));
  const BuiltinKind* kind = find_kind(spec.kernel);
  if (kind == nullptr || kind->check_point == nullptr) return {};
  nlohmann::json point = parameter_defaults(kind->info.parameters, spec.args);
  point.update(points_for(spec)(0));
  auto st = kind->check_point(point);
  if (!st) {
    return make_error(ErrorCode::kInvalidArgument,
                      "kernel '" + spec.kernel + "', parameter set 0: " + st.error().message);
  }
  return {};
}

Status validate(const JobSpec& spec) { return validate(spec, Registry()); }

}  // namespace ttg::kernels

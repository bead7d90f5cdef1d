#pragma once
// The seam of all computations: the worker sees only Kernel, whatever the
// kernel's kind (built-in, plugin, external program).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/result.h"

namespace ttg::kernels {

// The parameter set of index `i` as a JSON object {"name": value, ...}.
using PointFn = std::function<nlohmann::json(int64_t index)>;

// One chunk to compute: parameter indices [begin, end) of `job`.
struct ChunkTask {
  std::string job;
  int64_t chunk = 0;
  int64_t begin = 0;
  int64_t end = 0;
  int attempt = 1;
  // The parameter set of each index; empty = index_point (`{"param": i}`).
  PointFn point;
};

// The placeholder parameter set of index `i`: {"param": i}.
nlohmann::json index_point(int64_t i);

// The parameter sets of `spec`'s jobs, for ChunkTask::point. Every caller
// that builds a ChunkTask for a job takes its points from here. For now
// index_point: jobs have no named parameter space yet.
PointFn points_for(const JobSpec& spec);

// The seed of the random numbers of parameter set `index` of job `job`:
// SplitMix64 of (FNV-1a 64 of the job name) xor SplitMix64(index). The same
// on every worker and at every attempt, so a recomputed chunk draws the same
// numbers and gives the same result bit for bit.
uint64_t point_seed(std::string_view job, int64_t index);

// Set by the worker when the chunk must stop (lease lost, shutdown). Kernels
// check it between parameters (and during long waits) and then return
// kCancelled.
using CancelFlag = std::atomic<bool>;

// A kernel instance belongs to one compute slot (one thread); make one per
// slot. run() must be deterministic: the same task gives the same result_data
// bit for bit, so a recomputed chunk agrees with the first computation.
class Kernel {
 public:
  virtual ~Kernel() = default;
  // Computes `task`; returns result_data, a JSON array with one record per
  // parameter. Errors: kKernelFailed (the computation failed or ran past its
  // time-out: retried), kCancelled (stopped by `cancel`).
  [[nodiscard]] virtual Result<std::string> run(const ChunkTask& task,
                                                const CancelFlag& cancel) = 0;
};

// Why a computation must end early: the worker's cancel flag, or the chunk's
// deadline (the `timeout_ms` kernel argument). Borrows the flag.
class StopCondition {
 public:
  using Clock = std::chrono::steady_clock;
  // `timeout` is what the deadline was computed from, for the message.
  StopCondition(const CancelFlag& cancel, Clock::time_point deadline,
                std::chrono::milliseconds timeout);
  // kCancelled once cancelled; kKernelFailed "timed out after N ms
  // (timeout_ms)" once past the deadline; else ok.
  [[nodiscard]] Status check() const;
  bool should_stop() const { return !check(); }
  Clock::time_point deadline() const { return deadline_; }

 private:
  const CancelFlag& cancel_;
  Clock::time_point deadline_;
  std::chrono::milliseconds timeout_;
};

// The base of every kernel that computes parameter sets one at a time: it owns
// the chunk loop, the cancel and time-out checks between sets, the seeds and
// the records. Each record is a JSON object: "param_index", then the set's
// values by name (defaults first, overridden by the set's own values), then
// the kernel's outputs (an output named like a parameter replaces it).
class PointKernel : public Kernel {
 public:
  [[nodiscard]] Result<std::string> run(const ChunkTask& task, const CancelFlag& cancel) final;

 protected:
  // `timeout`: the per-chunk time-out (none = unbounded). `defaults`: a JSON
  // object of parameter values that every set starts from.
  PointKernel(std::optional<std::chrono::milliseconds> timeout, nlohmann::json defaults)
      : timeout_(timeout),
        defaults_(defaults.is_object() ? std::move(defaults) : nlohmann::json::object()) {}

  // Computes one parameter set: `point` holds its values by name, `seed`
  // seeds its random numbers (point_seed()). Returns a JSON object of named
  // outputs. Long computations call `stop.check()` and return its error.
  // Errors: kKernelFailed, or what `stop.check()` returned.
  [[nodiscard]] virtual Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t seed,
                                                       const StopCondition& stop) = 0;

 private:
  std::optional<std::chrono::milliseconds> timeout_;
  nlohmann::json defaults_;
};

// A parameter, argument or output of a kernel, for `ttg kernels`.
struct KernelField {
  std::string name;
  std::string help;
  // The default value; null = none (required, optional without a default, or
  // an output).
  nlohmann::json default_value = nullptr;
};

struct KernelInfo {
  std::string name;
  std::string description;
  // Plugins only: the kernel's version and the library it came from.
  std::string version;
  std::string library;
  // What the kernel reads from each parameter set. Each may also be given as
  // a kernel argument: the value for every set that has none of its own.
  // A kernel that lists parameters reads no others, and a parameter space
  // naming another is refused (check_parameter_name()); one that lists none
  // (simulate, noop, faulty, exec, a plugin without a list) takes any names.
  std::vector<KernelField> parameters;
  // The job-wide kernel arguments (`--arg name=value`).
  std::vector<KernelField> arguments;
  std::vector<KernelField> outputs;
};

// Every built-in kernel (exec included), for `ttg kernels`.
const std::vector<KernelInfo>& builtin_kernels();

struct Plugin;  // a loaded kernel library (plugin.cc)

// The plugin kernels a process has loaded (`--kernel-lib PATH.so`).
// Loading is not thread-safe; once loaded, a const Registry may be used from
// any thread. Kernels made from a plugin keep its library loaded, so they may
// outlive the Registry.
class Registry {
 public:
  Registry();
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // Loads the kernel library at `path` (include/ttg/kernel.h). Errors:
  // kNotFound (no such file); kInvalidArgument (not a loadable library, no
  // entry symbol ttg_kernel_v1, another ABI version, an invalid description,
  // or a kernel name that is built in or already loaded).
  [[nodiscard]] Status load(const std::string& path);
  // Loads each of `paths` in turn; stops at the first error.
  [[nodiscard]] Status load_all(const std::vector<std::string>& paths);

  // The loaded plugin kernel named `name`, or nullptr.
  std::shared_ptr<const Plugin> find(std::string_view name) const;
  // Every loaded plugin kernel, for `ttg kernels`.
  std::vector<KernelInfo> kernels() const;

 private:
  std::vector<std::shared_ptr<const Plugin>> plugins_;
};

// The description of the kernel `name`: built in, or loaded in `plugins`;
// nullopt when there is none.
std::optional<KernelInfo> find_kernel_info(std::string_view name, const Registry& plugins);

// The names of every kernel, built in then loaded in `plugins`.
std::vector<std::string> kernel_names(const Registry& plugins);

// kInvalidArgument "unknown kernel 'sri' (did you mean 'sir'?) (see `ttg
// kernels`; ...)" for a kernel `name` that is neither built in nor loaded in
// `plugins`; ok otherwise.
[[nodiscard]] Status check_kernel_name(std::string_view name, const Registry& plugins);

// kInvalidArgument when the kernel `info` lists its parameters and `name` is
// not one of them: "kernel 'sir' has no parameter 'gama' (did you mean
// 'gamma'?)", with a hint when `name` is one of its arguments, which are the
// same for every set. A kernel that lists no parameters takes any name: ok.
[[nodiscard]] Status check_parameter_name(const KernelInfo& info, std::string_view name);

// kInvalidArgument when `name` is neither an argument nor a parameter of the
// kernel `info` (the names a job's kernel arguments may have): "kernel 'sir'
// has no argument or parameter 'gama' (did you mean 'gamma'?)".
[[nodiscard]] Status check_argument_name(const KernelInfo& info, std::string_view name);

// Checks `spec.kernel` and `spec.args` without making a kernel: the kernel
// exists (built in, or loaded in `plugins`), every argument is known and well
// typed (kInvalidArgument naming the argument), and for the built-in
// per-point kernels the first parameter set (with the arguments as defaults)
// gives every parameter the kernel needs.
[[nodiscard]] Status validate(const JobSpec& spec, const Registry& plugins);
[[nodiscard]] Status validate(const JobSpec& spec);

// validate(), then returns `spec` with the plugin kernel's version recorded as
// the argument "kernel_version" (what `ttg submit` stores). kInvalidArgument
// when the spec records another version than the loaded plugin's.
[[nodiscard]] Result<JobSpec> resolve(JobSpec spec, const Registry& plugins);

// The spec to recompute `spec`'s values in one process, for verdicts: the
// same values, without the placeholder's sleep or injected faults (simulate
// and faulty become simulate with work_ms 0); other kernels are unchanged.
JobSpec reference_spec(const JobSpec& spec);

// Makes a kernel for `spec`, a built-in one or one of `plugins`. Errors
// (kInvalidArgument): unknown kernel (a plugin kernel whose library this
// process did not load), bad argument, or a plugin whose version differs from
// the "kernel_version" the job recorded. Cheap: starts no process.
[[nodiscard]] Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec,
                                                          const Registry& plugins);
[[nodiscard]] Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec);

}  // namespace ttg::kernels

#pragma once
// The seam of all computations: the worker sees only Kernel, whatever the
// kernel's kind (built-in, plugin, external program).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace ttg::kernels {

// One chunk to compute: parameter indices [begin, end) of `job`.
struct ChunkTask {
  std::string job;
  int64_t chunk = 0;
  int64_t begin = 0;
  int64_t end = 0;
  int attempt = 1;
};

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
  // parameter. Errors: kKernelFailed (the computation failed: retried),
  // kCancelled (stopped by `cancel`).
  [[nodiscard]] virtual Result<std::string> run(const ChunkTask& task,
                                                const CancelFlag& cancel) = 0;
};

struct KernelInfo {
  std::string name;
  std::string description;
  // "name: meaning (default)" lines.
  std::vector<std::string> arguments;
  std::vector<std::string> outputs;
};

// Every built-in kernel, for `ttg kernels`.
const std::vector<KernelInfo>& builtin_kernels();

// Checks `spec.kernel` and `spec.args` (kInvalidArgument naming the bad
// argument) without making a kernel.
[[nodiscard]] Status validate(const JobSpec& spec);

// The spec to recompute `spec`'s values in one process, for verdicts: the
// same values, without the placeholder's sleep or injected faults (simulate
// and faulty become simulate with work_ms 0); other kernels are unchanged.
JobSpec reference_spec(const JobSpec& spec);

// Makes a kernel for `spec` (kInvalidArgument: unknown kernel or argument).
[[nodiscard]] Result<std::unique_ptr<Kernel>> make_kernel(const JobSpec& spec);

}  // namespace ttg::kernels

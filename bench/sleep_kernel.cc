// A kernel plugin for the service benchmark: `bench-sleep` sleeps about
// `work_ms` (default 1000) per parameter set and writes {"slept_ms": ...}.
// With `jitter` J (0 to 1, default 0) it sleeps work_ms * (1 + J * (2u - 1)),
// u uniform in [0, 1) drawn from the set's seed: the mean stays work_ms, and
// slots that started together soon finish at different times, as they do in
// real sweeps. It looks at should_stop() every 500 ms, so ten thousand busy
// slots cost their worker machines a few wake-ups per slot and second: the
// benchmark measures Redis, not the workers' sleeping. (The built-in
// `simulate` kernel checks its cancel flag every 20 ms: 50 wake-ups per slot
// and second.)

#include <ttg/kernel.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace {

const char* const kArguments[] = {"work_ms", "jitter", nullptr};
const char* const kOutputs[] = {"slept_ms", nullptr};

constexpr int64_t kStepMs = 500;

int fail(const ttg_kernel_io* io, const std::string& message) {
  io->write_error(io->context, message.data(), message.size());
  return TTG_KERNEL_FAILED;
}

uint64_t splitmix64(uint64_t state) {
  uint64_t z = state + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int compute(const char* args_json, const char*, uint64_t seed, const ttg_kernel_io* io) {
  // Exceptions must not cross the C boundary: report them as errors.
  try {
    const auto args = nlohmann::json::parse(args_json);
    const double jitter = std::clamp(args.value("jitter", 0.0), 0.0, 1.0);
    const double u = static_cast<double>(splitmix64(seed) >> 11) * 0x1.0p-53;
    const auto work_ms = static_cast<int64_t>(static_cast<double>(args.value("work_ms", 1000)) *
                                              (1.0 + jitter * (2.0 * u - 1.0)));
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(work_ms);
    for (;;) {
      if (io->should_stop(io->context) != 0) return fail(io, "stopped");
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) break;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - now, std::chrono::milliseconds(kStepMs)));
    }
    const std::string out = "{\"slept_ms\":" + std::to_string(work_ms) + "}";
    io->write_output(io->context, out.data(), out.size());
    return TTG_KERNEL_OK;
  } catch (const std::exception& e) {
    return fail(io, e.what());
  }
}

const ttg_kernel_info kInfo = {
    TTG_KERNEL_ABI_VERSION,
    "bench-sleep",
    "1.0.0",
    "service benchmark: sleeps work_ms per parameter set, waking every 500 ms",
    nullptr,
    kArguments,
    kOutputs,
    compute,
};

}  // namespace

const ttg_kernel_info* ttg_kernel_v1(void) { return &kInfo; }

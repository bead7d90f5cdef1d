// An example TTG kernel plugin (include/ttg/kernel.h): y = a x^2 + b x + c,
// and the same plus Gaussian noise drawn from the parameter set's seed.
//
// It reads the parameter "x" of each set (a job without named parameters has
// only the set's index, "param", and then x is that), the job-wide arguments
// a, b, c (default 1, 0, 0) and noise (the noise's standard deviation,
// default 0), and writes {"y": ..., "y_noisy": ...}.

#include <ttg/kernel.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

namespace {

const char* const kParameters[] = {"x", nullptr};
const char* const kArguments[] = {"a", "b", "c", "noise", nullptr};
const char* const kOutputs[] = {"y", "y_noisy", nullptr};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A standard normal by Box-Muller, from the generator `state`.
double normal(uint64_t& state) {
  const double two_pi = 6.283185307179586;
  double u1 = (static_cast<double>(splitmix64(state) >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  double u2 = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;          // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

int fail(const ttg_kernel_io* io, const std::string& message) {
  io->write_error(io->context, message.data(), message.size());
  return TTG_KERNEL_FAILED;
}

int compute(const char* args_json, const char* point_json, uint64_t seed, const ttg_kernel_io* io) {
  // Exceptions must not cross the C boundary: report them as errors.
  try {
    auto args = nlohmann::json::parse(args_json);
    auto point = nlohmann::json::parse(point_json);
    auto x = point.find("x");
    if (x == point.end()) x = point.find("param");
    if (x == point.end() || !x->is_number()) {
      return fail(io, "parameter 'x' is missing or not a number");
    }
    double a = args.value("a", 1.0);
    double b = args.value("b", 0.0);
    double c = args.value("c", 0.0);
    double noise = args.value("noise", 0.0);
    double xv = x->get<double>();
    double y = (a * xv + b) * xv + c;
    uint64_t state = seed;
    nlohmann::json out = {{"y", y}, {"y_noisy", y + noise * normal(state)}};
    std::string text = out.dump();
    io->write_output(io->context, text.data(), text.size());
    return TTG_KERNEL_OK;
  } catch (const std::exception& e) {
    return fail(io, e.what());
  }
}

const ttg_kernel_info kInfo = {
    TTG_KERNEL_ABI_VERSION,
    "quadratic",
    "1.0.0",
    "example plugin: y = a x^2 + b x + c, and y_noisy = y + noise * N(0, 1) from the set's seed",
    kParameters,
    kArguments,
    kOutputs,
    compute,
};

}  // namespace

const ttg_kernel_info* ttg_kernel_v1(void) { return &kInfo; }

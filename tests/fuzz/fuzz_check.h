#pragma once
// What the fuzz targets share. A broken invariant or an exception escaping
// the code under test aborts with a message: libFuzzer reports it as a crash
// (and saves the input), the replay test as a failure. The functions fuzzed
// here promise not to throw, so nothing is caught and let go.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace ttg::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

// Runs `body`; an exception escaping it aborts, naming it.
template <class F>
void run_guarded(F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "exception escaped: not a std::exception\n");
    std::abort();
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ttg::fuzz

// TTG_FUZZ_CHECK(cond): aborts with the condition's text unless `cond`.
#define TTG_FUZZ_CHECK(cond)                                                         \
  do {                                                                               \
    if (!(cond)) ::ttg::fuzz::fail(__FILE__, __LINE__, "TTG_FUZZ_CHECK(" #cond ")"); \
  } while (false)

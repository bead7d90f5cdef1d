/* A kernel plugin for the plugin loader's tests, in C (so the ABI header is
 * compiled as C too). Built in several variants (tests/unit/CMakeLists.txt):
 *   TEST_ABI_VERSION=N  claims ABI version N
 *   TEST_NO_ENTRY       exports no entry symbol
 *   TEST_NAME="..."     another kernel name
 * The point's "mode" picks the behaviour: "fail" reports an error, "spin"
 * runs until asked to stop, "garbage" writes output that is not JSON;
 * otherwise it writes {"seed": <seed>, "ok": true}. */
#include <stdio.h>
#include <string.h>
#include <ttg/kernel.h>

#ifndef TEST_ABI_VERSION
#define TEST_ABI_VERSION TTG_KERNEL_ABI_VERSION
#endif
#ifndef TEST_NAME
#define TEST_NAME "test_plugin"
#endif

static const char* const parameters[] = {"mode", NULL};
static const char* const outputs[] = {"seed", "ok", NULL};

static void say(const ttg_kernel_io* io, const char* text) {
  io->write_output(io->context, text, strlen(text));
}

static int compute(const char* args_json, const char* point_json, uint64_t seed,
                   const ttg_kernel_io* io) {
  (void)args_json;
  if (strstr(point_json, "\"mode\":\"fail\"") != NULL) {
    const char* why = "asked to fail";
    io->write_error(io->context, why, strlen(why));
    return TTG_KERNEL_FAILED;
  }
  if (strstr(point_json, "\"mode\":\"spin\"") != NULL) {
    volatile unsigned long spins = 0;
    while (!io->should_stop(io->context)) ++spins;
    return TTG_KERNEL_FAILED;
  }
  if (strstr(point_json, "\"mode\":\"garbage\"") != NULL) {
    say(io, "not json");
    return TTG_KERNEL_OK;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "{\"seed\":%llu,", (unsigned long long)seed);
  say(io, buf);
  say(io, "\"ok\":true}");
  return TTG_KERNEL_OK;
}

static const ttg_kernel_info info = {TEST_ABI_VERSION, TEST_NAME, "1.0.0", "a plugin for tests",
                                     parameters,       NULL,      outputs, compute};

#ifndef TEST_NO_ENTRY
const ttg_kernel_info* ttg_kernel_v1(void) { return &info; }
#else
TTG_KERNEL_EXPORT const ttg_kernel_info* some_other_symbol(void) { return &info; }
#endif

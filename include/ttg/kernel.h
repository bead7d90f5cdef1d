/*
 * TTG kernel plugins: the C ABI between `ttg worker` and a shared library
 * loaded with `--kernel-lib PATH.so`.
 *
 * A plugin exports one function, TTG_KERNEL_ENTRY_NAME ("ttg_kernel_v1"),
 * returning a description of its kernel. TTG calls compute() once per
 * parameter set with the set's values as a JSON object text, the kernel
 * arguments of the job as a JSON object text, and a seed; compute() writes a
 * JSON object of named outputs through `io`, or an error message.
 *
 * Pure C; usable from C++ (the declarations are extern "C"). A plugin built
 * against ABI version N exports ttg_kernel_vN and sets abi_version to N; TTG
 * refuses a library whose entry symbol or abi_version it does not know.
 */
#ifndef TTG_KERNEL_H_
#define TTG_KERNEL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define TTG_KERNEL_ABI_VERSION 1u

/* The name of the entry symbol of ABI version 1. */
#define TTG_KERNEL_ENTRY_NAME "ttg_kernel_v1"

/* Return values of compute(). */
#define TTG_KERNEL_OK 0
#define TTG_KERNEL_FAILED 1

/* Where compute() writes. Owned by TTG and valid only during the call. */
typedef struct ttg_kernel_io {
  /* Opaque; pass it back to the functions below. */
  void* context;
  /* Appends `size` bytes to the output: on success, the whole output must be
   * one JSON object, e.g. {"price": 10.45}, written in one or more pieces. */
  void (*write_output)(void* context, const char* data, size_t size);
  /* Appends `size` bytes to the error message; write it, then return
   * TTG_KERNEL_FAILED. */
  void (*write_error)(void* context, const char* data, size_t size);
  /* Nonzero once the computation should stop: the worker lost or gave up the
   * chunk, or the chunk's time-out passed. Check it in long loops and return
   * TTG_KERNEL_FAILED when it is set (the output is then discarded). */
  int (*should_stop)(void* context);
} ttg_kernel_io;

/* A kernel, described by the plugin. The struct and every string it points
 * to must stay valid while the library is loaded (static storage). */
typedef struct ttg_kernel_info {
  /* TTG_KERNEL_ABI_VERSION of the header the plugin was built with. The
   * first member in every ABI version, so TTG can read it from any plugin. */
  uint32_t abi_version;
  /* The kernel's name, as in `ttg submit --kernel NAME`: 1-64 characters of
   * [A-Za-z0-9_.-], not the name of a built-in kernel. */
  const char* name;
  /* The kernel's own version, e.g. "1.2.0" (non-empty). A job records it at
   * submission, and a worker whose library has another version refuses the
   * job: change it whenever the results change. */
  const char* version;
  /* One line for `ttg kernels`; may be NULL. */
  const char* description;
  /* NULL-terminated lists of names; each list may be NULL (empty).
   * parameters: the values the kernel reads from a parameter set; when the
   *             list has names, `ttg submit` refuses a parameter space or
   *             table that names any other (NULL or empty: any names);
   * arguments: the job-wide kernel arguments it accepts (`--arg k=v`),
   *            besides TTG's own "timeout_ms" and "kernel_version";
   * outputs: the names of the values it writes. */
  const char* const* parameters;
  const char* const* arguments;
  const char* const* outputs;
  /* Computes one parameter set.
   *   args_json:  the job's kernel arguments, a NUL-terminated JSON object.
   *   point_json: the parameter set's values by name, a NUL-terminated JSON
   *               object, e.g. {"x": 0.5, "y": -1}.
   *   seed:       the seed for this parameter set's random numbers; the same
   *               whenever the set is computed again (derived from the job
   *               name and the set's index), so results are reproducible.
   * Returns TTG_KERNEL_OK after writing one JSON object of outputs, or
   * TTG_KERNEL_FAILED after writing an error message. Must be deterministic
   * (same inputs, same output bytes) and thread-safe: several compute slots
   * call it at once. Must not throw C++ exceptions or exit the process. */
  int (*compute)(const char* args_json, const char* point_json, uint64_t seed,
                 const ttg_kernel_io* io);
} ttg_kernel_info;

/* The type of the entry symbol. */
typedef const ttg_kernel_info* (*ttg_kernel_entry_fn)(void);

/* Exports a symbol from the plugin even when it is built with
 * -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define TTG_KERNEL_EXPORT __attribute__((visibility("default")))
#else
#define TTG_KERNEL_EXPORT
#endif

/* The entry symbol, defined by the plugin (in C++ too: this declaration gives
 * the definition C linkage). Called once after loading; returns the kernel's
 * description, which must stay valid while the library is loaded. */
TTG_KERNEL_EXPORT const ttg_kernel_info* ttg_kernel_v1(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TTG_KERNEL_H_ */

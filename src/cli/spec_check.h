#pragma once
// The names in a job spec, checked against its kernel before anything is
// written: the kernel's own name, the names of its arguments, and the names
// of the parameters of its space. Each error points where the name was
// given, and offers the closest known name:
//
//   sweep.yaml:2: unknown kernel 'sri' (did you mean 'sir'?) (see `ttg kernels`; ...)
//   --kernel: unknown kernel 'sri' (did you mean 'sir'?) (see `ttg kernels`; ...)
//   sweep.yaml:6: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)
//   points.csv:1: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)
//   sweep.yaml:3: args: kernel 'sir' has no argument or parameter 'gama' (did you mean 'gamma'?)
//   --arg gama: kernel 'sir' has no argument or parameter 'gama' (did you mean 'gamma'?)
//
// Parameter names are checked only for kernels that list their parameters
// (bs_mc, sir, mandelbrot, and plugins that list theirs); the others
// (simulate, noop, faulty, exec, plugins that list none) take any names
// (kernels::check_parameter_name()). The space of `--params N` (or `params:
// N`), the integers 0..N-1 named "param", suits every kernel: it numbers
// the sets, each of which then has its own random seed.

#include <set>
#include <string>

#include "cli/spec_file.h"
#include "core/job.h"
#include "core/result.h"
#include "kernels/kernel.h"

namespace ttg::cli {

// Where the parts of a job spec came from.
struct SpecOrigin {
  // The prefix of an error about the kernel's name: "--kernel", or
  // "FILE:LINE" of a spec file; empty = the kernel was not named (a default).
  std::string kernel;
  // The names of the kernel arguments given as `--arg NAME=VALUE`; errors
  // about them start "--arg NAME".
  std::set<std::string, std::less<>> flag_args;
  // The spec file the other arguments and the dimensions came from, if any
  // (its `lines`); borrowed for the call.
  const SpecFile* file = nullptr;
  // The parameter table the space came from, if any: its name and the line
  // of its column names.
  std::string table;
  int table_header_line = 1;
};

// Checks `spec.kernel`, the names of `spec.args` and of `spec`'s parameters
// against the kernels built in and loaded in `plugins`. Errors are
// kInvalidArgument with the location of `origin` (see above). Arguments that
// come from neither a flag nor the spec file (defaults the command adds) and
// the value types are left to kernels::validate().
[[nodiscard]] Status check_spec_names(const JobSpec& spec, const SpecOrigin& origin,
                                      const kernels::Registry& plugins);

}  // namespace ttg::cli

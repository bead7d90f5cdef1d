#pragma once
// Inside the kernels module: the table entry of a built-in kernel and the
// argument helpers the kernels share. Not part of the worker's seam.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/kernel.h"

namespace ttg::kernels {

struct BuiltinKind {
  // Its parameters (with defaults) and arguments are the only names accepted
  // in a job's arguments.
  KernelInfo info;
  // Makes the kernel from the job's arguments (names already checked).
  // kInvalidArgument naming a bad argument.
  Result<std::unique_ptr<Kernel>> (*make)(const nlohmann::json& args);
  // Checks one parameter set (defaults applied); nullptr = nothing to check.
  // kInvalidArgument naming the bad parameter.
  Status (*check_point)(const nlohmann::json& point);
};

// The model kernels (models.cc) and the external program kernel (command.cc).
BuiltinKind bs_mc_kind();
BuiltinKind sir_kind();
BuiltinKind mandelbrot_kind();
BuiltinKind exec_kind();

// A kernel of the plugin `plugin` for a job with `args` (plugin.cc): checks
// the argument names and the recorded "kernel_version".
[[nodiscard]] Result<std::unique_ptr<Kernel>> make_plugin_kernel(
    const std::shared_ptr<const Plugin>& plugin, const nlohmann::json& args);

// The field every per-point kernel takes: timeout_ms, with `fallback` (none
// when null) as its default.
KernelField timeout_field(std::optional<int64_t> fallback);

// kInvalidArgument unless every key of `args` is one of `known`.
[[nodiscard]] Status check_known(const nlohmann::json& args, const std::string& kernel,
                                 const std::vector<std::string>& known);

// Integer argument `name` (>= `min`), else `fallback`.
[[nodiscard]] Result<int64_t> int_arg(const nlohmann::json& args, const char* name,
                                      int64_t fallback, int64_t min);
// Number argument `name` (integer or floating point), else `fallback`.
[[nodiscard]] Result<double> number_arg(const nlohmann::json& args, const char* name,
                                        double fallback);
// The per-chunk time-out: "timeout_ms" (an integer >= 1), else `fallback`.
[[nodiscard]] Result<std::optional<std::chrono::milliseconds>> timeout_arg(
    const nlohmann::json& args, std::optional<int64_t> fallback);
// A list of names: a JSON array of strings or one comma-separated string.
[[nodiscard]] Result<std::vector<std::string>> names_arg(const nlohmann::json& args,
                                                         const char* name);

// The parameter values every set starts from: each of `params` given in
// `args`, else its default (when it has one).
nlohmann::json parameter_defaults(const std::vector<KernelField>& params,
                                  const nlohmann::json& args);

// Number parameter `name` of `point` (kInvalidArgument when missing or not a
// number).
[[nodiscard]] Result<double> number_param(const nlohmann::json& point, const char* name);

}  // namespace ttg::kernels

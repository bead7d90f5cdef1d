#pragma once
// Pieces shared by the subcommands that talk to Redis.

#include <atomic>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/result.h"
#include "kernels/kernel.h"
#include "queue/redis_queue.h"
#include "redis/options.h"

namespace ttg::cli {

// Prints "ttg <command>: <message>" on ctx.err and returns the exit code for
// `error` (exit_code_for()).
int report(const Context& ctx, std::string_view command, const Error& error);

// Parses "key=value" kernel arguments: integers, numbers, true/false, else
// strings. Errors name the flag (`--arg`).
[[nodiscard]] Result<nlohmann::json> parse_kernel_args(const std::vector<std::string>& args);

// Checks the job name a command was given: `positional` (the JOB argument)
// when not empty, else the job setting (--job, TTG_JOB, config file) when
// set. Errors are kInvalidArgument from validate_job_name(), naming the
// setting's source ("--job: job name '*' may only hold ..."). A bad name is
// refused before Redis is asked about it.
[[nodiscard]] Status check_job_name(const Settings& settings, const std::string& positional = "");

// The consumer name of this worker: WORKER_ID (worker_id), else POD_NAME,
// else "<host>-<pid>". Stable across restarts where the name is.
std::string consumer_name(const Settings& settings);

// Installs SIGTERM and SIGINT handlers: the first signal sets stop_requested(),
// a second one ends the process at once (exit code 130).
void install_stop_handlers();
const std::atomic<bool>& stop_requested();

// The job spec of `ttg submit` (and static workers) from the settings
// (params, chunk size, max attempts, work ms), `kernel` and its `--arg`s;
// validated, kernel included (a plugin kernel against `plugins`, whose
// version the spec then records). Errors are kInvalidArgument naming the flag.
[[nodiscard]] Result<JobSpec> spec_from(const Settings& settings, const std::string& kernel,
                                        const std::vector<std::string>& args,
                                        const kernels::Registry& plugins);

// The path of the running ttg binary (to start workers).
std::string self_path();

}  // namespace ttg::cli

// `ttg submit`: create a job and write its chunks.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "kernels/kernel.h"

namespace ttg::cli {

namespace {

struct SubmitArgs {
  std::string kernel = "simulate";
  std::vector<std::string> args;
  bool force = false;
  bool dry_run = false;
  std::string exec;
  std::vector<std::string> kernel_libs;
};

}  // namespace

Result<JobSpec> spec_from(const Settings& settings, const std::string& kernel,
                          const std::vector<std::string>& args, const kernels::Registry& plugins) {
  JobSpec spec;
  spec.kernel = kernel;
  spec.total_params = settings.total_parameters;
  spec.chunk_size = settings.chunk_size;
  spec.max_attempts = settings.max_attempts;
  if (spec.total_params <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--params: the number of parameters is required (or TOTAL_PARAMETERS)");
  }
  TTG_TRY_ASSIGN(spec.args, parse_kernel_args(args));
  if (spec.kernel == "simulate" && !spec.args.contains("work_ms")) {
    spec.args["work_ms"] = settings.simulate_work_ms;
  }
  TTG_TRY(spec.validate());
  return kernels::resolve(std::move(spec), plugins);
}

Handler setup_submit(CLI::App& app) {
  auto a = std::make_shared<SubmitArgs>();
  auto* kernel =
      app.add_option("--kernel", a->kernel, "Kernel to run (see `ttg kernels`); default simulate");
  app.add_option("--arg", a->args, "Kernel argument key=value (repeatable)");
  app.add_option("--exec", a->exec,
                 "Run this program for each parameter set: kernel exec with argument command")
      ->excludes(kernel);
  app.add_option("--kernel-lib", a->kernel_libs,
                 "Load plugin kernels from this shared library (repeatable); the job records "
                 "the plugin's version");
  app.add_flag("--force", a->force, "Replace an existing job of the same name");
  app.add_flag("--dry-run", a->dry_run, "Validate and print the plan; write nothing");
  return [a](const Context& ctx) -> int {
    kernels::Registry plugins;
    if (auto st = plugins.load_all(a->kernel_libs); !st) return report(ctx, "submit", st.error());
    std::vector<std::string> args = a->args;
    if (!a->exec.empty()) args.push_back("command=" + a->exec);
    auto spec = spec_from(ctx.settings, a->exec.empty() ? a->kernel : "exec", args, plugins);
    if (!spec) return report(ctx, "submit", spec.error());
    std::string name = ctx.settings.job.empty() ? generate_job_name() : ctx.settings.job;
    if (auto st = validate_job_name(name); !st) return report(ctx, "submit", st.error());
    if (a->dry_run) {
      ctx.out << "job " << name << ": " << spec->total_params << " params in "
              << spec->total_chunks() << " chunks of " << spec->chunk_size << ", kernel "
              << spec->kernel << " " << spec->args.dump() << ", max attempts " << spec->max_attempts
              << "\n"
              << "first chunk: params [0, " << spec->chunk_end(0) << "), last chunk: params ["
              << spec->chunk_begin(spec->total_chunks() - 1) << ", " << spec->total_params
              << ")\n(dry run: nothing written)\n";
      return kExitOk;
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "submit", redis.error());
    queue::JobStore store(*redis);
    auto r = store.submit(name, *spec, queue::SubmitOptions{a->force, 2000});
    if (!r) return report(ctx, "submit", r.error());
    switch (r->outcome) {
      case queue::SubmitOutcome::kExists:
        ctx.out << "job " << name
                << " exists already; nothing written (use --force to replace it)\n";
        return kExitOk;
      case queue::SubmitOutcome::kReplaced:
        ctx.out << "replaced job " << name << ": ";
        break;
      case queue::SubmitOutcome::kResumed:
        ctx.out << "resumed submission of job " << name << ": ";
        break;
      case queue::SubmitOutcome::kCreated:
        ctx.out << "submitted job " << name << ": ";
        break;
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", r->seconds);
    ctx.out << spec->total_chunks() << " chunks (" << spec->total_params << " params), "
            << r->chunks_written << " written in " << secs << " s\n";
    return kExitOk;
  };
}

}  // namespace ttg::cli

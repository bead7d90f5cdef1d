// `ttg cancel JOB`: stop handing out a job's chunks.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"

namespace ttg::cli {

Handler setup_cancel(CLI::App& app) {
  auto job = std::make_shared<std::string>();
  app.add_option("job", *job, "The job to cancel")->required();
  return [job](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, *job); !st) return report(ctx, "cancel", st.error());
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "cancel", redis.error());
    queue::JobStore store(*redis);
    auto r = store.cancel(*job);
    if (!r) return report(ctx, "cancel", r.error());
    switch (*r) {
      case queue::CancelOutcome::kCancelled:
        ctx.out << "cancelled job " << *job << "\n";
        break;
      case queue::CancelOutcome::kWasComplete:
        ctx.out << "job " << *job << " is complete already; left as it is\n";
        break;
      case queue::CancelOutcome::kWasCancelled:
        ctx.out << "job " << *job << " was cancelled already\n";
        break;
    }
    return kExitOk;
  };
}

}  // namespace ttg::cli

// `ttg verify JOB`: the computed verdict of `ttg demo` for any job, wherever
// its workers ran (processes, pods): every chunk exactly one result, none
// missing, every value equal to a recomputation in this process.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "verify/verdict.h"

namespace ttg::cli {

namespace {

struct VerifyArgs {
  std::string job;
  bool json = false;
  std::vector<std::string> kernel_libs;
};

}  // namespace

Handler setup_verify(CLI::App& app) {
  auto a = std::make_shared<VerifyArgs>();
  app.add_option("job", a->job, "The job")->required();
  app.add_flag("--json", a->json, "Print the verdict as one JSON object");
  app.add_option("--kernel-lib", a->kernel_libs,
                 "Load plugin kernels from this shared library (repeatable), for plugin jobs");
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "verify", st.error());
    }
    kernels::Registry plugins;
    if (auto st = plugins.load_all(a->kernel_libs); !st) return report(ctx, "verify", st.error());
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "verify", redis.error());
    queue::JobStore store(*redis);
    auto status = store.status(a->job);
    if (!status) return report(ctx, "verify", status.error());
    verify::CheckOptions check;
    check.dead = status->dead;
    check.plugins = &plugins;
    auto v = verify::check_job(store, a->job, status->spec, check);
    if (!v) return report(ctx, "verify", v.error());
    const std::string text = verify::verdict_text(*v);
    if (a->json) {
      nlohmann::json j = {{"job", a->job},
                          {"state", job_state_name(status->state)},
                          {"kernel", status->spec.kernel},
                          {"chunks_total", v->total},
                          {"chunks_completed", status->done},
                          {"missing_results", v->missing},
                          {"duplicate_results", v->duplicate_results},
                          {"mismatched_values", v->mismatched},
                          {"suppressed_duplicates", status->duplicates},
                          {"dead_letters", status->dead},
                          {"takeovers", status->takeovers},
                          {"checked_values", v->checked_values},
                          {"verdict", v->pass ? "pass" : "fail"},
                          {"verdict_detail", text}};
      ctx.out << j.dump() << "\n";
    } else {
      auto row = [&](std::string key, const std::string& val) {
        key.resize(30, ' ');
        ctx.out << "  " << key << val << "\n";
      };
      ctx.out << "job " << a->job << ": " << job_state_name(status->state) << " (kernel "
              << status->spec.kernel << ")\n";
      row("chunks completed", std::to_string(status->done) + "/" + std::to_string(v->total));
      row("missing results", std::to_string(v->missing));
      row("duplicate results", std::to_string(v->duplicate_results));
      row("suppressed duplicates", std::to_string(status->duplicates));
      row("dead letters", std::to_string(status->dead));
      row("takeovers", std::to_string(status->takeovers));
      row("verdict", text);
    }
    ctx.out.flush();
    return v->pass ? kExitOk : kExitFailure;
  };
}

}  // namespace ttg::cli

// `ttg cleanup [--job J | --all] [--dry-run] [--force]`: removes TTG's keys
// (prefix `ttg:`) and nothing else; never FLUSHALL.

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"

namespace ttg::cli {

namespace {
struct CleanupArgs {
  bool all = false;
  bool dry_run = false;
  bool force = false;
};
}  // namespace

Handler setup_cleanup(CLI::App& app) {
  auto a = std::make_shared<CleanupArgs>();
  app.add_flag("--all", a->all, "Every TTG key (prefix ttg:) of every job");
  app.add_flag("--dry-run", a->dry_run, "List what would be deleted; delete nothing");
  app.add_flag("--force", a->force, "Delete without asking");
  return [a](const Context& ctx) -> int {
    const std::string& job = ctx.settings.job;
    if (job.empty() == !a->all) {
      return report(ctx, "cleanup",
                    Error{ErrorCode::kInvalidArgument, "give either --job NAME or --all"});
    }
    if (auto st = check_job_name(ctx.settings); !st) return report(ctx, "cleanup", st.error());
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "cleanup", redis.error());
    queue::JobStore store(*redis);
    auto keys = store.keys(a->all ? "" : job);
    if (!keys) return report(ctx, "cleanup", keys.error());
    if (keys->empty()) {
      ctx.out << "nothing to delete\n";
      return kExitOk;
    }
    for (const auto& k : *keys) ctx.out << (a->dry_run ? "would delete " : "") << k << "\n";
    if (a->dry_run) {
      ctx.out << keys->size() << " keys would be deleted (dry run: nothing deleted)\n";
      return kExitOk;
    }
    if (!a->force) {
      if (!isatty(STDIN_FILENO)) {
        return report(ctx, "cleanup",
                      Error{ErrorCode::kInvalidArgument,
                            "not asking without a terminal: add --force to delete"});
      }
      ctx.out << "delete these " << keys->size() << " keys? [y/N] ";
      ctx.out.flush();
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y" && answer != "yes") {
        ctx.out << "nothing deleted\n";
        return kExitOk;
      }
    }
    auto n = store.delete_keys(*keys);
    if (!n) return report(ctx, "cleanup", n.error());
    ctx.out << "deleted " << *n << " keys\n";
    return kExitOk;
  };
}

Handler setup_recover(CLI::App& app) {
  (void)app;
  return [](const Context& ctx) -> int {
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "recover", redis.error());
    queue::JobStore store(*redis);
    auto r = store.recover(ctx.settings.lease_ms);
    if (!r) return report(ctx, "recover", r.error());
    for (const auto& line : r->lines) ctx.out << line << "\n";
    ctx.out << "recover: " << r->groups_created << " groups recreated, " << r->chunks_handed_back
            << " chunks handed back, " << r->consumers_deleted << " consumers deleted, "
            << r->jobs_missing << " jobs missing\n";
    return kExitOk;
  };
}

}  // namespace ttg::cli

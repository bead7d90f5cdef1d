// `ttg retry JOB (--chunks LIST | --all)`: dead chunks run again, each once.

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"

namespace ttg::cli {

namespace {

struct RetryArgs {
  std::string job;
  std::string chunks;
  CLI::Option* chunks_option = nullptr;
  bool all = false;
};

}  // namespace

Handler setup_retry(CLI::App& app) {
  auto a = std::make_shared<RetryArgs>();
  app.add_option("job", a->job, "The job")->required();
  a->chunks_option =
      app.add_option("--chunks", a->chunks,
                     "These dead chunks: numbers and ranges, e.g. 3,5-7 (see ttg dead JOB)")
          ->type_name("LIST");
  auto* all = app.add_flag("--all", a->all, "Every chunk that is dead now");
  a->chunks_option->excludes(all);
  app.footer(
      "Each chunk is put back once, with fresh attempts; a complete job runs again and "
      "completes when they are done. Exit 0 when every chunk asked for was retried (or --all "
      "found none dead), 1 when some could not be (each is named, with why), 2 without "
      "--chunks or --all.\n\n" +
      app.get_footer());
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "retry", st.error());
    }
    if (a->chunks_option->count() == 0 && !a->all) {
      return report(ctx, "retry",
                    Error{ErrorCode::kInvalidArgument,
                          "say which chunks: --chunks LIST (e.g. 3,5-7) or --all (every dead "
                          "chunk; ttg dead " +
                              a->job + " lists them)"});
    }
    std::optional<std::vector<int64_t>> chunks;
    if (!a->all) {
      auto parsed = parse_chunk_list(a->chunks);
      if (!parsed) return report(ctx, "retry", parsed.error().with_context("--chunks"));
      chunks = std::move(*parsed);
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "retry", redis.error());
    queue::JobStore store(*redis);
    auto r = store.retry(a->job, chunks);
    if (!r) return report(ctx, "retry", r.error());
    if (r->retried.empty() && r->refused.empty()) {
      ctx.out << "nothing to retry: job " << a->job << " has no dead chunks\n";
      return kExitOk;
    }
    if (!r->retried.empty()) {
      ctx.out << "retried " << r->retried.size() << (r->retried.size() == 1 ? " chunk" : " chunks")
              << " of " << a->job << " (" << format_chunk_list(r->retried) << ")\n";
      if (r->reopened) {
        ctx.out << "job " << a->job
                << " is running again: workers serving every job take its chunks; or start "
                   "ttg worker --job "
                << a->job << "\n";
      }
    }
    std::map<queue::RetryRefusal, std::vector<int64_t>> refused;
    for (const auto& [chunk, why] : r->refused) refused[why].push_back(chunk);
    for (const auto& [why, list] : refused) {
      ctx.err << "ttg retry: not retried: " << (list.size() == 1 ? "chunk " : "chunks ")
              << format_chunk_list(list) << ": " << queue::retry_refusal_text(why) << "\n";
    }
    return r->refused.empty() ? kExitOk : kExitFailure;
  };
}

}  // namespace ttg::cli

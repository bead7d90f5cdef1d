// `ttg results JOB [--format csv|jsonl|json] [--columns a,b] [-o FILE]`: one
// row per parameter set, sorted by param_index (report/results_table.h).

// GCC 12 warns of a null dereference in std::vector code that CLI11 2.1's
// detail::split inlines into this file: a false positive, and a failed
// build under -Werror. Before every include, so that it covers them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <fstream>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "report/results_table.h"
#include "util/file.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {

struct ResultsArgs {
  std::string job;
  std::string format = "csv";
  std::string columns;
  CLI::Option* columns_option = nullptr;
  std::string output;
};

}  // namespace

Handler setup_results(CLI::App& app) {
  auto a = std::make_shared<ResultsArgs>();
  app.add_option("job", a->job, "The job")->required();
  app.add_option("--format", a->format, "csv, jsonl or json (default csv)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "jsonl", "json"}));
  a->columns_option = app.add_option("--columns", a->columns,
                                     "Only these columns, in this order (default: param_index, "
                                     "the parameters, the outputs, then chunk_id, attempt, "
                                     "worker_id, chunk_seconds, completed_at)")
                          ->type_name("A,B,...");
  app.add_option("-o,--output", a->output, "Write to FILE instead of standard output")
      ->type_name("FILE");
  app.footer(
      "A job with dead chunks has no rows for them: the rows it has are written, stderr says "
      "how many chunks have none (see ttg dead JOB), and the exit code is still 0.\n\n" +
      app.get_footer());
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "results", st.error());
    }
    auto format = report::parse_format(a->format);
    if (!format) return report(ctx, "results", format.error().with_context("--format"));
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "results", redis.error());
    queue::JobStore store(*redis);
    auto status = store.status(a->job);
    if (!status) return report(ctx, "results", status.error());
    // A plugin's kernel is not known here unless --kernel-lib were given:
    // its outputs then come in the order its records hold them.
    auto kernel = kernels::find_kernel_info(status->spec.kernel, kernels::Registry());
    report::ResultsTable table(status->spec, kernel ? &*kernel : nullptr);
    auto st = store.for_each_result(
        a->job, [&](const queue::ResultRecord& r) { table.add(report::rows_of(r)); });
    if (!st) return report(ctx, "results", st.error());
    if (a->columns_option->count() > 0) {
      std::vector<std::string> names;
      for (const auto& part : util::split(a->columns, ',')) {
        auto name = util::trim(part);
        if (!name.empty()) names.emplace_back(name);
      }
      if (auto chosen = table.select(std::move(names)); !chosen) {
        return report(ctx, "results", chosen.error().with_context("--columns"));
      }
    }
    // The file is created only once everything was read and checked.
    std::ofstream file;
    std::ostream* out = &ctx.out;
    if (!a->output.empty()) {
      file.open(a->output);
      if (!file) return report(ctx, "results", Error{ErrorCode::kIo, "cannot write " + a->output});
      out = &file;
    }
    if (auto written = table.write(*out, *format); !written) {
      // The reader stopped reading (`ttg results JOB | head`): not an error.
      if (a->output.empty() && util::reader_gone(STDOUT_FILENO)) return kExitOk;
      return report(ctx, "results",
                    written.error().with_context(a->output.empty() ? "stdout" : a->output));
    }
    if (status->dead > 0) {
      ctx.err << "ttg results: " << status->dead << " of " << status->total_chunks
              << " chunks have no result (dead): see ttg dead " << a->job << "\n";
    }
    return kExitOk;
  };
}

}  // namespace ttg::cli

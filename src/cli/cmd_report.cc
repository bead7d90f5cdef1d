// `ttg report JOB -o FILE [--x P] [--y P] [--z OUTPUT]`: one self-contained
// HTML page with pictures of a job's results (report/job_report.h,
// report/report_html.h).

// GCC 12 warns of a null dereference in std::vector code that CLI11 2.1's
// detail::split inlines into this file: a false positive, and a failed
// build under -Werror. Before every include, so that it covers them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <fstream>
#include <memory>
#include <sstream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "report/job_report.h"
#include "report/report_html.h"
#include "util/file.h"

namespace ttg::cli {

namespace {

struct ReportArgs {
  std::string job;
  std::string output;
  report::ReportOptions options;
};

}  // namespace

Handler setup_report(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  app.add_option("job", a->job, "The job")->required();
  app.add_option("-o,--output", a->output, "Write the page to FILE ('-': standard output)")
      ->type_name("FILE")
      ->required();
  app.add_option("--x", a->options.x,
                 "The parameter along the heatmap's x axis, or the line plot's (default: the "
                 "space's first)")
      ->type_name("PARAM");
  app.add_option("--y", a->options.y,
                 "The parameter along the heatmap's y axis (default: the space's first other "
                 "than --x)")
      ->type_name("PARAM");
  app.add_option("--z", a->options.z,
                 "The output plotted (default: the kernel's first numeric output)")
      ->type_name("OUTPUT");
  app.footer(
      "The page holds everything it shows (Chart.js, styles, scripts, data): open it from disk, "
      "offline. Several results in one heatmap cell are averaged, an axis of more than 300 values "
      "is binned, the timeline shows at most 5000 chunks; the page says when it did so. Redis is "
      "only read.\n\n" +
      app.get_footer());
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "report", st.error());
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "report", redis.error());
    queue::JobStore store(*redis);
    auto data = report::build_report(store, a->job, a->options);
    if (!data) return report(ctx, "report", data.error());
    // The file is created only once everything was read and checked.
    std::ostringstream page;
    if (auto st = report::write_report_html(*data, page); !st) {
      return report(ctx, "report", st.error());
    }
    if (a->output == "-") {
      ctx.out << page.str();
      ctx.out.flush();
      if (!ctx.out) {
        if (util::reader_gone(STDOUT_FILENO)) return kExitOk;
        return report(ctx, "report", Error{ErrorCode::kIo, "stdout: write failed"});
      }
      return kExitOk;
    }
    std::ofstream file(a->output, std::ios::binary);
    if (!file) return report(ctx, "report", Error{ErrorCode::kIo, "cannot write " + a->output});
    file << page.str();
    file.close();
    if (!file) return report(ctx, "report", Error{ErrorCode::kIo, "cannot write " + a->output});
    return kExitOk;
  };
}

}  // namespace ttg::cli

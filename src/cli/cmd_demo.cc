// `ttg demo`: flags to demo::DemoOptions (src/demo/ runs it).

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "demo/demo.h"

namespace ttg::cli {

namespace {

struct DemoArgs {
  demo::DemoOptions options;
  std::vector<std::string> args;
  std::string monitor = "cli";
  int web_port = 8080;
};

// The running binary as people can type it: relative to the working
// directory when it lies below it (build/release/ttg), else absolute.
std::string program_shown(const std::string& path) {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec) return path;
  auto rel = std::filesystem::path(path).lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

}  // namespace

Handler setup_demo(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  auto& flags = a->options;
  app.add_option("--scale", flags.scale,
                 "small (1,000 parameter sets), medium (10,000) or large (1,000,000)")
      ->check(CLI::IsMember({"small", "medium", "large"}))
      ->capture_default_str();
  app.add_option("--workers", flags.workers, "Worker processes")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_flag("--fault-demo", flags.fault_demo,
               "Kill a worker holding a chunk (SIGKILL) at --kill-at");
  app.add_option("--kill-at", flags.kill_at, "Progress at which to kill")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--kernel", flags.kernel,
                 "Kernel (mandelbrot: a picture; simulate: the prototype's placeholder)")
      ->capture_default_str();
  app.add_option("--arg", a->args, "Kernel argument key=value (repeatable)");
  app.add_option("--monitor", a->monitor,
                 "cli (the terminal), web (the dashboard of ttg serve; its URL is printed), both, "
                 "or none. With web or both and stdin a terminal, the dashboard stays up after "
                 "the verdict until Enter")
      ->check(CLI::IsMember({"cli", "web", "both", "none"}))
      ->capture_default_str();
  app.add_option("--web-port", a->web_port,
                 "Port of the dashboard on 127.0.0.1 with --monitor web|both (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_flag("--json", flags.json, "Print the results as one JSON object");
  app.add_flag("--keep", flags.keep,
               "Leave the demo's Redis running afterwards (and the workers' logs), and print "
               "the commands that read its results");
  return [a](const Context& ctx) -> int {
    demo::DemoOptions o = a->options;
    auto args = parse_kernel_args(a->args);
    if (!args) return report(ctx, "demo", args.error());
    o.args = *args;
    o.monitor = a->monitor == "none"   ? demo::Monitor::kNone
                : a->monitor == "web"  ? demo::Monitor::kWeb
                : a->monitor == "both" ? demo::Monitor::kBoth
                                       : demo::Monitor::kCli;
    o.web_port = a->web_port;
    o.version = TTG_VERSION;
    // Kept up after the verdict only for someone who can press Enter.
    o.serve_after_verdict =
        (o.monitor == demo::Monitor::kWeb || o.monitor == demo::Monitor::kBoth) && !o.json &&
        isatty(STDIN_FILENO);
    const Settings& s = ctx.settings;
    if (s.sources.count("total_parameters")) o.total_params = s.total_parameters;
    // auto: the scale's own chunk size (the demo's figures depend on it).
    if (s.sources.count("chunk_size") && s.chunk_size != kAutoChunkSize) {
      o.chunk_size = s.chunk_size;
    }
    if (s.sources.count("simulate_work_ms")) o.simulate_work_ms = s.simulate_work_ms;
    o.max_attempts = s.max_attempts;
    o.lease_ms = s.lease_ms;
    o.reclaim_interval_ms = s.reclaim_interval_ms;
    if (!s.redis_url.empty()) {
      auto given = redis_options(s);
      if (!given) return report(ctx, "demo", given.error());
      o.redis = *given;
    }
    o.job = s.job.empty() ? "demo-" + generate_job_name().substr(4) : s.job;
    o.program = self_path();
    o.program_shown = program_shown(o.program);
    o.interactive = (o.monitor == demo::Monitor::kCli || o.monitor == demo::Monitor::kBoth) &&
                    !o.json && isatty(STDOUT_FILENO);
    install_stop_handlers();
    auto outcome = demo::run_demo(o, ctx.out, stop_requested());
    if (!outcome) return report(ctx, "demo", outcome.error());
    if (outcome->interrupted) return 130;
    return outcome->pass ? kExitOk : kExitFailure;
  };
}

}  // namespace ttg::cli

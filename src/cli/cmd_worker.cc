// `ttg worker`: claim, compute and commit chunks until the job is finished,
// the idle time-out passes, or SIGTERM/SIGINT (drain, then exit 0).
// `ttg worker --static --index I --count N`: the prototype's first
// milestone, kept as a baseline: compute share I of N without Redis, and
// write its rows as `ttg results` does (report/results_table.h).

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "kernels/kernel.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "redis/startup.h"
#include "report/results_table.h"
#include "util/strings.h"
#include "worker/endpoint.h"
#include "worker/status.h"
#include "worker/worker.h"

namespace ttg::cli {

namespace {

struct WorkerArgs {
  bool static_mode = false;
  bool no_speculate = false;
  double slowdown = 1;
  int64_t index = -1;
  int64_t count = 0;
  std::string output;
  std::string format;
  std::string kernel = "simulate";
  std::vector<std::string> args;
  std::vector<std::string> kernel_libs;
  std::vector<std::string> allow_exec;
  CLI::Option* allow_exec_option = nullptr;
};

// --allow-exec [PREFIX] (repeatable), else TTG_ALLOW_EXEC: "1", "yes",
// "true" or "*" allow any program; otherwise a ':'-separated list of prefixes.
void exec_policy(const WorkerArgs& a, worker::WorkerOptions& o) {
  if (a.allow_exec_option->count() > 0) {
    for (const auto& p : a.allow_exec) {
      if (p.empty()) {
        o.allow_exec_any = true;
      } else {
        o.exec_prefixes.push_back(p);
      }
    }
    if (a.allow_exec.empty()) o.allow_exec_any = true;
    return;
  }
  const char* env = std::getenv("TTG_ALLOW_EXEC");
  if (env == nullptr || *env == '\0') return;
  std::string v = env;
  if (v == "1" || v == "yes" || v == "true" || v == "*") {
    o.allow_exec_any = true;
    return;
  }
  for (auto& p : util::split(v, ':')) {
    if (!p.empty()) o.exec_prefixes.push_back(p);
  }
}

// redis::wait_for_server() with log lines: when the first try fails, then
// every 10 s while it keeps failing, and when Redis answers after all.
Status wait_for_redis(const redis::Options& options, int64_t timeout_seconds) {
  redis::StartupWait wait;
  wait.timeout = std::chrono::seconds(timeout_seconds);
  const std::string where = redis::describe(options);
  bool waited = false;
  auto on_waiting = [&](const Error& error, std::chrono::milliseconds so_far) {
    auto seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(so_far).count());
    if (!waited) {
      obs::log_warn("cannot reach Redis yet; retrying",
                    {{"redis", where},
                     {"error", error.message},
                     {"connect_timeout_s", std::to_string(timeout_seconds)}});
    } else {
      obs::log_warn("still cannot reach Redis",
                    {{"redis", where}, {"error", error.message}, {"waited_s", seconds}});
    }
    waited = true;
  };
  auto st = redis::wait_for_server(options, wait, stop_requested(), on_waiting);
  if (st && waited) obs::log_info("reached Redis", {{"redis", where}});
  if (!st && st.error().code == ErrorCode::kCancelled) {
    obs::log_info("stopped before reaching Redis", {{"redis", where}});
  }
  return st;
}

int run_static(const Context& ctx, const WorkerArgs& a, const kernels::Registry& plugins) {
  if (a.count < 1 || a.index < 0 || a.index >= a.count) {
    return report(ctx, "worker",
                  Error{ErrorCode::kInvalidArgument,
                        "--static needs --count N >= 1 and --index I with 0 <= I < N"});
  }
  auto spec = spec_from(ctx.settings, a.kernel, a.args, plugins);
  if (!spec) return report(ctx, "worker", spec.error());
  auto kernel = kernels::make_kernel(*spec, plugins);
  if (!kernel) return report(ctx, "worker", kernel.error());
  // Seeds derive from the job name: the same as a queued job of that name.
  const std::string job = ctx.settings.job.empty() ? "static" : ctx.settings.job;
  const kernels::PointFn point = kernels::points_for(*spec);
  // The format: --format, else the output's extension, else CSV.
  std::string format_name = a.format;
  if (format_name.empty()) {
    auto dot = a.output.rfind('.');
    std::string ext = dot == std::string::npos ? "" : a.output.substr(dot + 1);
    format_name = ext == "jsonl" || ext == "json" ? ext : "csv";
  }
  auto format = report::parse_format(format_name);
  if (!format) return report(ctx, "worker", format.error().with_context("--format"));
  // Share I of N: a contiguous range of chunks, as the prototype's static mode.
  int64_t chunks = spec->total_chunks();
  int64_t first = chunks * a.index / a.count;
  int64_t last = chunks * (a.index + 1) / a.count;
  auto info = kernels::find_kernel_info(spec->kernel, plugins);
  report::ResultsTable table(*spec, info ? &*info : nullptr);
  const std::string worker_id = "static-" + std::to_string(a.index);
  kernels::CancelFlag cancel{false};
  for (int64_t c = first; c < last; ++c) {
    auto t0 = std::chrono::steady_clock::now();
    kernels::ChunkTask task{job, c, spec->chunk_begin(c), spec->chunk_end(c), 1, point};
    auto r = (*kernel)->run(task, cancel);
    if (!r) return report(ctx, "worker", r.error().with_context("chunk " + std::to_string(c)));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    table.add({c, 1, worker_id, secs, iso8601_now(), std::move(*r)});
  }
  std::string path =
      a.output.empty() ? "results-worker-" + std::to_string(a.index) + "." + format_name : a.output;
  std::ofstream f(path);
  if (!f || !table.write(f, *format)) {
    return report(ctx, "worker", Error{ErrorCode::kIo, "cannot write " + path});
  }
  ctx.out << "static worker " << a.index << "/" << a.count << ": chunks [" << first << ", " << last
          << ") written to " << path << "\n";
  return kExitOk;
}

}  // namespace

Handler setup_worker(CLI::App& app) {
  auto a = std::make_shared<WorkerArgs>();
  app.add_option("--kernel-lib", a->kernel_libs,
                 "Load plugin kernels from this shared library (repeatable)")
      ->type_name("PATH");
  app.add_flag("--no-speculate", a->no_speculate,
               "Never run a copy of another worker's slow chunk at the end of a job");
  app.add_option("--slowdown", a->slowdown,
                 "For tests and benchmarks: make every chunk take this many times its compute "
                 "time (default 1)")
      ->type_name("FACTOR")
      ->check(CLI::Range(1.0, 1000.0));
  // Static mode's flags, and the settings only it reads, in a group of
  // their own.
  const std::string kStatic = "Static mode (no Redis: compute share I of N, write its rows)";
  app.add_flag("--static", a->static_mode, "Compute a fixed share without Redis (baseline)")
      ->group(kStatic);
  app.add_option("--index", a->index, "This worker's index I, from 0")
      ->type_name("I")
      ->group(kStatic);
  app.add_option("--count", a->count, "The number of static workers N")
      ->type_name("N")
      ->group(kStatic);
  app.add_option("--output", a->output, "Result file (default results-worker-I.csv)")
      ->type_name("FILE")
      ->group(kStatic);
  app.add_option("--format", a->format,
                 "csv, jsonl or json, as ttg results (default: by --output's extension, else csv)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "jsonl", "json"}))
      ->group(kStatic);
  app.add_option("--kernel", a->kernel, "Kernel (default simulate)")
      ->type_name("NAME")
      ->group(kStatic);
  app.add_option("--arg", a->args, "Kernel argument (repeatable)")
      ->type_name("KEY=VALUE")
      ->group(kStatic);
  for (const char* flag : {"--params", "--chunk-size", "--work-ms", "--max-attempts"}) {
    if (CLI::Option* setting = app.get_option_no_throw(flag)) setting->group(kStatic);
  }
  a->allow_exec_option =
      app.add_option("--allow-exec", a->allow_exec,
                     "Run jobs of kernel exec (programs named by the job's spec); with PREFIX, "
                     "only programs whose path starts with it (repeatable). Default: refused "
                     "(env TTG_ALLOW_EXEC)")
          ->expected(0, 1)
          ->type_name("[PREFIX]");
  return [a](const Context& ctx) -> int {
    auto plugins = std::make_shared<kernels::Registry>();
    if (auto st = plugins->load_all(a->kernel_libs); !st) {
      return report(ctx, "worker", st.error());
    }
    if (a->static_mode) return run_static(ctx, *a, *plugins);
    if (auto st = check_job_name(ctx.settings); !st) return report(ctx, "worker", st.error());
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "worker", redis.error());
    const Settings& s = ctx.settings;
    std::string consumer = consumer_name(s);
    worker::WorkerOptions o;
    o.job = s.job;
    o.threads = s.threads;
    o.claim_ahead_ms = s.claim_ahead_ms;
    o.speculate = !a->no_speculate;
    o.slowdown = a->slowdown;
    o.lease_ms = s.lease_ms;
    o.reclaim_interval_ms = s.reclaim_interval_ms;
    o.idle_timeout_ms = s.idle_timeout_seconds * 1000;
    o.drain_timeout_ms = s.drain_timeout_seconds * 1000;
    exec_policy(*a, o);
    {
      char host[256] = {};
      if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
      o.info.host = host;
      o.info.pid = static_cast<int64_t>(getpid());
    }
    // Metrics and health are served from the start (while Redis is awaited
    // too); an address that cannot be served is a configuration error.
    std::unique_ptr<obs::PrometheusMetrics> metrics;
    worker::WorkerStatus status;
    std::unique_ptr<http::Server> endpoint;
    if (s.metrics_port > 0) {
      metrics = std::make_unique<obs::PrometheusMetrics>(
          obs::MetricsOptions{consumer, std::string(TTG_VERSION)});
      auto served = worker::serve_endpoint(s.metrics_bind, s.metrics_port, *metrics, status);
      if (!served) return report(ctx, "worker", served.error());
      endpoint = std::move(*served);
      o.metrics = metrics.get();
      o.status = &status;
      obs::log_info("serving metrics and health", {{"address", s.metrics_bind},
                                                   {"port", std::to_string(s.metrics_port)},
                                                   {"paths", "/metrics /healthz /readyz"}});
    }
    // Wait for a Redis that is not up yet, for --connect-timeout; a wrong
    // password or a server that is not Redis fails at once.
    install_stop_handlers();
    if (auto st = wait_for_redis(*redis, s.connect_timeout_seconds); !st) {
      if (st.error().code == ErrorCode::kCancelled) return kExitOk;
      return report(ctx, "worker", st.error());
    }
    obs::log_info("worker started", {{"worker", consumer},
                                     {"redis", redis::describe(*redis)},
                                     {"job", o.job.empty() ? "(all)" : o.job},
                                     {"threads", std::to_string(o.threads)},
                                     {"lease_ms", std::to_string(o.lease_ms)}});
    queue::QueueOptions qo{consumer, consumer, s.lease_ms};
    redis::Options ro = *redis;
    worker::QueueFactory make_queue = [ro, qo] { return queue::make_redis_queue(ro, qo); };
    worker::KernelFactory make_kernel = [plugins](const JobSpec& spec) {
      return kernels::make_kernel(spec, *plugins);
    };
    auto stats = worker::run_worker(o, make_queue, make_kernel, stop_requested());
    if (!stats) return report(ctx, "worker", stats.error());
    if (stats->exit_reason == "no_job") {
      return report(ctx, "worker",
                    Error{ErrorCode::kNotFound, "job '" + o.job + "' was never submitted (waited " +
                                                    std::to_string(s.idle_timeout_seconds) +
                                                    " s, --idle-timeout)"});
    }
    obs::log_info("worker finished", {{"worker", consumer},
                                      {"reason", stats->exit_reason},
                                      {"committed", std::to_string(stats->committed)},
                                      {"taken_over", std::to_string(stats->taken_over)},
                                      {"duplicates", std::to_string(stats->duplicates)},
                                      {"retries", std::to_string(stats->retries)},
                                      {"dead", std::to_string(stats->dead)},
                                      {"lost", std::to_string(stats->lost)},
                                      {"released", std::to_string(stats->released)}});
    return kExitOk;
  };
}

}  // namespace ttg::cli

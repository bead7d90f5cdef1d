// `ttg serve`: the dashboard, the JSON API and the per-job metrics of every
// job on a Redis, until SIGINT or SIGTERM (exit 0). Wiring only: the server
// is src/serve/.

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <ostream>
#include <thread>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "obs/log.h"
#include "redis/options.h"
#include "serve/server.h"

namespace ttg::cli {

namespace {

struct ServeArgs {
  std::string bind = "127.0.0.1";
  int port = 8080;
  int64_t refresh_ms = 1000;
  int64_t max_jobs = 200;
};

}  // namespace

Handler setup_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  app.add_option("--bind", a->bind,
                 "IPv4 address to listen on (default 127.0.0.1: this host only; 0.0.0.0: every "
                 "interface; there is no authentication)")
      ->type_name("ADDR");
  app.add_option("--port", a->port, "Port to listen on (default 8080; 0: any free port)")
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535));
  app.add_option("--refresh-ms", a->refresh_ms,
                 "How often Redis is read, in ms, 100 to 60000 (default 1000)")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{100}, int64_t{60000}));
  app.add_option("--max-jobs", a->max_jobs,
                 "Show and export the newest N jobs of the registry, 1 to 10000 (default 200)")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{10000}));
  return [a](const Context& ctx) -> int {
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "serve", redis.error());
    serve::ServerOptions o;
    o.poller.redis = *redis;
    o.poller.refresh_ms = a->refresh_ms;
    o.poller.max_jobs = a->max_jobs;
    o.bind = a->bind;
    o.port = a->port;
    o.version = TTG_VERSION;
    install_stop_handlers();
    auto server = serve::Server::start(std::move(o));
    if (!server) return report(ctx, "serve", server.error());
    ctx.out << "serving " << (*server)->url() << " (Ctrl-C stops)" << std::endl;
    obs::log_info("serving", {{"url", (*server)->url()},
                              {"redis", redis::describe(*redis)},
                              {"refresh_ms", std::to_string(a->refresh_ms)},
                              {"max_jobs", std::to_string(a->max_jobs)}});
    // A signal handler cannot notify: the flag is polled.
    while (!stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server->reset();
    obs::log_info("stopped", {});
    return kExitOk;
  };
}

}  // namespace ttg::cli

#pragma once
// `ttg serve`: the HTTP server of the dashboard, the JSON API and the
// per-job metrics, over one Poller (docs/DEPLOY.md, "The dashboard: ttg
// serve", lists the routes). Read-only: GET and HEAD; any other method is
// answered 405.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "serve/poller.h"

namespace ttg::serve {

// The data of a finished job's results view (/api/jobs/NAME/report) for
// `job` with the request's query parameters (x, y, z). Called on a request
// thread, any number at once: it must be thread-safe. kNotFound: 404.
using ReportFn = std::function<Result<nlohmann::json>(
    const std::string& job, const std::map<std::string, std::string>& query)>;

struct ServerOptions {
  // What the poller reads, how often, how many jobs.
  PollerOptions poller;
  // The IPv4 address to listen on. Default "127.0.0.1": this host only.
  std::string bind = "127.0.0.1";
  // The port; 0 takes a free one (port() says which). Default 8080.
  int port = 8080;
  // ttg's version, for ttg_serve_build_info. Default empty.
  std::string version;
  // Answers /api/jobs/NAME/report; empty: that route answers 404.
  ReportFn report;
};

class Server {
 public:
  // Listens on `options.bind`:`options.port`, starts the poller (its first
  // refresh at once) and the request threads, and returns. Errors:
  // kInvalidArgument when the address is not IPv4 or cannot be listened on
  // (the port in use, an address not this host's); the message names
  // ADDRESS:PORT.
  [[nodiscard]] static Result<std::unique_ptr<Server>> start(ServerOptions options);
  // Stops serving and polling.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port listened on.
  int port() const;
  // "http://ADDRESS:PORT/".
  std::string url() const;
  // The poller's latest snapshot.
  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ttg::serve

#include "worker/endpoint.h"

#include <utility>

namespace ttg::worker {

namespace {

void answer(const Health& h, http::Response& res) {
  res.status = h.ok ? 200 : 503;
  res.body = h.reason + "\n";
  // A probe must see the state of now, not a cache's.
  res.headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace

Result<std::unique_ptr<http::Server>> serve_endpoint(const std::string& bind, int port,
                                                     const obs::PrometheusMetrics& metrics,
                                                     const WorkerStatus& status) {
  http::ServerOptions o;
  o.bind = bind;
  o.port = port;
  o.what = "metrics";
  o.read_only_note = ": the worker's endpoint is read-only";
  o.routes.push_back({"/metrics", [&metrics](const http::Request&, http::Response& res) {
                        res.body = metrics.text();
                        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
                      }});
  o.routes.push_back({"/healthz", [&status](const http::Request&, http::Response& res) {
                        answer(status.liveness(), res);
                      }});
  o.routes.push_back({"/readyz", [&status](const http::Request&, http::Response& res) {
                        answer(status.readiness(), res);
                      }});
  return http::Server::start(std::move(o));
}

}  // namespace ttg::worker

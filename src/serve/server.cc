#include "serve/server.h"

#include <utility>
#include <vector>

#include "http/server.h"
#include "obs/job_metrics.h"
#include "queue/redis_queue.h"
#include "report/job_report.h"
#include "serve/api.h"
#include "web/web.h"

namespace ttg::serve {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

void send_json(http::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  // Replace, not throw, on text that is not UTF-8 (job errors are any bytes).
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.content_type = kJson;
}

void send_error(http::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

void send_asset(http::Response& res, const web::Asset& a) {
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.body = std::string(a.data);
  res.content_type = std::string(a.content_type);
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)), poller(options.poller) {}

  std::vector<http::Route> routes();

  ServerOptions options;
  Poller poller;
  std::unique_ptr<http::Server> http;
};

std::vector<http::Route> Server::Impl::routes() {
  using http::Request;
  using http::Response;
  std::vector<http::Route> r;
  r.push_back({"/metrics", [this](const Request&, Response& res) {
                 auto s = poller.snapshot();
                 res.body = obs::render_job_metrics(gauges(*s, options.version));
                 res.content_type = "text/plain; version=0.0.4; charset=utf-8";
               }});
  r.push_back(
      {"/healthz", [this](const Request&, Response& res) {
         auto s = poller.snapshot();
         if (s->redis_up) {
           res.body = "ok\n";
           return;
         }
         res.status = 503;
         res.body = (s->polled ? "redis unreachable: " + s->error : std::string("starting")) + "\n";
       }});
  r.push_back({"/api/jobs", [this](const Request&, Response& res) {
                 send_json(res, jobs_json(*poller.snapshot()));
               }});
  r.push_back({R"(/api/jobs/([^/]+))", [this](const Request& req, Response& res) {
                 const std::string& name = req.matches[1];
                 auto j = job_json(*poller.snapshot(), name);
                 if (!j) {
                   return send_error(res, 404,
                                     "no job '" + name + "' is shown (ttg serve --max-jobs)");
                 }
                 send_json(res, *j);
               }});
  r.push_back({R"(/api/jobs/([^/]+)/report)", [this](const Request& req, Response& res) {
                 const std::string& name = req.matches[1];
                 if (!options.report) {
                   return send_error(res, 404, "the results view is not part of this build");
                 }
                 if (poller.snapshot()->find(name) == nullptr) {
                   return send_error(res, 404, "no job '" + name + "' is shown");
                 }
                 auto rep = options.report(name, req.params);
                 if (!rep) {
                   const ErrorCode code = rep.error().code;
                   return send_error(res,
                                     code == ErrorCode::kNotFound          ? 404
                                     : code == ErrorCode::kInvalidArgument ? 400
                                                                           : 500,
                                     rep.error().message);
                 }
                 send_json(res, *rep);
               }});
  auto page = [](const Request&, Response& res) {
    const web::Asset* a = web::asset("dashboard.html");
    if (a == nullptr) return send_error(res, 500, "the dashboard is not part of this build");
    send_asset(res, *a);
  };
  r.push_back({"/", page});
  r.push_back({"/index.html", page});
  r.push_back({R"(/assets/([A-Za-z0-9._-]+))", [](const Request& req, Response& res) {
                 const web::Asset* a = web::asset(req.matches[1]);
                 if (a == nullptr) return send_error(res, 404, "no asset '" + req.matches[1] + "'");
                 send_asset(res, *a);
               }});
  return r;
}

ReportFn report_from(const redis::Options& redis) {
  return [redis](const std::string& job,
                 const std::map<std::string, std::string>& query) -> Result<nlohmann::json> {
    // A connection of its own per request: request threads run at once.
    queue::JobStore store(redis);
    report::ReportOptions options;
    auto param = [&](const char* key) {
      auto it = query.find(key);
      return it == query.end() ? std::string() : it->second;
    };
    options.x = param("x");
    options.y = param("y");
    options.z = param("z");
    return report::build_report(store, job, options);
  };
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  if (!options.report) options.report = report_from(options.poller.redis);
  auto impl = std::make_unique<Impl>(std::move(options));
  http::ServerOptions o;
  o.bind = impl->options.bind;
  o.port = impl->options.port;
  o.routes = impl->routes();
  o.error_body = [](http::Response& res, const std::string& message) {
    send_error(res, res.status, message);
  };
  o.read_only_note = ": ttg serve is read-only";
  auto http = http::Server::start(std::move(o));
  if (!http) return tl::unexpected(http.error());
  impl->http = std::move(*http);
  impl->poller.start();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  impl_->http.reset();
  impl_->poller.stop();
}

int Server::port() const { return impl_->http->port(); }

std::string Server::url() const { return impl_->http->url(); }

std::shared_ptr<const Snapshot> Server::snapshot() const { return impl_->poller.snapshot(); }

}  // namespace ttg::serve

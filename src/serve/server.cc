#include "serve/server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>
#include <utility>

#include "obs/job_metrics.h"
#include "serve/api.h"
#include "util/net.h"
#include "web/web.h"

namespace ttg::serve {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  // Replace, not throw, on text that is not UTF-8 (job errors are any bytes).
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJson);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

// Sockets with SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with
// which a second server on the same port would share it instead of failing.
void socket_options(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)), poller(options.poller) {}

  void routes();

  ServerOptions options;
  Poller poller;
  httplib::Server http;
  std::thread listener;
  int port = 0;
};

void Server::Impl::routes() {
  http.set_socket_options(socket_options);
  // Read-only: every other method is refused, before httplib reads a body
  // (it would answer 400 to a POST without one) and whatever the method.
  // The connection is closed: an unread body must not be taken for the
  // next request.
  http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD")
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("Allow", "GET, HEAD");
    res.set_header("Connection", "close");
    send_error(res, 405, "method " + req.method + " not allowed: ttg serve is read-only");
    return httplib::Server::HandlerResponse::Handled;
  });

  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto s = poller.snapshot();
    res.set_content(obs::render_job_metrics(gauges(*s, options.version)),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    auto s = poller.snapshot();
    if (s->redis_up) {
      res.set_content("ok\n", "text/plain; charset=utf-8");
      return;
    }
    res.status = 503;
    res.set_content((s->polled ? "redis unreachable: " + s->error : std::string("starting")) + "\n",
                    "text/plain; charset=utf-8");
  });
  http.Get("/api/jobs", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, jobs_json(*poller.snapshot()));
  });
  http.Get(R"(/api/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    auto j = job_json(*poller.snapshot(), name);
    if (!j) return send_error(res, 404, "no job '" + name + "' is shown (ttg serve --max-jobs)");
    send_json(res, *j);
  });
  http.Get(R"(/api/jobs/([^/]+)/report)", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    const std::string name = req.matches[1];
    if (!options.report) {
      return send_error(res, 404, "the results view is not part of this build");
    }
    if (poller.snapshot()->find(name) == nullptr) {
      return send_error(res, 404, "no job '" + name + "' is shown");
    }
    std::map<std::string, std::string> query;
    for (const auto& [k, v] : req.params) query[k] = v;
    auto r = options.report(name, query);
    if (!r) {
      return send_error(res, r.error().code == ErrorCode::kNotFound ? 404 : 500, r.error().message);
    }
    send_json(res, *r);
  });
  auto page = [](const httplib::Request&, httplib::Response& res) {
    const web::Asset* a = web::asset("dashboard.html");
    if (a == nullptr) return send_error(res, 500, "the dashboard is not part of this build");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(a->data), std::string(a->content_type).c_str());
  };
  http.Get("/", page);
  http.Get("/index.html", page);
  http.Get(R"(/assets/([A-Za-z0-9._-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const web::Asset* a = web::asset(std::string(req.matches[1]));
    if (a == nullptr) return send_error(res, 404, "no asset '" + std::string(req.matches[1]) + "'");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(a->data), std::string(a->content_type).c_str());
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      send_error(res, 404, "no such page: " + req.path);
    }
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                std::exception_ptr) { send_error(res, 500, "internal error"); });
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  const std::string at = options.bind + ":" + std::to_string(options.port);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "cannot serve on " + at + ": " + why);
  };
  in_addr v4{};
  if (inet_pton(AF_INET, options.bind.c_str(), &v4) != 1) {
    return fail("expected an IPv4 address (0.0.0.0 for every interface), got '" + options.bind +
                "'");
  }
  if (options.port < 0 || options.port > 65535) return fail("the port must be 0 to 65535");
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->routes();
  const ServerOptions& o = impl->options;
  if (o.port == 0) {
    impl->port = impl->http.bind_to_any_port(o.bind);
    if (impl->port <= 0) return fail("no free port");
  } else {
    if (!impl->http.bind_to_port(o.bind, o.port)) {
      auto why = util::probe_listen(o.bind, o.port);
      return fail(why ? std::string("cannot listen") : why.error());
    }
    impl->port = o.port;
  }
  impl->poller.start();
  Impl* p = impl.get();
  impl->listener = std::thread([p] { p->http.listen_after_bind(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  impl_->poller.stop();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  return "http://" + impl_->options.bind + ":" + std::to_string(impl_->port) + "/";
}

std::shared_ptr<const Snapshot> Server::snapshot() const { return impl_->poller.snapshot(); }

}  // namespace ttg::serve

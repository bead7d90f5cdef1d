#include "http/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>
#include <utility>

#include "util/net.h"

namespace ttg::http {

namespace {

// Sockets with SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with
// which a second server on the same port would share it instead of failing.
void socket_options(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

void plain_error(Response& res, const std::string& message) {
  res.content_type = "text/plain; charset=utf-8";
  res.body = message + "\n";
}

void apply(const Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k.c_str(), v);
  to.set_content(from.body, from.content_type.c_str());
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {
    if (!options.error_body) options.error_body = plain_error;
  }

  void routes();
  // Answers `res` (whose status is set) with the error body for `message`.
  void error(httplib::Response& res, const std::string& message) const {
    Response r;
    r.status = res.status;
    options.error_body(r, message);
    for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
    res.set_content(r.body, r.content_type.c_str());
  }

  ServerOptions options;
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
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_header("Connection", "close");
    error(res, "method " + req.method + " not allowed" + options.read_only_note);
    return httplib::Server::HandlerResponse::Handled;
  });
  for (const Route& route : options.routes) {
    Handler handler = route.handler;
    http.Get(route.pattern, [handler](const httplib::Request& req, httplib::Response& res) {
      Request r;
      r.method = req.method;
      r.path = req.path;
      for (const auto& m : req.matches) r.matches.push_back(m.str());
      for (const auto& [k, v] : req.params) r.params[k] = v;
      Response out;
      handler(r, out);
      apply(out, res);
    });
  }
  // Errors without a body of their handler's: no route (404), and what
  // httplib itself refuses (400 for a method HTTP does not know, ...).
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    error(res, res.status == 404   ? "no such page: " + req.path
               : res.status == 400 ? std::string("bad request")
                                   : "error " + std::to_string(res.status));
  });
  http.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        error(res, "internal error");
      });
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  const std::string at = options.bind + ":" + std::to_string(options.port);
  const std::string what = options.what.empty() ? "" : options.what + " ";
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot serve " + what + "on " + at + ": " + why);
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
  Impl* p = impl.get();
  impl->listener = std::thread([p] { p->http.listen_after_bind(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  return "http://" + impl_->options.bind + ":" + std::to_string(impl_->port) + "/";
}

}  // namespace ttg::http

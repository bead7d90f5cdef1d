#pragma once
// A small read-only HTTP server (cpp-httplib underneath, which no header
// here includes): GET and HEAD routes on one IPv4 address and port, its own
// threads, stopped when the Server is destroyed. `ttg serve` and the
// worker's metrics and health endpoint (`ttg worker --metrics-port`) serve
// through it, so both listen, refuse methods and name a bad address alike.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ttg::http {

struct Request {
  std::string method;  // "GET" or "HEAD"
  std::string path;
  // The route pattern's groups: [0] is the whole path, [1] the first group.
  std::vector<std::string> matches;
  // The query parameters (a repeated key: one of its values).
  std::map<std::string, std::string> params;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answers one request. Called on a request thread, any number at once: it
// must be thread-safe. An exception it throws is answered 500.
using Handler = std::function<void(const Request&, Response&)>;

// Writes an error's body: 404 (no route), 405 (a method other than GET and
// HEAD), 500 (a handler threw). `res.status` is set already.
using ErrorBody = std::function<void(Response& res, const std::string& message)>;

struct Route {
  // A regular expression (ECMAScript) that the whole path must match.
  std::string pattern;
  Handler handler;
};

struct ServerOptions {
  // The IPv4 address to listen on. Default "127.0.0.1": this host only.
  std::string bind = "127.0.0.1";
  // The port; 0 takes a free one (Server::port() says which). Default 0.
  int port = 0;
  // What is served, for the start-up error ("cannot serve WHAT on
  // ADDR:PORT: ..."); empty: "cannot serve on ADDR:PORT: ...".
  std::string what;
  // Tried in order; the first whose pattern matches answers.
  std::vector<Route> routes;
  // Default: the message and a newline, as text/plain.
  ErrorBody error_body;
  // Appended to the 405 answer's message ("method POST not allowed" +
  // this). Default empty.
  std::string read_only_note;
};

class Server {
 public:
  // Listens on `options.bind`:`options.port` and answers on threads of its
  // own from now until destruction. Any method but GET and HEAD is answered
  // 405 (`Allow: GET, HEAD`) and the connection closed, before a body is
  // read. Errors: kInvalidArgument when the address is not IPv4, the port
  // not 0 to 65535, or the address cannot be listened on (the port in use,
  // an address not this host's); the message names ADDRESS:PORT and why.
  [[nodiscard]] static Result<std::unique_ptr<Server>> start(ServerOptions options);
  // Stops listening and waits for the request threads.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port listened on.
  int port() const;
  // "http://ADDRESS:PORT/".
  std::string url() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ttg::http

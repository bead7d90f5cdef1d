#pragma once
// Tests of the worker's metrics: the Prometheus text format parsed as far as
// TTG's metrics use it, a scrape over HTTP on loopback, and a private
// Prometheus server (the `prometheus` binary) started and stopped by pid.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/process.h"

namespace ttg::testing {

using Labels = std::map<std::string, std::string>;

// The samples of one exposition.
struct Exposition {
  std::map<std::string, double> samples;     // key(name, labels) -> value
  std::map<std::string, std::string> types;  // family name -> "counter", "gauge", ...

  // Parses `text`; lines it cannot read are listed in `errors`.
  static Exposition parse(const std::string& text);
  // "name{a="x",b="y"}", labels in name order.
  static std::string key(const std::string& name, const Labels& labels);
  // The value of `name` with exactly `labels`, or nullopt.
  std::optional<double> value(const std::string& name, const Labels& labels) const;
  // The sum of every sample of `name` whose labels include `labels`.
  double sum(const std::string& name, const Labels& labels = {}) const;

  std::string errors;
};

// GET http://127.0.0.1:`port``path`: the body of a 200 reply, else nullopt.
std::optional<std::string> http_get(int port, const std::string& path = "/metrics");

// A request's reply, whatever its status; `status` 0 when there was none
// (nothing listens, a time-out).
struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string allow;  // the Allow header
};
// `method` (GET, HEAD, POST, PUT, DELETE) http://127.0.0.1:`port``path`.
HttpReply http_fetch(int port, const std::string& path, const std::string& method = "GET");

// The full path of `program` on PATH, or "" when it is not there.
std::string find_on_path(const std::string& program);

// A private Prometheus on a free loopback port, scraping `target`
// ("127.0.0.1:9100") every second, with its data in `dir`. Stopped (SIGTERM,
// then SIGKILL) by pid when destroyed.
class PrometheusServer {
 public:
  // Starts it and waits (up to 60 s) until /-/ready answers. nullptr with
  // `error` set when it cannot start.
  static std::unique_ptr<PrometheusServer> start(const std::string& binary, const std::string& dir,
                                                 const std::string& target, std::string& error);
  // The same with the whole configuration given: `config` is the text of
  // its prometheus.yml (written to `dir`; rule files by absolute path).
  static std::unique_ptr<PrometheusServer> start_with_config(const std::string& binary,
                                                             const std::string& dir,
                                                             const std::string& config,
                                                             std::string& error);
  ~PrometheusServer();

  // GET `path` (e.g. "/api/v1/query_range") with `params` on its HTTP API.
  // status is 0 when no reply came; body is the reply's, whatever its status
  // (the API explains a refused query in a JSON body with status 400).
  struct Reply {
    int status = 0;
    std::string body;
  };
  Reply get(const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& params = {}) const;

  // An instant query's first sample value; nullopt when the result is empty
  // or the query failed.
  std::optional<double> query(const std::string& promql) const;
  int port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  PrometheusServer() = default;
  util::Process process_;
  int port_ = 0;
  std::string log_;
};

}  // namespace ttg::testing

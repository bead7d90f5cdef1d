#include "support/metrics.h"

#include <httplib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "redis/local_server.h"
#include "support/redis_fixture.h"
#include "util/strings.h"

namespace ttg::testing {

Exposition Exposition::parse(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      out.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    Labels labels;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string::npos) {
      out.errors += "no value: " + line + "\n";
      continue;
    }
    const std::string name = line.substr(0, pos);
    if (line[pos] == '{') {
      const size_t end = line.find('}', pos);
      if (end == std::string::npos) {
        out.errors += "unterminated labels: " + line + "\n";
        continue;
      }
      const std::string body = line.substr(pos + 1, end - pos - 1);
      size_t i = 0;
      while (i < body.size()) {
        const size_t eq = body.find("=\"", i);
        const size_t close = eq == std::string::npos ? eq : body.find('"', eq + 2);
        if (close == std::string::npos) {
          out.errors += "bad labels: " + line + "\n";
          break;
        }
        labels[body.substr(i, eq - i)] = body.substr(eq + 2, close - eq - 2);
        i = close + 1;
        if (i < body.size() && body[i] == ',') ++i;
      }
      pos = end + 1;
    }
    const size_t v = line.find_first_not_of(' ', pos);
    auto value = v == std::string::npos ? std::nullopt : util::parse_double(line.substr(v));
    if (!value && v != std::string::npos && line.substr(v) == "+Inf") value = HUGE_VAL;
    if (!value) {
      out.errors += "bad value: " + line + "\n";
      continue;
    }
    out.samples[key(name, labels)] = *value;
  }
  return out;
}

std::string Exposition::key(const std::string& name, const Labels& labels) {
  std::string k = name + "{";
  bool first = true;
  for (const auto& [n, v] : labels) {
    k += (first ? "" : ",") + n + "=\"" + v + "\"";
    first = false;
  }
  return k + "}";
}

std::optional<double> Exposition::value(const std::string& name, const Labels& labels) const {
  auto it = samples.find(key(name, labels));
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

double Exposition::sum(const std::string& name, const Labels& labels) const {
  double total = 0;
  const std::string prefix = name + "{";
  for (const auto& [k, v] : samples) {
    if (k.rfind(prefix, 0) != 0) continue;
    bool all = true;
    for (const auto& [n, want] : labels) {
      const std::string pair = n + "=\"" + want + "\"";
      if (k.find("{" + pair) == std::string::npos && k.find("," + pair) == std::string::npos) {
        all = false;
      }
    }
    if (all) total += v;
  }
  return total;
}

std::optional<std::string> http_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto reply = client.Get(path.c_str());
  if (!reply || reply->status != 200) return std::nullopt;
  return reply->body;
}

HttpReply http_fetch(int port, const std::string& path, const std::string& method) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  httplib::Result reply{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    reply = client.Get(path.c_str());
  } else if (method == "HEAD") {
    reply = client.Head(path.c_str());
  } else if (method == "POST") {
    reply = client.Post(path.c_str(), "{}", "application/json");
  } else if (method == "PUT") {
    reply = client.Put(path.c_str(), "{}", "application/json");
  } else if (method == "DELETE") {
    reply = client.Delete(path.c_str());
  }
  HttpReply out;
  if (!reply) return out;
  out.status = reply->status;
  out.body = reply->body;
  out.content_type = reply->get_header_value("Content-Type");
  out.allow = reply->get_header_value("Allow");
  return out;
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (const auto& dir : util::split(path, ':')) {
    std::error_code ec;
    const std::string candidate = dir + "/" + program;
    if (!dir.empty() && std::filesystem::exists(candidate, ec)) return candidate;
  }
  return "";
}

std::unique_ptr<PrometheusServer> PrometheusServer::start(const std::string& binary,
                                                          const std::string& dir,
                                                          const std::string& target,
                                                          std::string& error) {
  return start_with_config(binary, dir,
                           "global:\n"
                           "  scrape_interval: 1s\n"
                           "  scrape_timeout: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: ttg-worker\n"
                           "    static_configs:\n"
                           "      - targets: ['" +
                               target + "']\n",
                           error);
}

std::unique_ptr<PrometheusServer> PrometheusServer::start_with_config(const std::string& binary,
                                                                      const std::string& dir,
                                                                      const std::string& text,
                                                                      std::string& error) {
  auto port = redis::pick_free_port();
  if (!port) {
    error = port.error().message;
    return nullptr;
  }
  const std::string config = dir + "/prometheus.yml";
  {
    std::ofstream f(config);
    f << text;
    if (!f) {
      error = "cannot write " + config;
      return nullptr;
    }
  }
  std::unique_ptr<PrometheusServer> server(new PrometheusServer());
  server->port_ = *port;
  server->log_ = dir + "/prometheus.log";
  util::SpawnOptions options;
  options.stdout_path = server->log_;
  options.stderr_path = server->log_;
  auto process = util::Process::spawn(
      {binary, "--config.file=" + config, "--storage.tsdb.path=" + dir + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(*port), "--log.level=warn"},
      options);
  if (!process) {
    error = "cannot start " + binary + ": " + process.error();
    return nullptr;
  }
  server->process_ = std::move(*process);
  const bool ready = wait_until(
      [&] { return !server->process_.running() || http_get(*port, "/-/ready").has_value(); },
      std::chrono::seconds(60));
  if (!ready || !server->process_.running()) {
    error = "prometheus did not become ready on port " + std::to_string(*port);
    return nullptr;
  }
  return server;
}

PrometheusServer::~PrometheusServer() {
  if (process_.valid()) process_.stop(std::chrono::seconds(10));
}

PrometheusServer::Reply PrometheusServer::get(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& params) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(2);
  client.set_read_timeout(30);
  httplib::Params p;
  for (const auto& [k, v] : params) p.emplace(k, v);
  auto reply = client.Get(path.c_str(), p, httplib::Headers{});
  if (!reply) return {};
  return {reply->status, reply->body};
}

std::optional<double> PrometheusServer::query(const std::string& promql) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto reply = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!reply || reply->status != 200) return std::nullopt;
  auto j = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nullopt;
  const auto& result = j["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  const auto& value = result[0]["value"];
  if (!value.is_array() || value.size() != 2 || !value[1].is_string()) return std::nullopt;
  return util::parse_double(value[1].get<std::string>());
}

}  // namespace ttg::testing

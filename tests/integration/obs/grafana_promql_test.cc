// The Grafana dashboard (deploy/grafana/ttg-dashboard.json) and the alert
// rules (deploy/prometheus/ttg-rules.yml), proved against the real thing: a
// real Prometheus, with the rule file loaded, scrapes real workers and a real
// `ttg serve` during real jobs with a takeover, retries, dead letters, a
// straggler and, at the end, Redis gone. The test then checks Prometheus's
// values against the jobs' own counters, and evaluates every PromQL
// expression of the dashboard and of the rules through Prometheus's HTTP
// API. Offline, the dashboard must be importable and name only documented
// metrics. (promtool check rules and the alerts' unit tests on made-up
// series: tests/deploy/check-prometheus-rules.sh.)

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "queue/keys.h"
#include "redis/local_server.h"
#include "support/metrics.h"
#include "support/worker_fixture.h"
#include "util/strings.h"

namespace ttg {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::wait_until;

const std::string kDashboard = std::string(TTG_SOURCE_DIR) + "/deploy/grafana/ttg-dashboard.json";
const std::string kRules = std::string(TTG_SOURCE_DIR) + "/deploy/prometheus/ttg-rules.yml";

// ---- A PromQL scanner: as much of the language as naming metrics and
// splitting conditions need.

struct Token {
  enum Kind { kIdent, kNumber, kString, kBraces, kRange, kOpen, kClose, kComma, kOp } kind;
  std::string text;
  size_t begin = 0, end = 0;  // offsets in the scanned text
};

// The tokens of `e`; a label matcher list `{...}` and a range `[...]` are
// one token each. Empty with `error` set on what it cannot read.
std::vector<Token> tokenize(const std::string& e, std::string* error = nullptr) {
  std::vector<Token> out;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why + " at offset " + std::to_string(i) + " of: " + e;
    return std::vector<Token>{};
  };
  auto skip_string = [&](size_t at) -> size_t {  // index after the closing quote, or npos
    const char q = e[at];
    for (size_t j = at + 1; j < e.size(); ++j) {
      if (e[j] == '\\' && q != '`') {
        ++j;
      } else if (e[j] == q) {
        return j + 1;
      }
    }
    return std::string::npos;
  };
  while (i < e.size()) {
    const char c = e[i];
    const size_t start = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t{Token::kOp, "", start, start};
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(i);
      if (i == std::string::npos) return fail("unterminated string");
      t.kind = Token::kString;
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i;
      while (i < e.size() && e[i] != close) {
        if (e[i] == '"' || e[i] == '\'' || e[i] == '`') {
          i = skip_string(i);
          if (i == std::string::npos) return fail("unterminated string");
        } else {
          ++i;
        }
      }
      if (i >= e.size()) return fail(std::string("no closing ") + close);
      ++i;
      t.kind = c == '{' ? Token::kBraces : Token::kRange;
    } else if (c == '(' || c == ')' || c == ',') {
      ++i;
      t.kind = c == '(' ? Token::kOpen : c == ')' ? Token::kClose : Token::kComma;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      while (i < e.size() &&
             (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '_' || e[i] == ':')) {
        ++i;
      }
      t.kind = Token::kIdent;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      // Numbers, and the durations after `offset`.
      while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '.')) {
        ++i;
      }
      t.kind = Token::kNumber;
    } else {
      static const char* kTwo[] = {"==", "!=", ">=", "<=", "=~", "!~"};
      bool two = false;
      for (const char* op : kTwo) two = two || e.compare(i, 2, op) == 0;
      if (!two && std::string("+-*/%^<>").find(c) == std::string::npos) {
        return fail(std::string("unexpected '") + c + "'");
      }
      i += two ? 2 : 1;
    }
    t.end = i;
    t.text = e.substr(start, i - start);
    out.push_back(t);
  }
  return out;
}

bool is_one_of(const std::string& s, const std::set<std::string>& set) { return set.count(s) > 0; }

const std::set<std::string> kModifiers{"on",          "ignoring", "group_left",
                                       "group_right", "by",       "without"};
const std::set<std::string> kAggregations{"sum",   "min",     "max",          "avg",
                                          "group", "stddev",  "stdvar",       "count",
                                          "topk",  "bottomk", "count_values", "quantile"};

// The metric names `e` selects.
std::set<std::string> metric_names(const std::string& e) {
  std::set<std::string> names;
  auto t = tokenize(e);
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind != Token::kIdent) continue;
    const std::string& w = t[i].text;
    if (is_one_of(w, kModifiers)) {
      // The label list after by (...), on (...), group_left (...).
      if (i + 1 < t.size() && t[i + 1].kind == Token::kOpen) {
        while (i < t.size() && t[i].kind != Token::kClose) ++i;
      }
      continue;
    }
    const bool call = i + 1 < t.size() && t[i + 1].kind == Token::kOpen;
    if (call || is_one_of(w, kAggregations) ||
        is_one_of(w,
                  {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"})) {
      continue;
    }
    names.insert(w);
  }
  return names;
}

// The text after the operator modifiers that open `e` (bool, on (...),
// ignoring (...), group_left (...), group_right (...)).
std::string strip_modifiers(const std::string& e) {
  auto t = tokenize(e);
  size_t i = 0;
  while (i < t.size() && t[i].kind == Token::kIdent &&
         is_one_of(t[i].text, {"bool", "on", "ignoring", "group_left", "group_right"})) {
    ++i;
    if (i < t.size() && t[i].kind == Token::kOpen) {
      while (i < t.size() && t[i].kind != Token::kClose) ++i;
      ++i;
    }
  }
  return i < t.size() ? e.substr(t[i].begin) : "";
}

// The signals under a condition: `e` split at its top-level set operators
// (and, or, unless) and comparisons (==, !=, >, <, >=, <=), with outer
// parentheses, operator modifiers and number literals dropped. `a > 0 and
// on (x) (b == 1)` gives {a, b}. Each is a query that returns the series the
// condition filters, whether or not the condition holds now.
std::vector<std::string> signals(const std::string& expr) {
  const std::string e(util::trim(expr));
  auto t = tokenize(e);
  if (t.empty()) return {};
  if (t.size() == 1 && t[0].kind == Token::kNumber) return {};
  // Depth of each token, and whether one pair of parentheses wraps it all.
  std::vector<int> depth(t.size());
  int d = 0;
  bool wrapped = t.front().kind == Token::kOpen && t.back().kind == Token::kClose;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == Token::kClose) --d;
    depth[i] = d;
    if (t[i].kind == Token::kOpen) ++d;
    if (d == 0 && i + 1 < t.size()) wrapped = false;
  }
  if (wrapped) return signals(e.substr(t.front().end, t.back().begin - t.front().end));
  auto split_at = [&](const std::function<bool(const Token&)>& is_op) {
    std::vector<std::string> parts;
    size_t from = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      if (depth[i] == 0 && is_op(t[i])) {
        parts.push_back(e.substr(from, t[i].begin - from));
        from = t[i].end;
      }
    }
    if (!parts.empty()) parts.push_back(e.substr(from));
    return parts;
  };
  auto parts = split_at([](const Token& k) {
    return k.kind == Token::kIdent && is_one_of(k.text, {"and", "or", "unless"});
  });
  if (parts.empty()) {
    parts = split_at([](const Token& k) {
      return k.kind == Token::kOp && is_one_of(k.text, {"==", "!=", ">", "<", ">=", "<="});
    });
  }
  if (parts.empty()) return {e};
  std::vector<std::string> out;
  for (const auto& p : parts) {
    for (auto& s : signals(strip_modifiers(p))) out.push_back(std::move(s));
  }
  return out;
}

// ---- The files.

struct Expr {
  std::string where;  // "panel 'Title' target B"
  std::string promql;
};

json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f, nullptr, /*allow_exceptions=*/false);
}

void collect_panels(const json& panels, std::vector<const json*>& out) {
  if (!panels.is_array()) return;
  for (const auto& p : panels) {
    out.push_back(&p);
    if (p.contains("panels")) collect_panels(p["panels"], out);  // a collapsed row's
  }
}

std::vector<const json*> panels_of(const json& dashboard) {
  std::vector<const json*> out;  // pointers into `dashboard`, not into a copy
  if (dashboard.contains("panels")) collect_panels(dashboard["panels"], out);
  return out;
}

std::vector<Expr> dashboard_exprs(const json& dashboard) {
  std::vector<Expr> out;
  for (const json* p : panels_of(dashboard)) {
    for (const auto& t : p->value("targets", json::array())) {
      out.push_back({"panel '" + p->value("title", "") + "' target " + t.value("refId", "?"),
                     t.value("expr", "")});
    }
  }
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// `e` as Grafana sends it: the job variable's value (a regex: ".*" for All,
// "a|b" for several jobs), $__rate_interval as Grafana computes it for a
// 15 s scrape interval at most zoom levels.
std::string substitute(std::string e, const std::string& jobs) {
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"${__rate_interval}", "1m"},
                                                        {"$__rate_interval", "1m"},
                                                        {"${__interval}", "15s"},
                                                        {"$__interval", "15s"},
                                                        {"${ttg_job}", jobs},
                                                        {"$ttg_job", jobs}}) {
    replace_all(e, from, to);
  }
  return e;
}

// Metric names of the tables of docs/*.md: rows that start with "| `name`"
// (lower case: the alerts' table names alerts in CamelCase).
std::set<std::string> documented_metrics() {
  std::set<std::string> names;
  static const std::regex row(R"(^\| `([a-z_:][a-z0-9_:]*)`)");
  for (const auto& f : std::filesystem::directory_iterator(std::string(TTG_SOURCE_DIR) + "/docs")) {
    if (f.path().extension() != ".md") continue;
    std::ifstream in(f.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, row)) names.insert(m[1]);
    }
  }
  return names;
}

// `name` is in `known`, or is a histogram's series of a name in `known`.
bool known_metric(const std::string& name, const std::set<std::string>& known) {
  if (known.count(name) > 0) return true;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        known.count(name.substr(0, name.size() - suffix.size())) > 0) {
      return true;
    }
  }
  return false;
}

// ---- Offline.

TEST(GrafanaPromqlScanner, NamesMetricsAndSplitsConditions) {
  EXPECT_EQ(metric_names("histogram_quantile(0.9, sum by (ttg_job, le) "
                         "(rate(x_bucket{ttg_job=~\"a|b\"}[5m]))) / on (ttg_job) group_left () y"),
            (std::set<std::string>{"x_bucket", "y"}));
  EXPECT_EQ(metric_names("count((up == 0) and on (job, instance) max_over_time(z[1h]))"),
            (std::set<std::string>{"up", "z"}));
  EXPECT_EQ(signals("(a + b) > 0\nand on (j) (s{state=\"running\"} == 1)\n"
                    "and on (j) (changes(d[15m]) == 0)"),
            (std::vector<std::string>{"a + b", "s{state=\"running\"}", "changes(d[15m])"}));
  EXPECT_EQ(signals("o > on (j) group_left () 10 * histogram_quantile(0.99, sum by (j, le) "
                    "(rate(h[30m])))"),
            (std::vector<std::string>{"o",
                                      "10 * histogram_quantile(0.99, sum by (j, le) "
                                      "(rate(h[30m])))"}));
  EXPECT_EQ(signals("a / (b + c) > 0.05"), (std::vector<std::string>{"a / (b + c)"}));
  EXPECT_EQ(signals("x"), (std::vector<std::string>{"x"}));
  std::string error;
  EXPECT_TRUE(tokenize("a{b=\"c", &error).empty());
  EXPECT_NE(error.find("unterminated"), std::string::npos) << error;
}

TEST(GrafanaDashboard, IsImportableAndUsesOnlyDocumentedMetrics) {
  const json d = read_json(kDashboard);
  ASSERT_TRUE(d.is_object()) << kDashboard << " is not JSON";
  // Importable through the UI or provisioning by Grafana 9 and 10.
  EXPECT_TRUE(d["id"].is_null()) << "an exported id ties the JSON to one Grafana";
  EXPECT_EQ(d.value("uid", ""), "ttg-sweeps");
  EXPECT_FALSE(d.value("title", "").empty());
  EXPECT_GE(d.value("schemaVersion", 0), 37);
  EXPECT_LE(d.value("schemaVersion", 0), 39);

  // Variables: any Prometheus data source, and the jobs serve reports.
  std::map<std::string, json> vars;
  for (const auto& v : d["templating"]["list"]) vars[v.value("name", "")] = v;
  ASSERT_EQ(vars.count("datasource"), 1u);
  EXPECT_EQ(vars["datasource"]["type"], "datasource");
  EXPECT_EQ(vars["datasource"]["query"], "prometheus");
  ASSERT_EQ(vars.count("ttg_job"), 1u);
  const json& job = vars["ttg_job"];
  EXPECT_EQ(job["type"], "query");
  EXPECT_EQ(job["definition"], "label_values(ttg_job_chunks, ttg_job)");
  EXPECT_EQ(job["query"], "label_values(ttg_job_chunks, ttg_job)");
  EXPECT_EQ(job["includeAll"], true);
  EXPECT_EQ(job["allValue"], ".*");
  EXPECT_EQ(job["datasource"]["uid"], "${datasource}");

  std::set<std::string> known = documented_metrics();
  known.insert("up");  // Prometheus's own, per target
  std::set<int> ids;
  int targets = 0;
  for (const json* p : panels_of(d)) {
    const std::string title = p->value("title", "");
    EXPECT_TRUE(ids.insert(p->value("id", 0)).second) << "panel id repeated: " << title;
    const json& g = (*p)["gridPos"];
    EXPECT_GT(g.value("w", 0), 0) << title;
    EXPECT_LE(g.value("x", 0) + g.value("w", 0), 24) << title;
    if (p->value("type", "") == "row") continue;
    EXPECT_FALSE(title.empty());
    EXPECT_EQ((*p)["datasource"]["uid"], "${datasource}") << title;
    EXPECT_FALSE(p->value("targets", json::array()).empty()) << title;
    std::set<std::string> refs;
    for (const auto& t : p->value("targets", json::array())) {
      ++targets;
      const std::string where = title + " " + t.value("refId", "");
      EXPECT_TRUE(refs.insert(t.value("refId", "")).second) << "refId repeated: " << where;
      EXPECT_EQ(t["datasource"]["uid"], "${datasource}") << where;
      const std::string expr = t.value("expr", "");
      ASSERT_FALSE(expr.empty()) << where;
      std::string error;
      EXPECT_FALSE(tokenize(expr, &error).empty()) << where << ": " << error;
      // Only the variables the test substitutes, as Grafana would.
      EXPECT_EQ(substitute(expr, "x").find('$'), std::string::npos) << where << ": " << expr;
      const auto names = metric_names(expr);
      EXPECT_FALSE(names.empty()) << where << ": " << expr;
      for (const auto& n : names) {
        EXPECT_TRUE(known_metric(n, known))
            << where << ": " << n << " is in no metrics table of docs/*.md";
      }
    }
  }
  EXPECT_GE(targets, 30);
}

// ---- Live.

class GrafanaPromqlTest : public testing::WorkerProcessFixture {
 protected:
  int free_port() {
    auto port = redis::pick_free_port();
    EXPECT_TRUE(port) << port.error().message;
    return port ? *port : 0;
  }

  bool held_by(const std::string& job, const std::string& consumer) {
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return false;
    auto p = conn->command(
        {"XPENDING", queue::JobKeys(job).tasks, queue::kGroup, "-", "+", "10", consumer});
    return p && p->size() > 0;
  }

  bool complete(const std::string& job) {
    auto s = store_->status(job);
    return s && s->state == JobState::kComplete;
  }

  std::map<std::string, int64_t> results_by_worker(const std::string& job) {
    std::map<std::string, int64_t> out;
    auto st = store_->for_each_result(job, [&](const queue::ResultRecord& r) {
      auto it = r.fields.find("worker_id");
      ++out[it == r.fields.end() ? "" : it->second];
    });
    EXPECT_TRUE(st) << st.error().message;
    return out;
  }

  // The API's data, or null (with the reason in `error`).
  json api(const std::string& path, const std::vector<std::pair<std::string, std::string>>& params,
           std::string* error = nullptr) {
    auto r = prometheus_->get(path, params);
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (r.status == 200 && j.is_object() && j.value("status", "") == "success") return j["data"];
    if (error != nullptr) {
      *error = "HTTP " + std::to_string(r.status) + ": " +
               (j.is_object() ? j.value("error", r.body) : r.body);
    }
    return nullptr;
  }

  // `promql`'s instant value (its one series), or nullopt.
  std::optional<double> value(const std::string& promql) { return prometheus_->query(promql); }

  // Waits until `promql` is `want` in Prometheus; false (and the last value
  // in the failure) when it never is.
  bool becomes(const std::string& promql, double want) {
    std::optional<double> seen;
    const bool ok = wait_until([&] { return (seen = value(promql)) == want; }, milliseconds(30000));
    EXPECT_TRUE(ok) << promql << " is " << (seen ? std::to_string(*seen) : "absent")
                    << ", the job's record says " << want;
    return ok;
  }

  // The active (pending or firing) alerts named `name` with `label`=`v`.
  bool alert_active(const std::string& name, const std::string& label, const std::string& v) {
    json data = api("/api/v1/alerts", {});
    if (data.is_null()) return false;
    for (const auto& a : data["alerts"]) {
      const json& l = a["labels"];
      if (l.value("alertname", "") == name && (label.empty() || l.value(label, "") == v)) {
        return true;
      }
    }
    return false;
  }

  void expect_alert(const std::string& name, const std::string& label = "",
                    const std::string& v = "") {
    EXPECT_TRUE(wait_until([&] { return alert_active(name, label, v); }, milliseconds(60000)))
        << "alert " << name << " {" << label << "=" << v
        << "} never became pending or firing: " << api("/api/v1/alerts", {}).dump();
  }

  // Evaluates `promql` over the test's whole run, one point a second, as
  // Grafana's panels do; "" when it parsed and returned at least one series
  // with at least one finite value, else what was wrong.
  std::string evaluate(const std::string& promql) {
    std::string error;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    json data = api("/api/v1/query_range",
                    {{"query", promql},
                     {"start", std::to_string(started_)},
                     {"end", std::to_string(now)},
                     {"step", "1"}},
                    &error);
    if (data.is_null()) return "refused: " + error;
    const json& result = data["result"];
    if (!result.is_array() || result.empty()) return "no series";
    for (const auto& series : result) {
      for (const auto& point : series["values"]) {
        auto v = util::parse_double(point[1].get<std::string>());
        if (v && std::isfinite(*v)) return "";
      }
    }
    return "only NaN or infinite values in " + std::to_string(result.size()) + " series";
  }

  // evaluate(), tried again until it passes or `deadline_` passes: the
  // newest samples (Redis's errors, just after it went away) reach the
  // 1-second grid of a range query a moment after an alert has seen them.
  std::string settled(const std::string& promql) {
    std::string verdict;
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline_ - std::chrono::steady_clock::now());
    wait_until([&] { return (verdict = evaluate(promql)).empty(); },
               std::max(left, milliseconds(0)));
    return verdict;
  }

  std::unique_ptr<testing::PrometheusServer> prometheus_;
  std::chrono::steady_clock::time_point deadline_;
  double started_ = 0;
};

TEST_F(GrafanaPromqlTest, EveryExpressionOfTheDashboardAndTheRulesWorksOnRealTargets) {
  const std::string binary = testing::find_on_path("prometheus");
  if (binary.empty()) GTEST_SKIP() << "prometheus is not installed (Debian package prometheus)";
  // `ttg serve` is part of the subject: without it, this fails.
  auto help = testing::run_ttg({"serve", "--help"});
  ASSERT_EQ(help.exit_code, 0) << "ttg serve is missing: " << help.err;
  const json dashboard = read_json(kDashboard);
  ASSERT_TRUE(dashboard.is_object()) << kDashboard;
  started_ =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
      1;

  // ttg serve, three worker endpoints (a is killed, b does the work), and
  // a Prometheus scraping them every second with TTG's rules loaded.
  const int serve_port = free_port(), port_a = free_port(), port_b = free_port();
  logs_.push_back(dir_->path() + "/serve.log");
  workers_.push_back(
      testing::start_ttg({"serve", "--redis", server_->url(), "--bind", "127.0.0.1", "--port",
                          std::to_string(serve_port), "--refresh-ms", "500"},
                         logs_.back()));
  auto target = [](int port) { return "'127.0.0.1:" + std::to_string(port) + "'"; };
  std::string error;
  prometheus_ =
      testing::PrometheusServer::start_with_config(binary, dir_->path(),
                                                   "global:\n"
                                                   "  scrape_interval: 1s\n"
                                                   "  scrape_timeout: 1s\n"
                                                   "  evaluation_interval: 1s\n"
                                                   "rule_files:\n"
                                                   "  - " +
                                                       kRules +
                                                       "\n"
                                                       "scrape_configs:\n"
                                                       "  - job_name: ttg-worker\n"
                                                       "    static_configs:\n"
                                                       "      - targets: [" +
                                                       target(port_a) + ", " + target(port_b) +
                                                       "]\n"
                                                       "  - job_name: ttg-serve\n"
                                                       "    static_configs:\n"
                                                       "      - targets: [" +
                                                       target(serve_port) + "]\n",
                                                   error);
  ASSERT_NE(prometheus_, nullptr) << error;
  logs_.push_back(prometheus_->log());
  ASSERT_TRUE(
      wait_until([&] { return value("up{job=\"ttg-serve\"}") == 1.0; }, milliseconds(30000)))
      << "prometheus never scraped ttg serve";

  // Job gj: 60 chunks of 200 ms; 4 fail on each of their 2 attempts (4
  // retries, 4 dead letters: 6.7 % of the chunks, over the alert's 5 %).
  // Worker a is scraped, then killed holding a chunk, which b takes over.
  JobSpec gj;
  gj.kernel = "faulty";
  gj.total_params = 60;
  gj.chunk_size = 1;
  gj.args = {{"work_ms", 200}, {"fail_chunks", "45,50,55,59"}};
  gj.max_attempts = 2;
  const std::string instance_a = "127.0.0.1:" + std::to_string(port_a);
  size_t a = start_worker("a", {"--job", "gj", "--threads", "1", "--lease-ms", "1000",
                                "--idle-timeout", "0", "--metrics-port", std::to_string(port_a)});
  ASSERT_TRUE(wait_until([&] { return value("up{instance=\"" + instance_a + "\"}") == 1.0; },
                         milliseconds(30000)));
  ASSERT_TRUE(store_->submit("gj", gj, {}));
  ASSERT_TRUE(wait_until([&] { return held_by("gj", "a"); }));
  workers_[a].signal(SIGKILL);
  ASSERT_TRUE(workers_[a].wait_for(milliseconds(30000)).has_value());
  start_worker("b", {"--threads", "2", "--lease-ms", "1000", "--reclaim-interval-ms", "200",
                     "--idle-timeout", "0", "--metrics-port", std::to_string(port_b)});
  ASSERT_TRUE(wait_until([&] { return complete("gj"); }, milliseconds(90000)));

  // Prometheus's values against the job's record.
  auto status = store_->status("gj");
  ASSERT_TRUE(status) << status.error().message;
  auto by_worker = results_by_worker("gj");
  ASSERT_EQ(by_worker["a"] + by_worker["b"], 56) << "a result from a third worker?";
  ASSERT_GE(status->takeovers, 1);
  EXPECT_EQ(status->done, 56);
  EXPECT_EQ(status->dead, 4);
  EXPECT_EQ(status->retries, 4);
  const std::string j = "{ttg_job=\"gj\"}";
  becomes("ttg_chunks_committed_total{ttg_job=\"gj\",worker=\"b\"}",
          static_cast<double>(by_worker["b"]));
  // b took over a's chunk and dead-lettered and retried every failing one.
  becomes("sum(ttg_chunks_taken_over_total" + j + ")", static_cast<double>(status->takeovers));
  becomes("sum(ttg_chunks_dead_lettered_total" + j + ")", static_cast<double>(status->dead));
  becomes("sum(ttg_chunks_retried_total" + j + ")", static_cast<double>(status->retries));
  becomes("sum(ttg_chunks_failed_total" + j + ")", 8);
  // ttg serve's view: the job's own counters.
  becomes("ttg_job_chunks" + j, 60);
  becomes("ttg_job_chunks_done" + j, static_cast<double>(status->done));
  becomes("ttg_job_chunks_dead" + j, static_cast<double>(status->dead));
  becomes("ttg_job_chunks_pending" + j, 0);
  becomes("ttg_job_chunks_in_flight" + j, 0);
  becomes("ttg_job_takeovers_total" + j, static_cast<double>(status->takeovers));
  becomes("ttg_job_retries_total" + j, static_cast<double>(status->retries));
  becomes("ttg_job_duplicates_total" + j, static_cast<double>(status->duplicates));
  becomes("ttg_job_chunks_retried_total" + j, 0);
  becomes("ttg_job_state{ttg_job=\"gj\",state=\"complete\"}", 1);
  // Seen while it ran.
  EXPECT_GE(value("max_over_time(ttg_job_chunks_in_flight" + j + "[5m])").value_or(0), 1);
  EXPECT_GE(value("max_over_time(ttg_job_rate_chunks_per_second" + j + "[5m])").value_or(0), 1);

  // Job st: 30 chunks of 100 ms, and chunk 0 hangs: a straggler, and a job
  // left running (29 of 30 done, 1 in flight). The others take 3 s on one
  // slot: several scrapes see the compute histogram grow, which rate() and
  // so the straggler's threshold need (a counter first scraped at its final
  // value has no rate).
  JobSpec st;
  st.kernel = "faulty";
  st.total_params = 30;
  st.chunk_size = 1;
  st.args = {{"work_ms", 100}, {"hang_chunks", "0"}};
  st.max_attempts = 2;
  ASSERT_TRUE(store_->submit("st", st, {}));
  becomes("ttg_job_chunks_done{ttg_job=\"st\"}", 29);
  becomes("ttg_job_state{ttg_job=\"st\",state=\"running\"}", 1);

  // The alerts the run should set off (pending: their `for:` has not
  // passed; firing after). TTGJobStalled, TTGNoWorkers, TTGRedisReconnects
  // and TTGServeDown need minutes or events this run has not; their
  // expressions are evaluated below, and ttg-rules.test.yml fires them.
  expect_alert("TTGWorkerDown", "instance", instance_a);
  expect_alert("TTGDeadLetterRateHigh", "ttg_job", "gj");
  expect_alert("TTGJobHasDeadChunks", "ttg_job", "gj");
  expect_alert("TTGStraggler", "ttg_job", "st");

  // Redis goes away: ttg serve says so, the workers count errors.
  server_->kill();
  expect_alert("TTGRedisUnreachable");
  expect_alert("TTGRedisErrors", "worker", "b");

  // Every metric name of the dashboard and the rules is one the targets
  // served (Prometheus's list of the names it stored).
  json names = api("/api/v1/label/__name__/values", {});
  ASSERT_TRUE(names.is_array());
  std::set<std::string> served;
  for (const auto& n : names) served.insert(n.get<std::string>());
  json rules = api("/api/v1/rules", {});
  ASSERT_FALSE(rules.is_null());
  std::vector<Expr> rule_exprs;
  for (const auto& g : rules["groups"]) {
    for (const auto& r : g["rules"]) {
      rule_exprs.push_back({"rule " + r.value("name", ""), r.value("query", "")});
      // Evaluated every second since the start, without an error.
      EXPECT_EQ(r.value("health", ""), "ok") << r.dump();
      EXPECT_EQ(r.value("lastError", ""), "") << r.dump();
    }
  }
  EXPECT_EQ(rule_exprs.size(), 10u) << "rules loaded: " << rules.dump();
  const auto panel_exprs = dashboard_exprs(dashboard);
  ASSERT_FALSE(panel_exprs.empty());
  for (const auto* list :
       std::initializer_list<const std::vector<Expr>*>{&panel_exprs, &rule_exprs}) {
    for (const auto& x : *list) {
      for (const auto& n : metric_names(x.promql)) {
        EXPECT_TRUE(served.count(n) > 0) << x.where << ": no target served " << n;
      }
    }
  }

  // The job variable's query, label_values(ttg_job_chunks, ttg_job).
  json jobs = api("/api/v1/label/ttg_job/values", {{"match[]", "ttg_job_chunks"}});
  EXPECT_EQ(jobs, json::array({"gj", "st"}));

  // Every panel's query, for All jobs and for one, returned series with
  // numbers during the run (waiting 30 s at most, in all, for the last
  // samples).
  deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& x : panel_exprs) {
    for (const std::string selection : {".*", "gj"}) {
      const std::string q = substitute(x.promql, selection);
      EXPECT_EQ(settled(q), "") << x.where << " with ttg_job=" << selection << ":\n" << q;
    }
  }
  // Every rule: an alert's expression is a condition, empty while it does
  // not hold, so an empty result would prove nothing. The whole expression
  // must parse (the rules API's health above, and an instant query here);
  // each signal it compares (split at and/or/unless and at comparisons,
  // number literals dropped) must return series with numbers during the
  // run, as the panels must.
  for (const auto& x : rule_exprs) {
    std::string refused;
    EXPECT_FALSE(api("/api/v1/query", {{"query", x.promql}}, &refused).is_null())
        << x.where << ": " << refused;
    const auto parts = signals(x.promql);
    EXPECT_FALSE(parts.empty()) << x.where;
    for (const auto& s : parts) EXPECT_EQ(settled(s), "") << x.where << ": " << s;
  }
}

}  // namespace
}  // namespace ttg

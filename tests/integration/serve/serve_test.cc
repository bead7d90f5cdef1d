// `ttg serve` against real `ttg worker` processes on a real redis-server:
// the JSON API during and after a job, /metrics checked against the job's
// own counters (ttg status) after a takeover, retries, a dead letter and
// `ttg retry`, `promtool check metrics` on its text, the straggler age of a
// killed worker's chunk, read-only routes, /healthz across a Redis restart,
// and an address that cannot be served (exit 2).

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "queue/codec.h"
#include "queue/keys.h"
#include "support/metrics.h"
#include "support/worker_fixture.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::Exposition;
using testing::wait_until;

JobSpec spec_of(const std::string& kernel, int64_t params, json args, int max_attempts = 3) {
  JobSpec s;
  s.kernel = kernel;
  s.total_params = params;
  s.chunk_size = 1;
  s.args = std::move(args);
  s.max_attempts = max_attempts;
  return s;
}

int exit_code(util::Process& p, milliseconds timeout = milliseconds(30000)) {
  auto st = p.wait_for(timeout);
  if (!st) return -100;
  return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
}

// The port in "serving http://ADDR:PORT/" of `text`, or 0.
int served_port(const std::string& text) {
  static const std::regex re(R"(serving http://[0-9.]+:([0-9]+)/)");
  std::smatch m;
  return std::regex_search(text, m, re) ? std::stoi(m[1]) : 0;
}

class ServeTest : public testing::WorkerProcessFixture {
 protected:
  void TearDown() override {
    if (serve_.valid() && serve_.running()) {
      serve_.signal(SIGTERM);
      EXPECT_EQ(exit_code(serve_), 0) << "ttg serve did not stop cleanly on SIGTERM";
    }
    WorkerProcessFixture::TearDown();
  }

  // Starts `ttg serve` on a free port (--port 0), refreshing every 200 ms,
  // and returns the port it prints.
  int start_serve(const std::vector<std::string>& extra = {}) {
    const std::string log = dir_->path() + "/serve.log";
    logs_.push_back(log);
    std::vector<std::string> args{"serve", "--redis",      server_->url(), "--port",
                                  "0",     "--refresh-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = testing::start_ttg(args, log);
    int port = 0;
    EXPECT_TRUE(wait_until([&] { return (port = served_port(testing::read_file(log))) > 0; },
                           milliseconds(20000)))
        << "ttg serve never said where it serves";
    return port;
  }

  // The JSON at `path`, or a null json when it does not answer 200.
  static json get_json(int port, const std::string& path) {
    auto r = testing::http_fetch(port, path);
    if (r.status != 200) return json();
    return json::parse(r.body, nullptr, false);
  }

  static std::optional<json> job_in(const json& jobs, const std::string& name) {
    if (!jobs.is_object() || !jobs["jobs"].is_array()) return std::nullopt;
    for (const auto& j : jobs["jobs"]) {
      if (j["name"] == name) return j;
    }
    return std::nullopt;
  }

  bool complete(const std::string& job) {
    auto s = store_->status(job);
    return s && s->state == JobState::kComplete;
  }

  bool held_by(const std::string& job, const std::string& consumer) {
    auto in_flight = store_->in_flight_chunks(job, 1000, 10, consumer);
    return in_flight && !in_flight->empty();
  }

  util::Process serve_;
};

TEST_F(ServeTest, ApiShowsAJobWhileItRunsAndAfterItIsDone) {
  const int64_t chunks = 40;
  ASSERT_TRUE(store_->submit("api", spec_of("simulate", chunks, {{"work_ms", 150}}), {}));
  const int port = start_serve();
  ASSERT_GT(port, 0);
  start_worker("w1", {"--job", "api", "--threads", "2"});
  start_worker("w2", {"--job", "api", "--threads", "2"});

  // While it runs: chunks in flight whose age comes from their claim, the
  // workers with what they hold, a rate.
  json detail;
  ASSERT_TRUE(wait_until(
      [&] {
        detail = get_json(port, "/api/jobs/api");
        if (!detail.is_object() || detail["state"] != "running") return false;
        bool claimed = false;
        for (const auto& c : detail["in_flight"]) claimed |= c["age_from"] == "claim";
        int holding = 0;
        for (const auto& w : detail["workers"]) holding += !w["chunks"].empty();
        return claimed && holding == 2 && detail["rate"].get<double>() > 0 &&
               detail["done"].get<int64_t>() > 0;
      },
      milliseconds(30000)))
      << detail.dump(2);
  EXPECT_EQ(detail["total"], chunks);
  EXPECT_EQ(detail["kernel"], "simulate");
  EXPECT_EQ(detail["spec"]["kernel"], "simulate");
  EXPECT_TRUE(detail["eta_s"].is_number()) << detail.dump(2);
  EXPECT_GE(detail["oldest_in_flight_s"].get<double>(), 0);
  for (const auto& w : detail["workers"]) {
    EXPECT_TRUE(w["name"] == "w1" || w["name"] == "w2") << w.dump();
    EXPECT_EQ(w["slots"], 2);
    EXPECT_EQ(w["state"], "running");
    EXPECT_EQ(w["job"], "api");
    EXPECT_LE(w["chunks"].size(), 2u);
    EXPECT_LT(w["heartbeat_age_s"].get<double>(), 2.0);
    for (const auto& c : w["chunks"]) {
      EXPECT_EQ(c["job"], "api");
      EXPECT_GE(c["age_s"].get<double>(), 0);
    }
  }
  json all = get_json(port, "/api/jobs");
  ASSERT_TRUE(all.is_object());
  EXPECT_EQ(all["redis_up"], true);
  EXPECT_GT(all["redis_time_ms"].get<int64_t>(), 0);
  auto listed = job_in(all, "api");
  ASSERT_TRUE(listed) << all.dump(2);
  EXPECT_EQ((*listed)["total"], chunks);
  EXPECT_GE(all["totals"]["backlog"].get<int64_t>(), 0);

  // After: everything done, nothing in flight, the ETA 0; the same numbers
  // as the job's own status.
  ASSERT_TRUE(wait_until([&] { return complete("api"); }, milliseconds(60000)));
  auto status = store_->status("api");
  ASSERT_TRUE(status);
  ASSERT_TRUE(wait_until(
      [&] {
        detail = get_json(port, "/api/jobs/api");
        return detail.is_object() && detail["state"] == "complete";
      },
      milliseconds(10000)));
  EXPECT_EQ(detail["done"], status->done);
  EXPECT_EQ(detail["done"], chunks);
  EXPECT_EQ(detail["dead_count"], 0);
  EXPECT_TRUE(detail["dead"].empty());
  EXPECT_EQ(detail["pending"], 0);
  EXPECT_EQ(detail["in_flight_count"], 0);
  EXPECT_TRUE(detail["in_flight"].empty());
  EXPECT_EQ(detail["eta_s"], 0.0);
  EXPECT_EQ(detail["oldest_in_flight_s"], 0.0);
  EXPECT_EQ(detail["lag"], 0);
  EXPECT_EQ(detail["created_ms"], status->created_ms);
  EXPECT_EQ(detail["finished_ms"], status->finished_ms);
  EXPECT_FALSE(detail["rates"].empty());
  for (const auto& p : detail["rates"]) {
    ASSERT_EQ(p.size(), 2u);
    EXPECT_GE(p[1].get<double>(), 0);
  }
}

TEST_F(ServeTest, MetricsMatchTheJobAfterATakeoverRetriesADeadLetterAndARetry) {
  // 30 chunks; the last fails every attempt (2 retries, then dead). Worker
  // a is killed holding a chunk, which b takes over.
  const int64_t chunks = 30;
  auto spec =
      spec_of("faulty", chunks, {{"work_ms", 100}, {"fail_chunks", std::to_string(chunks - 1)}}, 3);
  ASSERT_TRUE(store_->submit("mj", spec, {}));
  const int port = start_serve();
  ASSERT_GT(port, 0);
  size_t a = start_worker("a", {"--job", "mj", "--threads", "1", "--lease-ms", "1000"});
  ASSERT_TRUE(wait_until([&] { return held_by("mj", "a"); }));
  workers_[a].signal(SIGKILL);
  ASSERT_EQ(exit_code(workers_[a]), -SIGKILL);
  size_t b = start_worker("b", {"--threads", "2", "--lease-ms", "1000", "--reclaim-interval-ms",
                                "200", "--idle-timeout", "0"});
  ASSERT_TRUE(wait_until([&] { return complete("mj"); }, milliseconds(60000)));

  // The dead chunk once more (it fails again: dead again, retried 1).
  auto retried = store_->retry("mj", std::nullopt);
  ASSERT_TRUE(retried) << retried.error().message;
  ASSERT_EQ(retried->retried.size(), 1u);
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = store_->status("mj");
        return s && s->state == JobState::kComplete && s->dead == 1 && s->retried == 1;
      },
      milliseconds(60000)));
  auto status = store_->status("mj");
  ASSERT_TRUE(status);
  ASSERT_GE(status->takeovers, 1);
  ASSERT_EQ(status->retries, 4);  // two per life of the dead chunk

  const testing::Labels job{{"ttg_job", "mj"}};
  Exposition e;
  ASSERT_TRUE(wait_until([&] {
    auto text = testing::http_get(port, "/metrics");
    if (!text) return false;
    e = Exposition::parse(*text);
    return e.value("ttg_job_chunks_retried_total", job) == 1.0 &&
           e.value("ttg_job_state", {{"ttg_job", "mj"}, {"state", "complete"}}) == 1.0 &&
           e.value("ttg_job_retries_total", job) == static_cast<double>(status->retries);
  })) << "metrics never caught up with the job";
  EXPECT_EQ(e.errors, "");
  struct Case {
    std::string name;
    testing::Labels labels;
    double want;
  } cases[] = {
      {"ttg_job_chunks", job, static_cast<double>(status->total_chunks)},
      {"ttg_job_chunks_done", job, static_cast<double>(status->done)},
      {"ttg_job_chunks_done", job, static_cast<double>(chunks - 1)},
      {"ttg_job_chunks_dead", job, static_cast<double>(status->dead)},
      {"ttg_job_chunks_in_flight", job, 0},
      {"ttg_job_chunks_pending", job, 0},
      {"ttg_job_lag", job, 0},
      {"ttg_job_eta_seconds", job, 0},
      {"ttg_job_oldest_in_flight_seconds", job, 0},
      {"ttg_job_workers", job, 0},
      {"ttg_job_takeovers_total", job, static_cast<double>(status->takeovers)},
      {"ttg_job_speculated_total", job, static_cast<double>(status->speculated)},
      {"ttg_job_speculative_wins_total", job, static_cast<double>(status->speculative_wins)},
      {"ttg_job_duplicates_total", job, static_cast<double>(status->duplicates)},
      {"ttg_job_retries_total", job, static_cast<double>(status->retries)},
      {"ttg_job_chunks_retried_total", job, static_cast<double>(status->retried)},
      {"ttg_job_created_timestamp_seconds", job, static_cast<double>(status->created_ms) / 1000},
      {"ttg_job_state", {{"ttg_job", "mj"}, {"state", "running"}}, 0},
      {"ttg_backlog_chunks", {}, 0},
      {"ttg_redis_up", {}, 1},
      {"ttg_serve_build_info", {{"version", TTG_VERSION}}, 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(e.value(c.name, c.labels).value_or(-1), c.want) << Exposition::key(c.name, c.labels);
  }
  // b is registered and beating; a's entry was removed when it was found gone.
  EXPECT_TRUE(wait_until([&] {
    e = Exposition::parse(testing::http_get(port, "/metrics").value_or(""));
    return e.value("ttg_workers_registered", {}) == 1.0 && e.value("ttg_workers_alive", {}) == 1.0;
  })) << "workers: "
      << e.value("ttg_workers_registered", {}).value_or(-1);

  // The job's page lists the dead letter and the events that led to it.
  json detail = get_json(port, "/api/jobs/mj");
  ASSERT_TRUE(detail.is_object());
  ASSERT_EQ(detail["dead"].size(), 1u) << detail["dead"].dump(2);
  EXPECT_EQ(detail["dead"][0]["chunk"], chunks - 1);
  EXPECT_EQ(detail["dead"][0]["reason"], "max_attempts");
  EXPECT_EQ(detail["dead"][0]["attempts"], 3);
  EXPECT_EQ(detail["dead"][0]["worker"], "b");
  std::set<std::string> types;
  for (const auto& ev : detail["events"]) {
    types.insert(ev["type"].get<std::string>());
    EXPECT_GT(ev["at_ms"].get<int64_t>(), 0);
  }
  for (const char* t : {"takeover", "retry", "dead", "retried"}) {
    EXPECT_EQ(types.count(t), 1u) << "no " << t << " event in " << detail["events"].dump(2);
  }
  EXPECT_EQ(detail["takeovers"], status->takeovers);
  EXPECT_EQ(detail["retries"], status->retries);

  workers_[b].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[b]), 0);
}

TEST_F(ServeTest, MetricsPassPromtool) {
  const std::string promtool = testing::find_on_path("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  ASSERT_TRUE(store_->submit("p1", spec_of("faulty", 6, {{"fail_chunks", "2"}}, 2), {}));
  ASSERT_TRUE(store_->submit("p2", spec_of("simulate", 400, {{"work_ms", 1000}}), {}));
  const int port = start_serve();
  start_worker("w", {"--job", "p1"});
  size_t slow = start_worker("s", {"--job", "p2", "--threads", "1"});
  ASSERT_TRUE(
      wait_until([&] { return complete("p1") && held_by("p2", "s"); }, milliseconds(30000)));
  // Both jobs and an ETA shown: a complete job and a running one.
  std::optional<std::string> text;
  ASSERT_TRUE(wait_until([&] {
    text = testing::http_get(port, "/metrics");
    if (!text) return false;
    auto e = Exposition::parse(*text);
    return e.value("ttg_job_state", {{"ttg_job", "p1"}, {"state", "complete"}}) == 1.0 &&
           e.value("ttg_job_chunks_in_flight", {{"ttg_job", "p2"}}) == 1.0;
  }));
  const std::string path = dir_->path() + "/metrics.txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fwrite(text->data(), 1, text->size(), f);
    std::fclose(f);
  }
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(in, 0);
  util::SpawnOptions options;
  options.stdin_fd = in;
  options.stdout_path = dir_->path() + "/promtool.out";
  options.stderr_path = dir_->path() + "/promtool.out";
  auto check = util::Process::spawn({promtool, "check", "metrics"}, options);
  ::close(in);
  ASSERT_TRUE(check) << check.error();
  auto st = check->wait_for(milliseconds(30000));
  ASSERT_TRUE(st.has_value()) << "promtool did not finish";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
      << util::describe_wait_status(*st) << "\n"
      << testing::read_file(dir_->path() + "/promtool.out") << "\n"
      << *text;
  workers_[slow].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[slow]), 0);
}

TEST_F(ServeTest, AKilledWorkersChunkAgesByItsIdleTime) {
  // A long lease and no other worker: nobody takes the chunk over, and no
  // live worker reports it. Its age is then the pending list's idle time.
  ASSERT_TRUE(store_->submit("k", spec_of("simulate", 5, {{"work_ms", 60000}}), {}));
  const int port = start_serve();
  size_t a = start_worker("a", {"--job", "k", "--threads", "1", "--lease-ms", "600000"});
  json detail;
  ASSERT_TRUE(wait_until([&] {
    detail = get_json(port, "/api/jobs/k");
    return detail.is_object() && detail["in_flight"].size() == 1 &&
           detail["in_flight"][0]["age_from"] == "claim";
  })) << detail.dump(2);
  EXPECT_EQ(detail["in_flight"][0]["consumer"], "a");
  workers_[a].signal(SIGKILL);
  ASSERT_EQ(exit_code(workers_[a]), -SIGKILL);
  ASSERT_TRUE(wait_until(
      [&] {
        detail = get_json(port, "/api/jobs/k");
        return detail.is_object() && detail["in_flight"].size() == 1 &&
               detail["in_flight"][0]["age_from"] == "idle" &&
               detail["in_flight"][0]["age_s"].get<double>() >= 2.0;
      },
      milliseconds(20000)))
      << detail.dump(2);
  EXPECT_GE(detail["oldest_in_flight_s"].get<double>(), 2.0);
  json all = get_json(port, "/api/jobs");
  ASSERT_EQ(all["workers"].size(), 1u) << all.dump(2);
  EXPECT_EQ(all["workers"][0]["state"], "gone");
  auto e = Exposition::parse(testing::http_get(port, "/metrics").value_or(""));
  EXPECT_GE(e.value("ttg_job_oldest_in_flight_seconds", {{"ttg_job", "k"}}).value_or(-1), 2.0);
  EXPECT_EQ(e.value("ttg_workers_alive", {}), 0.0);
  EXPECT_EQ(e.value("ttg_job_workers", {{"ttg_job", "k"}}), 1.0);
}

TEST_F(ServeTest, RoutesAreReadOnlyAndUnknownOnesAre404) {
  ASSERT_TRUE(store_->submit("ro", spec_of("noop", 3, json::object()), {}));
  const int port = start_serve();
  ASSERT_TRUE(wait_until([&] { return get_json(port, "/api/jobs/ro").is_object(); }));
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    for (const char* path : {"/api/jobs", "/api/jobs/ro", "/metrics", "/"}) {
      auto r = testing::http_fetch(port, path, method);
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(r.allow, "GET, HEAD") << method << " " << path;
    }
  }
  auto missing = testing::http_fetch(port, "/api/jobs/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.content_type.find("application/json"), std::string::npos);
  auto error = json::parse(missing.body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << missing.body;
  EXPECT_NE(error["error"].get<std::string>().find("nope"), std::string::npos);
  EXPECT_EQ(testing::http_fetch(port, "/no/such/page").status, 404);
  EXPECT_EQ(testing::http_fetch(port, "/assets/no-such.js").status, 404);
  auto head = testing::http_fetch(port, "/api/jobs", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  auto page = testing::http_fetch(port, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("/assets/dashboard.js"), std::string::npos);
  for (const char* asset : {"dashboard.js", "chart.js", "ttg.css"}) {
    auto r = testing::http_fetch(port, std::string("/assets/") + asset);
    EXPECT_EQ(r.status, 200) << asset;
    EXPECT_FALSE(r.body.empty()) << asset;
  }
  auto metrics = testing::http_fetch(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("text/plain"), std::string::npos);
}

TEST_F(ServeTest, HealthzFollowsRedisDownAndBackUp) {
  ASSERT_TRUE(store_->submit("h", spec_of("noop", 3, json::object()), {}));
  const int port = start_serve();
  ASSERT_TRUE(wait_until([&] { return testing::http_fetch(port, "/healthz").status == 200; }));
  server_->stop();
  ASSERT_TRUE(wait_until([&] { return testing::http_fetch(port, "/healthz").status == 503; },
                         milliseconds(20000)));
  // The last snapshot stays, marked: the page and the metrics say so.
  json all = get_json(port, "/api/jobs");
  EXPECT_EQ(all["redis_up"], false);
  EXPECT_TRUE(all["error"].is_string()) << all.dump(2);
  EXPECT_TRUE(job_in(all, "h")) << all.dump(2);
  auto e = Exposition::parse(testing::http_get(port, "/metrics").value_or(""));
  EXPECT_EQ(e.value("ttg_redis_up", {}), 0.0);
  EXPECT_EQ(e.value("ttg_job_chunks", {{"ttg_job", "h"}}), 3.0);

  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_TRUE(wait_until([&] { return testing::http_fetch(port, "/healthz").status == 200; },
                         milliseconds(30000)));
  EXPECT_EQ(get_json(port, "/api/jobs")["redis_up"], true);
}

// A listening socket on 127.0.0.1, closed when it goes away.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::listen(fd_, 1) == 0 && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(ServeTest, AnAddressThatCannotBeServedExits2) {
  Listener taken;
  ASSERT_GT(taken.port(), 0);
  const std::string port = std::to_string(taken.port());
  struct Case {
    std::vector<std::string> flags;
    std::vector<std::string> want;  // substrings of stderr
  } cases[] = {
      {{"--port", port}, {"127.0.0.1:" + port, "in use"}},
      // TEST-NET-1: an address no host of the test's has.
      {{"--port", port, "--bind", "192.0.2.1"}, {"192.0.2.1:" + port, "not one of this host's"}},
      {{"--bind", "localhost"}, {"localhost:8080", "IPv4"}},
      {{"--port", "70000"}, {"--port"}},
      {{"--refresh-ms", "5"}, {"--refresh-ms"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"serve", "--redis", server_->url()};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = testing::run_ttg(args, {}, 30000);
    EXPECT_EQ(r.exit_code, 2) << c.flags.back() << "\n" << r.err;
    for (const auto& w : c.want) {
      EXPECT_NE(r.err.find(w), std::string::npos) << c.flags.back() << ": want '" << w << "' in\n"
                                                  << r.err;
    }
  }
}

TEST(ServeDemoTest, DemoWithTheWebMonitorPrintsAUrlThatAnswers) {
  if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
  auto dir = util::TempDir::create("ttg-serve-demo-");
  ASSERT_TRUE(dir) << dir.error();
  const std::string log = dir->path() + "/demo.log";
  // About 3 s of work on 2 workers; stdin is not a terminal, so the demo
  // ends after its verdict.
  util::Process demo = testing::start_ttg(
      {"demo", "--monitor", "web", "--web-port", "0", "--kernel", "simulate", "--params", "60",
       "--chunk-size", "1", "--work-ms", "100", "--workers", "2"},
      log);
  int port = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        static const std::regex re(R"(dashboard: http://127\.0\.0\.1:([0-9]+)/)");
        std::smatch m;
        const std::string text = testing::read_file(log);
        if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
        return port > 0;
      },
      milliseconds(20000)))
      << testing::read_file(log);
  json listed;
  EXPECT_TRUE(wait_until([&] {
    auto r = testing::http_fetch(port, "/api/jobs");
    if (r.status != 200) return false;
    listed = json::parse(r.body, nullptr, false);
    return listed.is_object() && listed["redis_up"] == true && listed["jobs"].size() == 1;
  })) << listed.dump(2)
      << "\n"
      << testing::read_file(log);
  EXPECT_EQ(testing::http_fetch(port, "/").status, 200);
  EXPECT_EQ(exit_code(demo, milliseconds(120000)), 0) << testing::read_file(log);
  // The dashboard ends with the demo.
  EXPECT_EQ(testing::http_fetch(port, "/healthz").status, 0);
}

}  // namespace
}  // namespace ttg

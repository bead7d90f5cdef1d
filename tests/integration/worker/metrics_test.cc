// The worker's Prometheus endpoint (`ttg worker --metrics-port`): real
// worker processes on a real redis-server, /metrics fetched over HTTP on
// loopback and checked against the job's own record (the results stream's
// worker_id, `ttg status`'s counters); the scraped text checked by
// `promtool check metrics`; a real Prometheus scraping a worker during a
// job, queried through its HTTP API. An address that cannot be served stops
// the worker at start-up with exit 2.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "queue/codec.h"
#include "queue/keys.h"
#include "redis/local_server.h"
#include "support/metrics.h"
#include "support/worker_fixture.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::Exposition;
using testing::Labels;
using testing::wait_until;

JobSpec spec_of(const std::string& kernel, int64_t params, nlohmann::json args, int max_attempts) {
  JobSpec s;
  s.kernel = kernel;
  s.total_params = params;
  s.chunk_size = 1;
  s.args = std::move(args);
  s.max_attempts = max_attempts;
  return s;
}

class WorkerMetricsTest : public testing::WorkerProcessFixture {
 protected:
  int free_port() {
    auto port = redis::pick_free_port();
    EXPECT_TRUE(port) << port.error().message;
    return port ? *port : 0;
  }

  // The exposition at `port`, once it answers (the worker is starting).
  Exposition scrape(int port) {
    std::optional<std::string> text;
    EXPECT_TRUE(wait_until([&] { return (text = testing::http_get(port)).has_value(); }))
        << "nothing serves http://127.0.0.1:" << port << "/metrics";
    Exposition e = Exposition::parse(text.value_or(""));
    EXPECT_EQ(e.errors, "");
    return e;
  }

  // Results of `job` per worker_id.
  std::map<std::string, int64_t> results_by_worker(const std::string& job) {
    std::map<std::string, int64_t> out;
    auto st = store_->for_each_result(job, [&](const queue::ResultRecord& r) {
      auto it = r.fields.find("worker_id");
      ++out[it == r.fields.end() ? "" : it->second];
    });
    EXPECT_TRUE(st) << st.error().message;
    return out;
  }

  bool complete(const std::string& job) {
    auto s = store_->status(job);
    return s && s->state == JobState::kComplete;
  }

  bool held_by(const std::string& job, const std::string& consumer) {
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return false;
    auto p = conn->command(
        {"XPENDING", queue::JobKeys(job).tasks, queue::kGroup, "-", "+", "10", consumer});
    return p && p->size() > 0;
  }

  int exit_code(util::Process& p, milliseconds timeout = milliseconds(30000)) {
    auto st = p.wait_for(timeout);
    if (!st) return -100;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
  }
};

TEST_F(WorkerMetricsTest, CountersMatchTheJobAfterATakeoverRetriesAndADeadLetter) {
  // 30 chunks; the last one fails on each of its 3 attempts (2 retries, then
  // dead-lettered). Worker a is killed holding a chunk, which b takes over.
  const int64_t chunks = 30;
  auto spec =
      spec_of("faulty", chunks, {{"work_ms", 100}, {"fail_chunks", std::to_string(chunks - 1)}}, 3);
  ASSERT_TRUE(store_->submit("mj", spec, {}));
  size_t a = start_worker("a", {"--job", "mj", "--threads", "1", "--lease-ms", "1000"});
  ASSERT_TRUE(wait_until([&] { return held_by("mj", "a"); }));
  workers_[a].signal(SIGKILL);
  ASSERT_EQ(exit_code(workers_[a]), -SIGKILL);

  // b serves every job and never idles out, so it is still there to be
  // scraped once the job is over.
  const int port = free_port();
  size_t b =
      start_worker("b", {"--threads", "2", "--lease-ms", "1000", "--reclaim-interval-ms", "200",
                         "--idle-timeout", "0", "--metrics-port", std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return complete("mj"); }, milliseconds(60000)));
  auto status = store_->status("mj");
  ASSERT_TRUE(status) << status.error().message;
  auto by_worker = results_by_worker("mj");
  const int64_t by_b = by_worker["b"];
  const int64_t by_a = by_worker["a"];
  ASSERT_EQ(by_a + by_b, chunks - 1) << "a result from a third worker?";
  ASSERT_GE(status->takeovers, 1);

  // b's counters follow its commits and its report of the last failure by
  // a moment.
  const Labels job{{"worker", "b"}, {"ttg_job", "mj"}};
  const Labels dead{{"worker", "b"}, {"ttg_job", "mj"}, {"reason", "attempts"}};
  Exposition e;
  EXPECT_TRUE(wait_until([&] {
    e = scrape(port);
    return e.value("ttg_chunks_committed_total", job) == static_cast<double>(by_b) &&
           e.value("ttg_chunks_dead_lettered_total", dead) == 1.0 &&
           e.value("ttg_chunks_in_flight", {{"worker", "b"}}) == 0.0;
  })) << "committed: "
      << e.value("ttg_chunks_committed_total", job).value_or(-1)
      << ", results written by b: " << by_b;

  struct Case {
    std::string name;
    Labels labels;
    double want;
  } cases[] = {
      {"ttg_chunks_taken_over_total", job, static_cast<double>(status->takeovers)},
      {"ttg_chunks_retried_total", job, static_cast<double>(status->retries)},
      {"ttg_chunks_retried_total", job, 2},
      {"ttg_chunks_failed_total", job, 3},
      {"ttg_chunks_dead_lettered_total", dead, static_cast<double>(status->dead)},
      {"ttg_chunks_dead_lettered_total",
       {{"worker", "b"}, {"ttg_job", "mj"}, {"reason", "malformed"}},
       0},
      {"ttg_chunks_duplicates_total", job, static_cast<double>(status->duplicates)},
      {"ttg_chunks_handed_back_total", job, 0},
      {"ttg_leases_lost_total", job, 0},
      // Every attempt b computed: its results and the failed attempts.
      {"ttg_chunk_compute_seconds_count", job, static_cast<double>(by_b + 3)},
      // First claims: every chunk but those a read from the stream (its
      // results, and the chunks taken from it).
      {"ttg_chunk_queue_wait_seconds_count", job,
       static_cast<double>(chunks - by_a - status->takeovers)},
      {"ttg_worker_slots", {{"worker", "b"}}, 2},
      {"ttg_worker_slots_busy", {{"worker", "b"}}, 0},
      {"ttg_chunks_in_flight", {{"worker", "b"}}, 0},
      {"ttg_redis_reconnects_total", {{"worker", "b"}}, 0},
      {"ttg_build_info", {{"worker", "b"}, {"version", TTG_VERSION}}, 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(e.value(c.name, c.labels).value_or(-1), c.want) << Exposition::key(c.name, c.labels);
  }
  EXPECT_EQ(status->dead, 1);
  EXPECT_GT(e.sum("ttg_lease_renewals_total", job), 0);
  EXPECT_GT(e.sum("ttg_lease_renewal_seconds_count"), 0);
  EXPECT_EQ(e.sum("ttg_redis_errors_total"), 0);
  // 100 ms per chunk: no attempt took less; queueing happened before b
  // started, so no chunk waited less than nothing.
  EXPECT_GE(e.value("ttg_chunk_compute_seconds_sum", job).value_or(-1), 0.1 * (by_b + 3));
  EXPECT_GE(e.value("ttg_chunk_queue_wait_seconds_sum", job).value_or(-1), 0);

  workers_[b].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[b]), 0);
}

TEST_F(WorkerMetricsTest, ScrapedTextPassesPromtool) {
  const std::string promtool = testing::find_on_path("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  auto spec = spec_of("faulty", 6, {{"work_ms", 20}, {"fail_chunks", "2"}}, 2);
  ASSERT_TRUE(store_->submit("pt", spec, {}));
  const int port = free_port();
  size_t w = start_worker("w", {"--idle-timeout", "0", "--metrics-port", std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return complete("pt"); }, milliseconds(30000)));
  std::optional<std::string> text;
  ASSERT_TRUE(wait_until([&] {
    text = testing::http_get(port);
    return text && Exposition::parse(*text).value(
                       "ttg_chunks_dead_lettered_total",
                       {{"worker", "w"}, {"ttg_job", "pt"}, {"reason", "attempts"}}) == 1;
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
  workers_[w].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[w]), 0);
}

TEST_F(WorkerMetricsTest, PrometheusScrapesAWorkerDuringAJob) {
  const std::string binary = testing::find_on_path("prometheus");
  if (binary.empty()) GTEST_SKIP() << "prometheus is not installed (Debian package prometheus)";
  // The port from the environment this time, as a Deployment gives it.
  const int port = free_port();
  size_t w = start_worker("w", {"--threads", "2", "--idle-timeout", "0"},
                          {"TTG_METRICS_PORT=" + std::to_string(port)});
  scrape(port);
  std::string error;
  auto prometheus = testing::PrometheusServer::start(binary, dir_->path(),
                                                     "127.0.0.1:" + std::to_string(port), error);
  ASSERT_NE(prometheus, nullptr) << error;
  logs_.push_back(prometheus->log());
  ASSERT_TRUE(wait_until([&] { return prometheus->query("up{job=\"ttg-worker\"}") == 1.0; },
                         milliseconds(30000)))
      << "prometheus never scraped the worker";

  // About 4 s of work on 2 slots: several scrapes land while it runs.
  auto spec = spec_of("simulate", 80, {{"work_ms", 100}}, 3);
  ASSERT_TRUE(store_->submit("pj", spec, {}));
  ASSERT_TRUE(wait_until([&] { return complete("pj"); }, milliseconds(60000)));
  const double committed = static_cast<double>(results_by_worker("pj")["w"]);
  EXPECT_EQ(committed, 80);
  std::optional<double> seen;
  EXPECT_TRUE(wait_until(
      [&] {
        seen = prometheus->query("ttg_chunks_committed_total{ttg_job=\"pj\",worker=\"w\"}");
        return seen == committed;
      },
      milliseconds(30000)))
      << "prometheus has " << seen.value_or(-1) << ", the job has " << committed;
  // Scraped while the job ran: chunks were in flight in some scrape.
  EXPECT_GE(prometheus->query("max_over_time(ttg_chunks_in_flight{worker=\"w\"}[5m])").value_or(0),
            1);
  EXPECT_EQ(prometheus->query("ttg_build_info{worker=\"w\"}"), 1.0);
  workers_[w].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[w]), 0);
}

// A listening socket on 127.0.0.1:`port`, closed when it goes away.
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

TEST_F(WorkerMetricsTest, AnAddressThatCannotBeServedStopsTheWorkerAtStartUp) {
  Listener taken;
  ASSERT_GT(taken.port(), 0);
  const std::string port = std::to_string(taken.port());
  struct Case {
    std::vector<std::string> flags;
    std::vector<std::string> env;
    std::vector<std::string> want;  // substrings of stderr
  } cases[] = {
      {{"--metrics-port", port}, {}, {"127.0.0.1:" + port, "in use"}},
      {{}, {"TTG_METRICS_PORT=" + port}, {"127.0.0.1:" + port, "in use"}},
      // TEST-NET-1: an address no host of the test's has.
      {{"--metrics-port", port, "--metrics-bind", "192.0.2.1"},
       {},
       {"192.0.2.1:" + port, "not one of this host's"}},
      {{"--metrics-port", port, "--metrics-bind", "localhost"},
       {},
       {"--metrics-bind", "localhost"}},
      {{"--metrics-port", "9100"}, {"TTG_METRICS_BIND=10.0.0"}, {"TTG_METRICS_BIND", "10.0.0"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"worker",         "--redis", server_->url(), "--job", "nothing",
                                  "--idle-timeout", "1"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = testing::run_ttg(args, c.env, 30000);
    std::string what = c.flags.empty() ? c.env[0] : c.flags.back();
    EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.err;
    for (const auto& w : c.want) {
      EXPECT_NE(r.err.find(w), std::string::npos) << what << ": want '" << w << "' in\n" << r.err;
    }
  }
}

}  // namespace
}  // namespace ttg

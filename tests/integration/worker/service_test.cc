// TTG as a long-lived service (docs/PROTOCOL.md, "Incarnations", "Liveness",
// "Clocks"): real `ttg worker` processes that serve every job, a job name
// submitted again, a worker killed, Redis frozen and restarted under them,
// exec jobs refused, and the cost of an idle worker beside many finished
// jobs. Against a real redis-server.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "support/verify.h"
#include "support/worker_fixture.h"
#include "util/strings.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::wait_until;
using Clock = std::chrono::steady_clock;

JobSpec spec_of(const std::string& kernel, int64_t params, int64_t chunk, nlohmann::json args,
                int max_attempts = 3) {
  JobSpec s;
  s.kernel = kernel;
  s.total_params = params;
  s.chunk_size = chunk;
  s.args = std::move(args);
  s.max_attempts = max_attempts;
  return s;
}

class ServiceTest : public testing::WorkerProcessFixture {
 protected:
  std::optional<queue::JobStatus> try_status(const std::string& job) {
    auto s = store_->status(job);
    if (!s) return std::nullopt;
    return *s;
  }

  queue::JobStatus status(const std::string& job) {
    auto s = store_->status(job);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : queue::JobStatus{};
  }

  bool complete(const std::string& job) {
    auto s = try_status(job);
    return s && s->state == JobState::kComplete;
  }

  std::vector<queue::ResultRecord> events(const std::string& job) {
    auto e = store_->events(job, "-", 10000);
    return e ? *e : std::vector<queue::ResultRecord>{};
  }

  int exit_code(util::Process& p, milliseconds timeout = milliseconds(30000)) {
    auto st = p.wait_for(timeout);
    if (!st) return -100;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
  }

  // Every attempt counter of `job`: all 1 means no attempt was spent twice.
  std::map<std::string, std::string> attempts(const std::string& job) {
    std::map<std::string, std::string> out;
    auto conn = connect();
    auto r = conn.command({"HGETALL", queue::JobKeys(job).attempts});
    if (!r) return out;
    for (size_t i = 0; i + 1 < r->size(); i += 2) out[(*r)[i].str()] = (*r)[i + 1].str();
    return out;
  }
};

// Failure 1: a worker that lives across jobs computes a job submitted again
// under the same name with its new spec: never the old kernel, never the old
// chunking.
TEST_F(ServiceTest, ResubmittedJobIsComputedWithItsNewSpecByARunningWorker) {
  auto v1 = spec_of("simulate", 400, 4, {{"work_ms", 20}});
  ASSERT_TRUE(store_->submit("nightly", v1, {}));
  start_worker("w1", {"--idle-timeout", "0", "--threads", "2"});
  start_worker("w2", {"--idle-timeout", "0", "--threads", "2"});
  ASSERT_TRUE(wait_until([&] {
    auto s = try_status("nightly");
    return s && s->done >= 5;
  }));
  JobSpec v2;
  v2.kernel = "sir";
  v2.args = {{"days", 60}};
  auto beta = Dimension::linspace("beta", 0.2, 0.6, 6);
  auto gamma = Dimension::linspace("gamma", 0.05, 0.2, 5);
  ASSERT_TRUE(beta && gamma);
  auto parsed = ParamSpace::grid({*beta, *gamma});
  ASSERT_TRUE(parsed) << parsed.error().message;
  v2.set_space(*parsed);
  v2.chunk_size = 7;
  queue::SubmitOptions force;
  force.force = true;
  auto r = store_->submit("nightly", v2, force);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, queue::SubmitOutcome::kReplaced);
  ASSERT_TRUE(wait_until([&] { return complete("nightly"); }, milliseconds(60000)));
  auto s = status("nightly");
  EXPECT_EQ(s.run, r->run);
  EXPECT_EQ(s.total_chunks, v2.total_chunks());
  EXPECT_EQ(s.dead, 0) << "chunks of the new run dead-lettered (the old chunking?)";
  EXPECT_EQ(s.malformed, 0);
  testing::expect_exactly_once_and_correct(*store_, "nightly", v2);
  for (auto& w : workers_) w.signal(SIGTERM);
  for (auto& w : workers_) EXPECT_EQ(exit_code(w), 0);
}

// The liveness registry: a worker killed while it holds chunks is found gone
// as soon as its connection closes, long before its (default, 10 s) lease.
TEST_F(ServiceTest, KilledWorkersChunksAreTakenOverWhenItsConnectionCloses) {
  auto spec = spec_of("simulate", 40, 1, {{"work_ms", 400}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  size_t a = start_worker("a", {"--job", "j", "--threads", "2"});
  ASSERT_TRUE(wait_until([&] {
    auto s = try_status("j");
    return s && s->in_flight.count("a") && s->in_flight.at("a") == 2;
  }));
  start_worker("b", {"--job", "j", "--threads", "2"});
  ASSERT_TRUE(wait_until([&] {
    auto s = try_status("j");
    return s && s->in_flight.count("b") && s->in_flight.at("b") >= 1;
  }));
  workers_[a].signal(SIGKILL);
  const auto killed = Clock::now();
  ASSERT_TRUE(wait_until([&] { return status("j").takeovers >= 2; }, milliseconds(9000)))
      << "not taken over before the 10 s lease";
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - killed);
  std::cout << "chunks of the killed worker taken over after " << took.count() << " ms\n";
  ASSERT_TRUE(wait_until([&] { return complete("j"); }, milliseconds(60000)));
  int gone = 0;
  for (const auto& e : events("j")) {
    if (e.fields.count("type") && e.fields.at("type") == "takeover") {
      EXPECT_EQ(e.fields.at("reason"), "worker gone") << "taken over by the lease, not liveness";
      EXPECT_EQ(e.fields.at("from"), "a");
      ++gone;
    }
  }
  EXPECT_EQ(gone, 2);
  testing::expect_exactly_once_and_correct(*store_, "j", spec);
}

// Outages are not failures: Redis frozen for three leases must not cost a
// single attempt of a healthy worker, even with --max-attempts 1.
TEST_F(ServiceTest, RedisFrozenForThreeLeasesSpendsNoAttempt) {
  const int64_t lease_ms = 1000;
  auto spec = spec_of("simulate", 60, 1, {{"work_ms", 150}}, /*max_attempts=*/1);
  ASSERT_TRUE(store_->submit("j", spec, {}));
  for (const char* w : {"a", "b"}) {
    start_worker(w, {"--job", "j", "--threads", "2", "--lease-ms", std::to_string(lease_ms),
                     "--reclaim-interval-ms", "200"});
  }
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(wait_until([&] {
      auto s = try_status("j");
      int64_t n = 0;
      if (s) {
        for (auto& [w, k] : s->in_flight) n += k;
      }
      return n >= 2 || (s && s->state == JobState::kComplete);
    }));
    if (complete("j")) break;
    server_->signal(SIGSTOP);
    std::this_thread::sleep_for(milliseconds(3 * lease_ms));  // the fault itself, not a wait
    server_->signal(SIGCONT);
    // Let the workers run on between freezes.
    ASSERT_TRUE(wait_until([&] {
      auto s = try_status("j");
      return s && (s->done >= (round + 1) * 8 || s->state == JobState::kComplete);
    }));
  }
  ASSERT_TRUE(wait_until([&] { return complete("j"); }, milliseconds(60000)));
  auto s = status("j");
  EXPECT_EQ(s.dead, 0) << "a healthy chunk was dead-lettered after an outage";
  EXPECT_EQ(s.takeovers, 0);
  testing::expect_exactly_once_and_correct(*store_, "j", spec);
}

// A restart from the AOF while chunks are long: every worker reconnects and
// keeps its chunks; no attempt is spent.
class ServiceAofTest : public ServiceTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.append_only = true;
    o.appendfsync = "always";
    return o;
  }
};

TEST_F(ServiceAofTest, RedisRestartedFromItsAofDuringLongChunksSpendsNoAttempt) {
  auto spec = spec_of("simulate", 8, 1, {{"work_ms", 2500}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  for (const char* w : {"a", "b"}) {
    start_worker(w, {"--job", "j", "--threads", "2", "--lease-ms", "1000"});
  }
  ASSERT_TRUE(wait_until([&] {
    auto s = try_status("j");
    int64_t n = 0;
    if (s) {
      for (auto& [w, k] : s->in_flight) n += k;
    }
    return n == 4;
  }));
  server_->kill();
  std::this_thread::sleep_for(milliseconds(1500));  // the outage itself
  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  ASSERT_TRUE(wait_until([&] { return complete("j"); }, milliseconds(60000)));
  auto s = status("j");
  EXPECT_EQ(s.takeovers, 0);
  EXPECT_EQ(s.dead, 0);
  for (auto& [chunk, n] : attempts("j")) EXPECT_EQ(n, "1") << "chunk " << chunk;
  testing::expect_exactly_once_and_correct(*store_, "j", spec);
}

// Exec is opt-in: a worker without --allow-exec never starts the program,
// says why in the job's status, and a worker with it runs the job.
TEST_F(ServiceTest, WorkerWithoutAllowExecNeverStartsTheProgram) {
  const std::string marker = dir_->path() + "/started";
  const std::string program = dir_->path() + "/prog.sh";
  {
    std::ofstream f(program);
    f << "#!/bin/sh\ntouch '" << marker << "'\nexec python3 '" << TTG_SOURCE_DIR
      << "/examples/exec/square.py'\n";
  }
  ASSERT_EQ(::chmod(program.c_str(), 0755), 0);
  auto spec = spec_of("exec", 6, 2, {{"command", program}});
  ASSERT_TRUE(store_->submit("e", spec, {}));
  size_t plain = start_worker("plain", {"--idle-timeout", "0"});
  ASSERT_TRUE(wait_until([&] {
    auto s = try_status("e");
    return s && s->refused.count("plain");
  }));
  EXPECT_NE(status("e").refused.at("plain").find("--allow-exec"), std::string::npos);
  EXPECT_FALSE(std::ifstream(marker).good()) << "the program was started";
  start_worker("allowed", {"--idle-timeout", "0", "--allow-exec", dir_->path() + "/"});
  ASSERT_TRUE(wait_until([&] { return complete("e"); }, milliseconds(60000)));
  EXPECT_TRUE(std::ifstream(marker).good());
  auto r = testing::run_ttg({"status", "e", "--redis", server_->url()});
  EXPECT_NE(r.out.find("refused by  plain"), std::string::npos) << r.out;
  workers_[plain].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[plain]), 0);
}

// Many jobs, long life: an idle worker's cost does not grow with the number
// of finished jobs in Redis (discovery reads the active list only).
TEST_F(ServiceTest, IdleWorkersCostDoesNotGrowWithFinishedJobs) {
  auto commands_per_second = [&]() -> double {
    auto conn = connect();
    auto stat = [&]() -> int64_t {
      auto info = conn.command({"INFO", "stats"});
      if (!info) return 0;
      for (const auto& line : util::split(info->str(), '\n')) {
        if (line.rfind("total_commands_processed:", 0) == 0) {
          return util::parse_int(util::trim(line.substr(25))).value_or(0);
        }
      }
      return 0;
    };
    size_t w = start_worker("idle" + std::to_string(workers_.size()), {"--idle-timeout", "0"});
    wait_until([] { return false; }, milliseconds(1500));  // let it settle
    int64_t before = stat();
    auto t0 = Clock::now();
    wait_until([] { return false; }, milliseconds(3000));  // the measurement window
    int64_t after = stat();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    workers_[w].signal(SIGTERM);
    EXPECT_EQ(exit_code(workers_[w]), 0);
    return static_cast<double>(after - before - 2) / secs;
  };
  double empty = commands_per_second();
  // 1,000 finished jobs, as a nightly service accumulates them.
  auto spec = spec_of("noop", 1, 1, nlohmann::json::object());
  auto q = queue::make_redis_queue(server_->options(), {"filler", "filler", 10000});
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "old-" + std::to_string(i);
    ASSERT_TRUE(store_->submit(name, spec, {}));
    auto v = q->job(name);
    ASSERT_TRUE(v);
    auto c = q->claim(v->ref(), v->spec, 1);
    ASSERT_TRUE(c && c->size() == 1);
    ASSERT_TRUE(q->commit({queue::Completion{(*c)[0], 0.0, "[]"}}));
  }
  // A sweep gives the finished jobs their expiry and drops them from the
  // active list.
  ASSERT_TRUE(q->sweep({}, true));
  double many = commands_per_second();
  std::cout << "idle worker: " << empty << " Redis commands/s with no jobs, " << many
            << " with 1,000 finished jobs\n";
  EXPECT_LT(many, empty * 1.5 + 5) << "an idle worker's cost grew with the finished jobs";
}

}  // namespace
}  // namespace ttg

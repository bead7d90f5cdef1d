// The chaos suite: TTG on a small network of hosts (testbed.h) under the
// faults that break peers. Each test runs the same job twice on the same
// hosts: first without faults (the baseline), then under its fault. After
// each faulty run it checks that every chunk has exactly one result, equal to
// a recomputation in this process; that no worker hung (each exits 0 soon
// after the job ends, and the watcher on the submit host saw the end); and
// that the job's counters agree with its results stream. Each test logs its
// figures and appends them as one JSON line to $TTG_CHAOS_REPORT when set.
//
// TTG_CHAOS_PROFILE=soak (`make chaos`) runs more workers, more chunks and
// more rounds of each fault; the default, short profile runs in `make test`.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "chaos/testbed.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "redis/connection.h"
#include "redis/local_server.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "support/verify.h"
#include "util/process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg::chaos {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using testing::wait_until;

struct Profile {
  std::string name;
  int workers_per_host;  // on each of the three worker hosts
  int threads;           // compute slots per worker
  int64_t chunks;        // one parameter each
  int work_ms;           // per chunk (the simulate kernel)
  int lease_ms;
  int rounds;        // how often a fault is repeated within one run
  seconds deadline;  // for one run of the job
};

Profile profile() {
  const char* p = std::getenv("TTG_CHAOS_PROFILE");
  if (p != nullptr && std::string(p) == "soak") {
    return {"soak", 3, 2, 4800, 60, 1000, 6, seconds(600)};
  }
  return {"short", 1, 2, 240, 100, 1000, 1, seconds(120)};
}

// Keeps a fault in place for `length`: the fault's duration, not a wait for
// something to happen (those poll with wait_until()).
void hold(milliseconds length) {
  if (length > milliseconds(0)) std::this_thread::sleep_for(length);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Worker {
  std::string host, name, log;
  util::Process process;
  int starts = 0;
};

class ChaosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Testbed::unavailable()) GTEST_SKIP() << *why;
    if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
    prof_ = profile();
    auto dir = util::TempDir::create("ttg-chaos-");
    ASSERT_TRUE(dir) << dir.error();
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));
    auto bed = Testbed::create(3);
    ASSERT_TRUE(bed) << bed.error().message;
    bed_ = std::move(*bed);
    // A server reachable from other hosts has a password; the children get
    // it from the environment, as a pod would from a secret.
    password_ = "chaos-" + std::to_string(std::random_device{}());
    ::setenv("TTG_REDIS_PASSWORD", password_.c_str(), 1);
    redis::LocalServerOptions o;
    o.address = bed_->address("redis");
    o.launcher = bed_->on("redis");
    o.password = password_;
    o.append_only = true;
    o.appendfsync = "always";
    server_ = testing::start_redis(o);
    ASSERT_NE(server_, nullptr);
    store_ = std::make_unique<queue::JobStore>(server_->options());
  }

  void TearDown() override {
    bool failed = HasFailure();
    for (auto& w : workers_) {
      if (w.process.valid()) w.process.signal(SIGCONT);
    }
    workers_.clear();
    watcher_ = util::Process();
    if (failed) {
      for (const auto& log : logs_) std::cerr << "---- " << log << "\n" << testing::read_file(log);
      if (server_) std::cerr << "---- redis\n" << testing::read_file(server_->log_path());
    }
    store_.reset();
    server_.reset();
    bed_.reset();
    ::unsetenv("TTG_REDIS_PASSWORD");
  }

  std::string log_path(const std::string& name) {
    std::string path = dir_->path() + "/" + name + "-" + std::to_string(logs_.size()) + ".log";
    logs_.push_back(path);
    return path;
  }

  // Starts `ttg args...` on `host`.
  util::Process start_on(const std::string& host, std::vector<std::string> args,
                         const std::string& log) {
    std::vector<std::string> argv = bed_->on(host);
    argv.push_back(testing::ttg_binary());
    argv.insert(argv.end(), args.begin(), args.end());
    util::SpawnOptions so;
    so.stdout_path = log;
    so.stderr_path = log;
    auto p = util::Process::spawn(argv, so);
    EXPECT_TRUE(p) << p.error();
    return p ? std::move(*p) : util::Process();
  }

  void start_worker(Worker& w) {
    ++w.starts;
    w.log = log_path(w.name);
    w.process = start_on(w.host,
                         {"worker", "--redis", server_->url(), "--job", job_, "--worker-id", w.name,
                          "--lease-ms", std::to_string(prof_.lease_ms), "--reclaim-interval-ms",
                          "200", "--threads", std::to_string(prof_.threads), "--log-level", "info",
                          // The hanging-kernel test runs an exec program.
                          "--allow-exec"},
                         w.log);
  }

  // The job's status as the controller sees it; nullopt while Redis is away.
  std::optional<queue::JobStatus> try_status() {
    auto s = store_->status(job_);
    if (!s) return std::nullopt;
    return *s;
  }

  bool complete() {
    auto s = try_status();
    return s && s->state == JobState::kComplete;
  }

  // The chunks `consumer` holds now (empty while Redis is away).
  std::vector<std::string> held_by(const std::string& consumer) {
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return {};
    auto p = conn->command(
        {"XPENDING", queue::JobKeys(job_).tasks, queue::kGroup, "-", "+", "1000", consumer});
    std::vector<std::string> ids;
    if (!p) return ids;
    for (const auto& e : p->elements()) ids.push_back(e[0].str());
    return ids;
  }

  // Results committed by `worker` so far.
  int64_t results_by(const std::string& worker) {
    int64_t n = 0;
    (void)store_->for_each_result(job_, [&](const queue::ResultRecord& r) {
      auto it = r.fields.find("worker_id");
      if (it != r.fields.end() && it->second == worker) ++n;
    });
    return n;
  }

  // Duplicate commits recorded in the job's events, by worker.
  std::map<std::string, int64_t> duplicates_by_worker() {
    std::map<std::string, int64_t> out;
    auto ev = store_->events(job_, "0", 100000);
    EXPECT_TRUE(ev) << ev.error().message;
    if (!ev) return out;
    for (const auto& e : *ev) {
      auto type = e.fields.find("type");
      auto worker = e.fields.find("worker");
      if (type != e.fields.end() && type->second == "duplicate" && worker != e.fields.end()) {
        ++out[worker->second];
      }
    }
    return out;
  }

  // Submits job `job` from the submit host with `ttg submit` and starts a
  // `ttg status --watch` there.
  void submit(const std::string& job, const std::vector<std::string>& extra) {
    job_ = job;
    std::vector<std::string> argv = bed_->on("submit");
    for (const auto& a : std::vector<std::string>{
             testing::ttg_binary(), "submit", "--redis", server_->url(), "--job", job, "--params",
             std::to_string(prof_.chunks), "--chunk-size", "1"}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto out = run_command(argv, seconds(60));
    ASSERT_TRUE(out) << out.error().message;
    watcher_log_ = log_path("watch-" + job);
    watcher_ =
        start_on("submit", {"status", job, "--watch", "--redis", server_->url()}, watcher_log_);
  }

  // Starts the workers of the current job on every worker host.
  void start_workers() {
    workers_.clear();
    for (const auto& host : bed_->worker_hosts()) {
      for (int i = 0; i < prof_.workers_per_host; ++i) {
        Worker w;
        w.host = host;
        w.name = host + "-" + std::string(1, static_cast<char>('a' + i));
        workers_.push_back(std::move(w));
      }
    }
    for (auto& w : workers_) start_worker(w);
  }

  // Waits for the job to end, then for every worker and the watcher to exit
  // on their own: 0 (the watcher: 1 when the job has dead chunks). Returns the seconds from
  // `started` to the job's end.
  double finish(Clock::time_point started) {
    bool done = wait_until([&] { return complete(); }, prof_.deadline);
    double took = seconds_since(started);
    EXPECT_TRUE(done) << "job " << job_ << " did not complete within " << prof_.deadline.count()
                      << " s";
    for (auto& w : workers_) {
      if (!w.process.valid()) continue;
      w.process.signal(SIGCONT);
      auto st = w.process.wait_for(seconds(30));
      EXPECT_TRUE(st.has_value()) << "worker " << w.name << " hung: still running 30 s after the "
                                  << "job ended";
      if (st) {
        EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
            << "worker " << w.name << ": " << util::describe_wait_status(*st);
      }
    }
    auto st = watcher_.wait_for(seconds(15));
    EXPECT_TRUE(st.has_value()) << "`ttg status --watch` did not see the job end";
    if (st) {
      // It exits 1 when the job ended with dead chunks.
      auto s = store_->status(job_);
      const int want = s && s->dead > 0 ? 1 : 0;
      EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == want)
          << "ttg status --watch: " << util::describe_wait_status(*st) << ", want exit " << want;
    }
    return took;
  }

  // Every chunk exactly once (but `dead`), values recomputed, counters equal
  // to the streams. Returns the final status.
  queue::JobStatus verify(const std::set<int64_t>& dead = {}) {
    auto s = store_->status(job_);
    EXPECT_TRUE(s) << s.error().message;
    if (!s) return {};
    auto report = testing::expect_exactly_once_and_correct(*store_, job_, s->spec, dead);
    const int64_t want_done = s->total_chunks - static_cast<int64_t>(dead.size());
    EXPECT_EQ(s->state, JobState::kComplete);
    EXPECT_EQ(s->done, want_done) << "the done counter";
    EXPECT_EQ(s->dead, static_cast<int64_t>(dead.size())) << "the dead counter";
    EXPECT_EQ(s->results_len, s->done) << "results stream length vs done counter";
    EXPECT_EQ(report.results, s->done) << "results read vs done counter";
    EXPECT_EQ(s->dead_len, s->dead) << "dead-letter stream length vs dead counter";
    EXPECT_TRUE(s->in_flight.empty()) << "chunks still pending after the end";
    auto conn = redis::Connection::connect(server_->options());
    EXPECT_TRUE(conn);
    if (conn) {
      auto bits = conn->command({"BITCOUNT", queue::JobKeys(job_).done});
      EXPECT_TRUE(bits);
      if (bits) {
        // A chunk's bit is set once it is finished: committed or dead.
        EXPECT_EQ(bits->integer(), s->done + s->dead) << "done bitmap vs done + dead counters";
      }
    }
    return *s;
  }

  // The baseline: the same job without faults, on the same hosts.
  double baseline(const std::vector<std::string>& submit_args) {
    submit(name() + "-base", submit_args);
    auto started = Clock::now();
    start_workers();
    double took = finish(started);
    verify();
    return took;
  }

  std::string name() const {
    std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n;
  }

  // Logs the figures of a faulty run and appends them to $TTG_CHAOS_REPORT.
  void report(const queue::JobStatus& s, double took, double base, int faults,
              const std::string& fault) {
    nlohmann::json j{{"test", ::testing::UnitTest::GetInstance()->current_test_info()->name()},
                     {"profile", prof_.name},
                     {"fault", fault},
                     {"faults", faults},
                     {"workers", workers_.size()},
                     {"chunks", s.total_chunks},
                     {"done", s.done},
                     {"dead", s.dead},
                     {"duplicates_suppressed", s.duplicates},
                     {"takeovers", s.takeovers},
                     {"retries", s.retries},
                     {"seconds", std::round(took * 100) / 100},
                     {"baseline_seconds", nullptr},
                     {"slowdown", nullptr}};
    if (base > 0) {
      j["baseline_seconds"] = std::round(base * 100) / 100;
      j["slowdown"] = std::round(took / base * 100) / 100;
    }
    std::cout << "chaos figures: " << j.dump() << std::endl;
    RecordProperty("figures", j.dump());
    if (const char* path = std::getenv("TTG_CHAOS_REPORT"); path != nullptr && *path != '\0') {
      std::ofstream(path, std::ios::app) << j.dump() << "\n";
    }
  }

  // Runs the baseline, then submits the same job for the faulty run and
  // starts its workers (at started_). Returns the baseline's seconds.
  double begin_faulty_run(const std::vector<std::string>& args) {
    double base = baseline(args);
    submit(name(), args);
    started_ = Clock::now();
    start_workers();
    return base;
  }

  std::vector<std::string> simulate_args(int max_attempts = 10) const {
    return {"--kernel",       "simulate",
            "--arg",          "work_ms=" + std::to_string(prof_.work_ms),
            "--max-attempts", std::to_string(max_attempts)};
  }

  Worker* worker_on(const std::string& host) {
    for (auto& w : workers_) {
      if (w.host == host) return &w;
    }
    return nullptr;
  }

  // Waits until the job has done at least `fraction` of its chunks.
  bool progressed(double fraction) {
    return wait_until(
        [&] {
          auto s = try_status();
          return s && s->done >= static_cast<int64_t>(fraction * s->total_chunks);
        },
        prof_.deadline);
  }

  Profile prof_;
  std::unique_ptr<util::TempDir> dir_;
  std::unique_ptr<Testbed> bed_;
  std::string password_;
  std::unique_ptr<redis::LocalServer> server_;
  std::unique_ptr<queue::JobStore> store_;
  std::string job_;
  std::vector<Worker> workers_;
  util::Process watcher_;
  std::string watcher_log_;
  std::vector<std::string> logs_;
  Clock::time_point started_;
};

TEST_F(ChaosTest, RandomKillNineOfWorkersWithRestarts) {
  double base = begin_faulty_run(simulate_args());
  unsigned seed = std::random_device{}();
  std::cout << "random seed " << seed << std::endl;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pace_ms(500, 1500);
  int kills = 0;
  // Every 0.5-1.5 s a random worker is killed with SIGKILL and started again
  // under the same name, as a restarted pod would be, until the job ends.
  for (int round = 0; round < 1000 && !complete(); ++round) {
    if (wait_until([&] { return complete(); }, milliseconds(pace_ms(rng)))) break;
    auto& w = workers_[std::uniform_int_distribution<size_t>(0, workers_.size() - 1)(rng)];
    w.process.signal(SIGKILL);
    ASSERT_TRUE(w.process.wait_for(seconds(10)).has_value()) << "SIGKILL did not end " << w.name;
    ++kills;
    start_worker(w);
  }
  double took = finish(started_);
  auto s = verify();
  EXPECT_GE(kills, 2) << "the job ended before the faults had a chance";
  EXPECT_GE(s.takeovers, 1) << "no killed worker's chunk was taken over";
  report(s, took, base, kills, "kill -9 of a random worker every 0.5-1.5 s, then restart");
}

TEST_F(ChaosTest, WorkerHostCutOffPastTheLeaseThenHealed) {
  double base = begin_faulty_run(simulate_args());
  const std::string host = "w1";
  std::vector<std::string> names;
  for (auto& w : workers_) {
    if (w.host == host) names.push_back(w.name);
  }
  // What the host's workers hold, and what they committed, now.
  auto host_held = [&] {
    std::set<std::string> ids;
    for (const auto& n : names) {
      for (auto& id : held_by(n)) ids.insert(id);
    }
    return ids;
  };
  auto host_results = [&] {
    int64_t n = 0;
    for (const auto& w : names) n += results_by(w);
    return n;
  };
  int cuts = 0, carried_on = 0;
  for (int round = 0; round < prof_.rounds && !complete(); ++round) {
    // Cut mid-job, while the host holds chunks, so that there is something
    // to lose and work left for it after the heal.
    ASSERT_TRUE(progressed(0.15 + 0.6 * round / prof_.rounds));
    ASSERT_TRUE(wait_until([&] { return !host_held().empty() || complete(); }, prof_.deadline));
    if (complete()) break;
    auto held = host_held();
    ASSERT_TRUE(bed_->cut(host));
    auto cut_at = Clock::now();
    ++cuts;
    // Past the lease: every chunk the host held is taken over elsewhere.
    bool taken = wait_until(
        [&] {
          auto now_held = host_held();
          for (const auto& id : held) {
            if (now_held.count(id) != 0) return false;
          }
          return true;
        },
        prof_.deadline);
    EXPECT_TRUE(taken) << "the cut-off host's chunks were not taken over";
    // Stay cut for at least three leases in all.
    hold(milliseconds(3 * prof_.lease_ms) -
         std::chrono::duration_cast<milliseconds>(Clock::now() - cut_at));
    int64_t at_heal = host_results();
    ASSERT_TRUE(bed_->heal(host));
    // It carries on: it commits new chunks after the heal (unless the others
    // finished the job first).
    if (wait_until([&] { return host_results() > at_heal || complete(); }, prof_.deadline) &&
        host_results() > at_heal) {
      ++carried_on;
    }
  }
  double took = finish(started_);
  auto s = verify();
  ASSERT_GE(cuts, 1);
  auto dups = duplicates_by_worker();
  int64_t host_dups = 0;
  for (const auto& n : names) host_dups += dups[n];
  EXPECT_GE(s.takeovers, 1);
  EXPECT_GE(host_dups, 1) << "the cut-off host's late commits were not recorded as suppressed "
                             "duplicates";
  EXPECT_GE(carried_on, 1) << "the healed host committed nothing after a heal: it did not "
                              "carry on";
  report(s, took, base, cuts,
         "host w1 cut off from the network for 3 leases (" + std::to_string(3 * prof_.lease_ms) +
             " ms), then healed");
}

TEST_F(ChaosTest, LatencyAndLossOnEveryWorkerLink) {
  double base = baseline(simulate_args());
  std::string applied;
  for (const auto& host : bed_->worker_hosts()) {
    auto a = bed_->degrade(host, milliseconds(20), milliseconds(10), 5.0, "96kbit");
    if (!a && a.error().code == ErrorCode::kNotFound) GTEST_SKIP() << a.error().message;
    ASSERT_TRUE(a) << a.error().message;
    applied = *a;
  }
  std::cout << "links degraded: " << applied << std::endl;
  submit(name(), simulate_args());
  auto started = Clock::now();
  start_workers();
  double took = finish(started);
  auto s = verify();
  int64_t dropped = 0;
  for (const auto& host : bed_->worker_hosts()) {
    auto d = bed_->dropped(host);
    EXPECT_TRUE(d) << d.error().message;
    dropped += d.value_or(0);
    EXPECT_TRUE(bed_->restore(host));
  }
  EXPECT_GT(dropped, 0) << "the degraded links dropped no packet: the fault did not bite";
  report(s, took, base, static_cast<int>(bed_->worker_hosts().size()),
         "every worker link: " + applied + "; " + std::to_string(dropped) + " packets dropped");
}

TEST_F(ChaosTest, RedisKilledAndRestartedFromItsAppendOnlyFile) {
  double base = begin_faulty_run(simulate_args());
  int kills = 0;
  for (int round = 0; round < prof_.rounds; ++round) {
    double at = 0.2 + 0.6 * round / std::max(1, prof_.rounds);
    ASSERT_TRUE(progressed(at));
    if (complete()) break;
    server_->kill();
    ++kills;
    // Down for a while, as a rescheduled pod would be.
    hold(milliseconds(500));
    auto st = server_->restart();
    ASSERT_TRUE(st) << st.error().message;
  }
  double took = finish(started_);
  auto s = verify();
  EXPECT_GE(kills, 1);
  report(s, took, base, kills, "redis-server killed -9 mid-job, restarted from its AOF (always)");
}

TEST_F(ChaosTest, RedisFrozenPastTheClientTimeOutThenResumed) {
  double base = begin_faulty_run(simulate_args());
  // Longer than the clients' command time-out (redis::Options, 5 s).
  const milliseconds frozen(redis::Options{}.command_timeout + milliseconds(1500));
  int freezes = 0;
  for (int round = 0; round < prof_.rounds; ++round) {
    double at = 0.2 + 0.6 * round / std::max(1, prof_.rounds);
    ASSERT_TRUE(progressed(at));
    if (complete()) break;
    server_->signal(SIGSTOP);
    ++freezes;
    hold(frozen);
    server_->signal(SIGCONT);
  }
  double took = finish(started_);
  auto s = verify();
  EXPECT_GE(freezes, 1);
  report(s, took, base, freezes,
         "redis-server frozen (SIGSTOP) for " + std::to_string(frozen.count()) + " ms, resumed");
}

TEST_F(ChaosTest, WorkerFrozenPastItsLeaseThenResumed) {
  double base = begin_faulty_run(simulate_args());
  int freezes = 0;
  for (int round = 0; round < prof_.rounds && !complete(); ++round) {
    Worker& w = workers_[static_cast<size_t>(round) % workers_.size()];
    ASSERT_TRUE(wait_until([&] { return !held_by(w.name).empty() || complete(); }, prof_.deadline));
    if (complete()) break;
    w.process.signal(SIGSTOP);
    ++freezes;
    hold(milliseconds(3 * prof_.lease_ms));
    w.process.signal(SIGCONT);
    if (round + 1 < prof_.rounds) progressed(std::min(0.9, 0.2 * (round + 2)));
  }
  double took = finish(started_);
  auto s = verify();
  EXPECT_GE(freezes, 1);
  EXPECT_GE(s.takeovers, 1) << "a frozen worker's chunk was not taken over";
  report(s, took, base, freezes,
         "a worker frozen (SIGSTOP) for 3 leases (" + std::to_string(3 * prof_.lease_ms) +
             " ms), resumed");
}

TEST_F(ChaosTest, KernelThatHangsForEverIsTimedOutRetriedAndDeadLettered) {
  // The exec program answers every parameter but one, on which it hangs and
  // ignores SIGTERM. The per-chunk time-out must kill it; the chunk is tried
  // max_attempts times, then dead-lettered; everything else completes.
  const int64_t hang = prof_.chunks / 3;
  const std::string program = std::string("python3 ") + TTG_SOURCE_DIR +
                              "/tests/chaos/programs/hang_on.py " + std::to_string(hang);
  // The time-out of the set that starts the program counts the program's
  // start-up: with up to 18 programs starting at once on a loaded machine,
  // a tight one would time out the sets that do answer, over and over.
  const int timeout_ms = 8000;
  std::vector<std::string> args{"--exec",         program,
                                "--arg",          "timeout_ms=" + std::to_string(timeout_ms),
                                "--max-attempts", "2"};
  submit(name(), args);
  auto started = Clock::now();
  start_workers();
  double took = finish(started);
  auto s = verify({hang});
  auto dead = store_->dead_letters(job_);
  ASSERT_TRUE(dead) << dead.error().message;
  ASSERT_EQ(dead->size(), 1u);
  const auto& d = dead->front().fields;
  EXPECT_EQ(d.at("chunk_id"), std::to_string(hang));
  EXPECT_EQ(d.at("attempts"), "2");
  std::cout << "dead letter: reason=" << d.at("reason") << " last_error=" << d.at("last_error")
            << std::endl;
  EXPECT_NE(d.at("last_error").find("time"), std::string::npos)
      << "the dead letter does not say the chunk timed out";
  EXPECT_GE(s.retries, 1) << "the hung chunk was not retried";
  report(s, took, 0.0, 1,  // no baseline: the faulty job is not the same job
         "exec program hangs for ever on chunk " + std::to_string(hang) +
             " (ignores SIGTERM); timeout_ms " + std::to_string(timeout_ms) + ", max_attempts 2");
}

}  // namespace
}  // namespace ttg::chaos

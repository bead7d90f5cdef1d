// Worker processes (the real `ttg worker` binary) under the faults of
// issue #3: kill -9, SIGSTOP past the lease, SIGTERM, a chunk that crashes
// its workers, Redis killed and restarted from its AOF, and random kills.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <random>
#include <set>

#include "kernels/kernel.h"
#include "queue/codec.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "support/verify.h"
#include "support/worker_fixture.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::wait_until;

class WorkerProcessTest : public testing::WorkerProcessFixture {
 protected:
  // Ten chunks, chunk 4 crashing its worker, two attempts, two workers
  // with `extra` flags restarted when they die: chunk 4 alone is
  // dead-lettered, after min_crashes..max_crashes crashes.
  void crashing_chunk_is_dead_lettered(const std::vector<std::string>& extra, int min_crashes,
                                       int max_crashes);
  // Starts `ttg worker` as `name`; returns its index in workers_.
  size_t start_worker(const std::string& name, const std::string& job,
                      std::vector<std::string> extra = {}) {
    std::string log = dir_->path() + "/" + name + "-" + std::to_string(logs_.size()) + ".log";
    logs_.push_back(log);
    std::vector<std::string> args{"worker",      "--redis", server_->url(), "--job", job,
                                  "--worker-id", name,      "--log-level",  "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    workers_.push_back(testing::start_ttg(args, log));
    return workers_.size() - 1;
  }

  // For polling while Redis restarts: the test's own connection breaks too.
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

  bool is_done(const std::string& job, int64_t chunk) {
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return false;
    auto bit = conn->command({"GETBIT", queue::JobKeys(job).done, std::to_string(chunk)});
    return bit && bit->integer() == 1;
  }

  // The chunks `consumer` holds now.
  std::vector<int64_t> held_by(const std::string& job, const std::string& consumer) {
    std::vector<int64_t> out;
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return out;
    auto p = conn->command(
        {"XPENDING", queue::JobKeys(job).tasks, queue::kGroup, "-", "+", "100", consumer});
    if (!p) return out;
    for (const auto& e : p->elements()) {
      out.push_back(queue::chunk_of_entry_id(e[0].str(), INT64_MAX).value_or(-1));
    }
    return out;
  }

  // Every chunk has exactly one result, and every value equals a
  // recomputation in this process.
  void expect_exactly_once_and_correct(const std::string& job, const JobSpec& spec) {
    testing::expect_exactly_once_and_correct(*store_, job, spec);
  }

  int exit_code(util::Process& p, milliseconds timeout = milliseconds(30000)) {
    auto st = p.wait_for(timeout);
    if (!st) return -100;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
  }
};

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

TEST_F(WorkerProcessTest, KilledWorkersChunkIsCommittedElsewhereWithinLeasePlusTwoSeconds) {
  const int64_t lease_ms = 1000;
  auto spec = spec_of("simulate", 1, 1, {{"work_ms", 300}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{
      "--lease-ms", std::to_string(lease_ms), "--reclaim-interval-ms", "200", "--threads", "1"};
  size_t a = start_worker("a", "j", flags);
  ASSERT_TRUE(wait_until([&] { return held_by("j", "a").size() == 1; }));
  start_worker("b", "j", flags);
  workers_[a].signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return is_done("j", 0); }, milliseconds(lease_ms + 10000)));
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed);
  EXPECT_LE(took.count(), lease_ms + 2000) << "takeover took " << took.count() << " ms";
  auto s = status("j");
  EXPECT_EQ(s.takeovers, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  expect_exactly_once_and_correct("j", spec);
}

TEST_F(WorkerProcessTest, TakeoverGoesBeforeNewWorkWhenEverySlotIsBusy) {
  // b's slots are always busy with new chunks (200 x 100 ms on 2 slots is
  // 10 s of work). The chunk of a, killed at the start, must still be taken
  // over within its lease plus a chunk or two, not at the end of the stream.
  const int64_t lease_ms = 1000;
  auto spec = spec_of("simulate", 200, 1, {{"work_ms", 100}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", std::to_string(lease_ms), "--reclaim-interval-ms",
                                 "200"};
  size_t a = start_worker("a", "j", {"--lease-ms", "1000", "--threads", "1"});
  ASSERT_TRUE(wait_until([&] { return held_by("j", "a").size() == 1; }));
  int64_t chunk = held_by("j", "a")[0];
  workers_[a].signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  flags.insert(flags.end(), {"--threads", "2"});
  size_t b = start_worker("b", "j", flags);
  ASSERT_TRUE(wait_until([&] { return is_done("j", chunk); }, milliseconds(30000)));
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed);
  auto s = status("j");
  EXPECT_LT(s.done, 150) << "the dead worker's chunk waited for most of the stream";
  EXPECT_EQ(s.takeovers, 1);
  std::cout << "takeover of chunk " << chunk << " under load: " << took.count() << " ms, " << s.done
            << "/200 chunks done by then\n";
  EXPECT_EQ(exit_code(workers_[b], milliseconds(60000)), 0);
  expect_exactly_once_and_correct("j", spec);
}

TEST_F(WorkerProcessTest, WorkerStoppedPastItsLeaseHasItsLateCommitSuppressed) {
  // Worker a computes chunk 0, then freezes itself (SIGSTOP) before it can
  // commit. b takes the chunk over after the lease and commits it. When a
  // resumes, its commit must record nothing but a suppressed duplicate.
  auto spec = spec_of("faulty", 1, 1, {{"work_ms", 10}, {"pause_chunks", "0"}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "500",       "--reclaim-interval-ms",
                                 "100",        "--threads", "1"};
  size_t a = start_worker("a", "j", flags);
  ASSERT_TRUE(wait_until([&] {
    return testing::read_file(logs_[0]).find("stopping the process") != std::string::npos;
  }));
  size_t b = start_worker("b", "j", flags);
  ASSERT_TRUE(wait_until([&] { return is_done("j", 0); }));
  workers_[a].signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] { return status("j").duplicates == 1; }));
  EXPECT_EQ(exit_code(workers_[a]), 0);
  EXPECT_EQ(exit_code(workers_[b]), 0);
  auto s = status("j");
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(s.results_len, 1) << "a second result was recorded";
  expect_exactly_once_and_correct("j", spec);
}

TEST_F(WorkerProcessTest, WorkerFrozenMidChunkLosesItAndRecordsNoSecondResult) {
  auto spec = spec_of("simulate", 20, 20, {{"work_ms", 50}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "500",       "--reclaim-interval-ms",
                                 "100",        "--threads", "1"};
  size_t a = start_worker("a", "j", flags);
  ASSERT_TRUE(wait_until([&] { return held_by("j", "a").size() == 1; }));
  workers_[a].signal(SIGSTOP);
  size_t b = start_worker("b", "j", flags);
  ASSERT_TRUE(wait_until([&] { return is_done("j", 0); }));
  workers_[a].signal(SIGCONT);
  EXPECT_EQ(exit_code(workers_[a]), 0);
  EXPECT_EQ(exit_code(workers_[b]), 0);
  auto s = status("j");
  EXPECT_EQ(s.results_len, 1);
  EXPECT_EQ(s.takeovers, 1);
  expect_exactly_once_and_correct("j", spec);
}

TEST_F(WorkerProcessTest, SigtermHandsBackTheChunkWithoutWaitingForTheLease) {
  // A minute-long lease: only the hand-back lets b finish in time.
  auto spec = spec_of("simulate", 10, 10, {{"work_ms", 200}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "60000", "--threads", "1", "--drain-timeout", "0"};
  size_t a = start_worker("a", "j", flags);
  ASSERT_TRUE(wait_until([&] { return held_by("j", "a").size() == 1; }));
  size_t b = start_worker("b", "j", flags);
  workers_[a].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[a]), 0) << "a worker stopped by SIGTERM exits 0";
  ASSERT_TRUE(wait_until([&] { return is_done("j", 0); }, milliseconds(20000)));
  EXPECT_EQ(exit_code(workers_[b]), 0);
  auto s = status("j");
  EXPECT_EQ(s.released, 1);
  EXPECT_EQ(s.takeovers, 0);
  expect_exactly_once_and_correct("j", spec);
}

// A chunk that kills every worker that runs it: with claim ahead off, each
// crash is one attempt.
TEST_F(WorkerProcessTest, ChunkThatCrashesItsWorkerEveryTimeIsDeadLettered) {
  crashing_chunk_is_dead_lettered({"--claim-ahead-ms", "0"}, 2, 2);
}

// With claim ahead (its default), the chunks queued behind the crashing one
// die with their worker before they start: they get their attempt back, so
// none of them is dead-lettered; the crashing chunk itself may get one
// crash more when it was claimed ahead too.
TEST_F(WorkerProcessTest, ChunksQueuedBehindACrashingChunkAreNotDeadLettered) {
  crashing_chunk_is_dead_lettered({}, 2, 3);
}

void WorkerProcessTest::crashing_chunk_is_dead_lettered(const std::vector<std::string>& extra,
                                                        int min_crashes, int max_crashes) {
  auto spec = spec_of("faulty", 10, 1, {{"crash_chunks", "4"}}, 2);
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "400", "--reclaim-interval-ms", "100",
                                 "--threads",  "1",   "--idle-timeout",        "5"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  // Two worker slots, restarted when they die, as a Deployment would.
  size_t slot[2] = {start_worker("a", "j", flags), start_worker("b", "j", flags)};
  int crashes = 0, restarts = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        for (auto& s : slot) {
          if (!workers_[s].running()) {
            int st = workers_[s].status().value_or(0);
            if (WIFSIGNALED(st)) ++crashes;
            if (restarts < 10) {
              s = start_worker("r" + std::to_string(restarts++), "j", flags);
            }
          }
        }
        return status("j").state == JobState::kComplete;
      },
      milliseconds(60000)));
  EXPECT_GE(crashes, min_crashes);
  EXPECT_LE(crashes, max_crashes);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].fields.at("chunk_id"), "4");
  EXPECT_EQ((*dead)[0].fields.at("reason"), "lease_expired");
  auto s = status("j");
  EXPECT_EQ(s.done, 9);
  EXPECT_EQ(s.dead, 1);
}

class WorkerAofTest : public WorkerProcessTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.append_only = true;
    o.appendfsync = "always";
    return o;
  }
};

TEST_F(WorkerAofTest, RedisKilledAndRestartedFromAofMidJobStillEndsExactlyOnce) {
  auto spec = spec_of("simulate", 300, 1, {{"work_ms", 10}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "1000", "--reclaim-interval-ms", "200",
                                 "--threads",  "2",    "--idle-timeout",        "30"};
  start_worker("a", "j", flags);
  start_worker("b", "j", flags);
  ASSERT_TRUE(wait_until([&] { return status("j").done >= 90; }, milliseconds(30000)));
  server_->kill();
  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = try_status("j");
        return s && s->state == JobState::kComplete;
      },
      milliseconds(60000)));
  for (auto& w : workers_) EXPECT_EQ(exit_code(w), 0);
  expect_exactly_once_and_correct("j", spec);
}

TEST_F(WorkerProcessTest, RandomKillsAndRestartsOfThreeWorkersOverTenThousandChunks) {
  auto spec = spec_of("simulate", 10000, 1, {{"work_ms", 1}});
  ASSERT_TRUE(store_->submit("j", spec, {}));
  std::vector<std::string> flags{"--lease-ms", "500", "--reclaim-interval-ms", "100",
                                 "--threads",  "2",   "--idle-timeout",        "30"};
  std::vector<size_t> slots;
  for (int i = 0; i < 3; ++i) slots.push_back(start_worker("w" + std::to_string(i), "j", flags));
  std::mt19937 rng(12345);
  int kills = 0;
  auto next_kill = std::chrono::steady_clock::now() + milliseconds(300);
  ASSERT_TRUE(wait_until(
      [&] {
        auto now = std::chrono::steady_clock::now();
        if (now >= next_kill && kills < 30) {
          size_t victim = rng() % slots.size();
          workers_[slots[victim]].signal(SIGKILL);
          workers_[slots[victim]].wait_for(milliseconds(5000));
          ++kills;
          // Same consumer name, as a restarted pod keeps its name.
          slots[victim] = start_worker("w" + std::to_string(victim), "j", flags);
          next_kill = now + milliseconds(200 + rng() % 400);
        }
        return status("j").state == JobState::kComplete;
      },
      milliseconds(180000)));
  EXPECT_GE(kills, 3) << "the job ended before the faults could matter";
  auto s = status("j");
  EXPECT_EQ(s.done, 10000);
  EXPECT_EQ(s.dead, 0);
  expect_exactly_once_and_correct("j", spec);
  std::cerr << "random kills: " << kills << ", takeovers " << s.takeovers
            << ", duplicates suppressed " << s.duplicates << "\n";
}

}  // namespace
}  // namespace ttg

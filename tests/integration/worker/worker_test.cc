// Workers run in threads of the test process against a real redis-server.

#include "worker/worker.h"

#include <gtest/gtest.h>

#include <future>
#include <set>

#include "queue/redis_queue.h"
#include "support/redis_fixture.h"

namespace ttg::worker {
namespace {

using ttg::testing::RedisTest;
using ttg::testing::wait_until;

class WorkerTest : public RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = std::make_unique<queue::JobStore>(server_->options());
  }

  QueueFactory queue_factory(const std::string& name, int64_t lease_ms) {
    auto opts = server_->options();
    return [opts, name, lease_ms] {
      return queue::make_redis_queue(opts, queue::QueueOptions{name, name, lease_ms});
    };
  }

  static Result<std::unique_ptr<kernels::Kernel>> kernel_for(const JobSpec& spec) {
    return kernels::make_kernel(spec);
  }

  WorkerOptions options(const std::string& job, int64_t lease_ms = 2000) {
    WorkerOptions o;
    o.job = job;
    o.threads = 2;
    o.lease_ms = lease_ms;
    o.reclaim_interval_ms = 100;
    o.idle_timeout_ms = 20000;
    o.drain_timeout_ms = 5000;
    return o;
  }

  // Starts a worker thread; its result arrives through the future.
  std::future<Result<WorkerStats>> start(const std::string& name, WorkerOptions o,
                                         std::atomic<bool>& stop) {
    auto factory = queue_factory(name, o.lease_ms);
    return std::async(std::launch::async, [factory, o, &stop] {
      KernelFactory k = &WorkerTest::kernel_for;
      return run_worker(o, factory, k, stop);
    });
  }

  // Every chunk has exactly one result; returns the number of results.
  size_t check_exactly_once(const std::string& job, int64_t total_chunks) {
    std::multiset<std::string> chunks;
    auto st = store_->for_each_result(
        job, [&](const queue::ResultRecord& r) { chunks.insert(r.fields.at("chunk_id")); });
    EXPECT_TRUE(st);
    std::set<std::string> unique(chunks.begin(), chunks.end());
    EXPECT_EQ(unique.size(), chunks.size()) << "a chunk has two results";
    EXPECT_EQ(static_cast<int64_t>(unique.size()), total_chunks) << "results are missing";
    return chunks.size();
  }

  // A worker of `job` with one slot, `slowdown` times slower, copying
  // chunks in flight for at least `min_age_ms` (speculative tail).
  WorkerOptions one_slot(const std::string& job, double slowdown, int64_t min_age_ms) {
    WorkerOptions o = options(job);
    o.threads = 1;
    o.slowdown = slowdown;
    o.speculation.min_age_ms = min_age_ms;
    return o;
  }

  // The job's events of `type`.
  int count_events(const std::string& job, const std::string& type) {
    auto events = store_->events(job, "-", 100000);
    EXPECT_TRUE(events);
    int n = 0;
    if (events) {
      for (const auto& e : *events) n += e.fields.count("type") && e.fields.at("type") == type;
    }
    return n;
  }

  std::unique_ptr<queue::JobStore> store_;
};

JobSpec simulate_spec(int64_t params, int64_t chunk, int64_t work_ms) {
  JobSpec s;
  s.kernel = "simulate";
  s.args = {{"work_ms", work_ms}};
  s.total_params = params;
  s.chunk_size = chunk;
  return s;
}

TEST_F(WorkerTest, TwoWorkersFinishAJobExactlyOnceAndExit) {
  ASSERT_TRUE(store_->submit("j", simulate_spec(2000, 5, 0), {}));
  std::atomic<bool> stop{false};
  auto a = start("a", options("j"), stop);
  auto b = start("b", options("j"), stop);
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(ra->exit_reason, "finished");
  EXPECT_EQ(rb->exit_reason, "finished");
  EXPECT_EQ(ra->committed + rb->committed, 400);
  check_exactly_once("j", 400);
  auto s = store_->status("j");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, JobState::kComplete);
  EXPECT_EQ(s->done, 400);
}

TEST_F(WorkerTest, AlwaysFailingChunkIsDeadLetteredWithItsError) {
  JobSpec s = simulate_spec(50, 5, 0);
  s.kernel = "faulty";
  s.args = {{"fail_chunks", "3"}};
  ASSERT_TRUE(store_->submit("j", s, {}));
  std::atomic<bool> stop{false};
  auto r = start("a", options("j"), stop).get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_reason, "finished");
  EXPECT_EQ(r->dead, 1);
  EXPECT_EQ(r->retries, 2);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].fields.at("chunk_id"), "3");
  EXPECT_EQ((*dead)[0].fields.at("reason"), "max_attempts");
  EXPECT_NE((*dead)[0].fields.at("last_error").find("always fails"), std::string::npos);
  auto st = store_->status("j");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->done, 9);
  EXPECT_EQ(st->dead, 1);
  EXPECT_EQ(st->state, JobState::kComplete);
}

TEST_F(WorkerTest, StopWithNoDrainTimeHandsBackAndAnotherWorkerFinishesBeforeTheLease) {
  // One chunk of 20 x 100 ms; the lease is a minute, so only a hand-back
  // lets the second worker finish within the test's deadline.
  ASSERT_TRUE(store_->submit("j", simulate_spec(20, 20, 100), {}));
  std::atomic<bool> stop_a{false};
  auto oa = options("j", 60000);
  oa.drain_timeout_ms = 0;
  auto a = start("a", oa, stop_a);
  ASSERT_TRUE(wait_until([&] {
    auto s = store_->status("j");
    return s && s->in_flight.count("a") == 1;
  }));
  stop_a = true;
  auto ra = a.get();
  ASSERT_TRUE(ra) << ra.error().message;
  EXPECT_EQ(ra->exit_reason, "stopped");
  EXPECT_EQ(ra->released, 1);
  EXPECT_EQ(ra->committed, 0);

  std::atomic<bool> stop_b{false};
  auto rb = start("b", options("j", 60000), stop_b).get();
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(rb->committed, 1);
  EXPECT_EQ(rb->taken_over, 0) << "claimed from the hand-back list, not after the lease";
  check_exactly_once("j", 1);
}

TEST_F(WorkerTest, StopLetsInFlightChunksFinishWithinTheDrainTime) {
  ASSERT_TRUE(store_->submit("j", simulate_spec(10, 10, 50), {}));
  std::atomic<bool> stop{false};
  auto a = start("a", options("j"), stop);
  ASSERT_TRUE(wait_until([&] {
    auto s = store_->status("j");
    return s && s->in_flight.count("a") == 1;
  }));
  stop = true;
  auto ra = a.get();
  ASSERT_TRUE(ra) << ra.error().message;
  EXPECT_EQ(ra->committed, 1);
  EXPECT_EQ(ra->released, 0);
  check_exactly_once("j", 1);
}

TEST_F(WorkerTest, IdleTimeoutEndsAWorkerWithNothingToDo) {
  std::atomic<bool> stop{false};
  auto o = options("");
  o.idle_timeout_ms = 300;
  auto r = start("a", o, stop).get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_reason, "idle");
}

TEST_F(WorkerTest, WorkerWithoutTheJobsKernelRefusesTheJob) {
  JobSpec s = simulate_spec(10, 10, 0);
  s.kernel = "no-such-kernel";
  // Submitted by someone who has the kernel; this worker does not.
  ASSERT_TRUE(store_->submit("j", s, {}));
  std::atomic<bool> stop{false};
  auto o = options("");
  o.idle_timeout_ms = 500;
  auto r = start("a", o, stop).get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->claimed, 0);
  auto st = store_->status("j");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->done, 0);
  EXPECT_TRUE(st->in_flight.empty());
}

// Claim ahead and the speculative tail (docs/PROTOCOL.md).

// Short chunks under a 1 s lease, with renewals held back for a minute: a
// claimed chunk keeps its lease only because claim ahead queues no more
// than a tenth of the lease of work per slot. Any lease that ran out
// would show as a takeover by the sweeper (every 100 ms).
TEST_F(WorkerTest, QueuedChunksStartLongBeforeTheirLeaseRunsOutEvenWithoutRenewals) {
  constexpr int64_t kChunks = 600;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 1, 1), {}));
  std::atomic<bool> stop{false};
  WorkerOptions o = options("j", 1000);
  o.renew_interval_ms = 60000;
  auto a = start("a", o, stop);
  auto b = start("b", o, stop);
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(ra->exit_reason, "finished");
  EXPECT_EQ(rb->exit_reason, "finished");
  // Claim ahead happened: a worker held more chunks than its 2 slots...
  EXPECT_GT(std::max(ra->max_held, rb->max_held), 2);
  // ...and no more than the 64 per slot it may queue.
  EXPECT_LE(std::max(ra->max_held, rb->max_held), 2 + 2 * 64);
  EXPECT_EQ(ra->lost + rb->lost, 0);
  EXPECT_EQ(ra->taken_over + rb->taken_over, 0);
  check_exactly_once("j", kChunks);
  auto s = store_->status("j");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, JobState::kComplete);
  EXPECT_EQ(s->done, kChunks);
  EXPECT_EQ(s->takeovers, 0) << "a claimed chunk's lease ran out before it was committed";
  EXPECT_EQ(s->duplicates, 0);
  EXPECT_EQ(count_events("j", "takeover"), 0);
}

// Chunks of 100 ms never travel ahead under a 1 s lease: a tenth of the
// lease is one such chunk's time, so a worker holds one per slot.
TEST_F(WorkerTest, ChunksLongerThanTheBudgetAreClaimedOnlyForFreeSlots) {
  constexpr int64_t kChunks = 12;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 1, 100), {}));
  std::atomic<bool> stop{false};
  auto r = start("a", options("j", 1000), stop).get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_reason, "finished");
  EXPECT_EQ(r->max_held, 2);
  check_exactly_once("j", kChunks);
}

// Three workers, one of them 50 times slower: at the end of the job the
// fast ones copy the slow one's chunk, the first commit wins, and every
// chunk still has exactly one result; the loser's commit, if it came, is a
// counted duplicate.
TEST_F(WorkerTest, SpeculativeCopiesFinishTheSlowWorkersChunksExactlyOnce) {
  constexpr int64_t kChunks = 40;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 1, 40), {}));
  std::atomic<bool> stop{false};
  auto opts = [&](double slowdown) { return one_slot("j", slowdown, 300); };
  auto f1 = start("fast1", opts(1), stop);
  auto f2 = start("fast2", opts(1), stop);
  auto slow = start("slow", opts(50), stop);
  std::vector<Result<WorkerStats>> rs;
  for (auto* f : {&f1, &f2, &slow}) rs.push_back(f->get());
  int64_t speculated = 0, duplicates = 0;
  for (const auto& r : rs) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_reason, "finished");
    speculated += r->speculated;
    duplicates += r->duplicates;
  }
  EXPECT_EQ(rs[2]->speculated, 0) << "the slow worker copied a chunk";
  check_exactly_once("j", kChunks);
  auto s = store_->status("j");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, JobState::kComplete);
  EXPECT_GE(s->speculated, 1) << "no copy of the slow worker's chunk was made";
  EXPECT_EQ(s->speculated, speculated);
  EXPECT_GE(s->speculative_wins, 1);
  EXPECT_LE(s->speculative_wins, s->speculated);
  EXPECT_EQ(s->duplicates, duplicates);
  EXPECT_EQ(count_events("j", "speculated"), s->speculated);
}

TEST_F(WorkerTest, NoCopyIsMadeWhenSpeculationIsOff) {
  constexpr int64_t kChunks = 20;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 1, 40), {}));
  std::atomic<bool> stop{false};
  auto opts = [&](double slowdown) {
    WorkerOptions o = one_slot("j", slowdown, 100);
    o.speculate = false;
    return o;
  };
  auto f1 = start("fast1", opts(1), stop);
  auto slow = start("slow", opts(20), stop);
  for (auto* f : {&f1, &slow}) {
    auto r = f->get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_reason, "finished");
    EXPECT_EQ(r->speculated, 0);
    EXPECT_EQ(r->duplicates, 0);
  }
  check_exactly_once("j", kChunks);
  auto s = store_->status("j");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->speculated, 0);
  EXPECT_EQ(s->speculative_wins, 0);
}

}  // namespace
}  // namespace ttg::worker

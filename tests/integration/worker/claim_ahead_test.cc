// Claim ahead and the speculative tail (docs/PROTOCOL.md): workers in
// threads of the test process against a real redis-server.

#include <gtest/gtest.h>

#include <future>
#include <set>

#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "worker/worker.h"

namespace ttg::worker {
namespace {

using ttg::testing::RedisTest;

class ClaimAheadTest : public RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = std::make_unique<queue::JobStore>(server_->options());
  }

  static Result<std::unique_ptr<kernels::Kernel>> kernel_for(const JobSpec& spec) {
    return kernels::make_kernel(spec);
  }

  WorkerOptions options(const std::string& job, int64_t lease_ms) {
    WorkerOptions o;
    o.job = job;
    o.threads = 2;
    o.lease_ms = lease_ms;
    o.reclaim_interval_ms = 100;
    o.idle_timeout_ms = 30000;
    o.drain_timeout_ms = 5000;
    return o;
  }

  std::future<Result<WorkerStats>> start(const std::string& name, WorkerOptions o,
                                         std::atomic<bool>& stop) {
    auto opts = server_->options();
    const int64_t lease = o.lease_ms;
    QueueFactory factory = [opts, name, lease] {
      return queue::make_redis_queue(opts, queue::QueueOptions{name, name, lease});
    };
    return std::async(std::launch::async, [factory, o, &stop] {
      KernelFactory k = &ClaimAheadTest::kernel_for;
      return run_worker(o, factory, k, stop);
    });
  }

  // Every chunk has exactly one result.
  void check_exactly_once(const std::string& job, int64_t total_chunks) {
    std::multiset<std::string> chunks;
    auto st = store_->for_each_result(
        job, [&](const queue::ResultRecord& r) { chunks.insert(r.fields.at("chunk_id")); });
    ASSERT_TRUE(st) << st.error().message;
    std::set<std::string> unique(chunks.begin(), chunks.end());
    EXPECT_EQ(unique.size(), chunks.size()) << "a chunk has two results";
    EXPECT_EQ(static_cast<int64_t>(unique.size()), total_chunks) << "results are missing";
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

JobSpec simulate_spec(int64_t params, int64_t work_ms) {
  JobSpec s;
  s.kernel = "simulate";
  s.args = {{"work_ms", work_ms}};
  s.total_params = params;
  s.chunk_size = 1;
  return s;
}

// Short chunks under a 1 s lease, with renewals held back for a minute: a
// claimed chunk keeps its lease only because claim ahead queues no more
// than a tenth of the lease of work per slot. Any lease that ran out
// would show as a takeover by the sweeper (every 100 ms).
TEST_F(ClaimAheadTest, QueuedChunksStartLongBeforeTheirLeaseRunsOutEvenWithoutRenewals) {
  constexpr int64_t kChunks = 600;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 1), {}));
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
TEST_F(ClaimAheadTest, ChunksLongerThanTheBudgetAreClaimedOnlyForFreeSlots) {
  constexpr int64_t kChunks = 12;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 100), {}));
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
TEST_F(ClaimAheadTest, SpeculativeCopiesFinishTheSlowWorkersChunksExactlyOnce) {
  constexpr int64_t kChunks = 40;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 40), {}));
  std::atomic<bool> stop{false};
  auto opts = [&](double slowdown) {
    WorkerOptions o = options("j", 2000);
    o.threads = 1;
    o.slowdown = slowdown;
    o.speculation.min_age_ms = 300;
    return o;
  };
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

TEST_F(ClaimAheadTest, NoCopyIsMadeWhenSpeculationIsOff) {
  constexpr int64_t kChunks = 20;
  ASSERT_TRUE(store_->submit("j", simulate_spec(kChunks, 40), {}));
  std::atomic<bool> stop{false};
  auto opts = [&](double slowdown) {
    WorkerOptions o = options("j", 2000);
    o.threads = 1;
    o.slowdown = slowdown;
    o.speculate = false;
    o.speculation.min_age_ms = 100;
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

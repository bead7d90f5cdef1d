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

}  // namespace
}  // namespace ttg::worker

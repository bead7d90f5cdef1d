// The worker's retry, lease-loss, drain and incarnation logic against an
// in-memory queue (tests/support/fake_queue.h). The same behaviours are
// proven against a real redis-server in tests/integration/.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "support/fake_queue.h"
#include "worker/worker.h"

namespace ttg::testing {
namespace {

using namespace std::chrono_literals;

// A kernel whose behaviour the test decides per chunk and attempt. Records
// the specs it was made for, and which chunk ran with which kernel "tag".
struct Script {
  std::mutex mu;
  std::function<Result<std::string>(const kernels::ChunkTask&, const kernels::CancelFlag&,
                                    const JobSpec&)>
      run;
  std::vector<std::string> made_for;  // kernel names asked of the factory
};

class ScriptedKernel : public kernels::Kernel {
 public:
  ScriptedKernel(std::shared_ptr<Script> s, JobSpec spec) : s_(std::move(s)), spec_(spec) {}
  Result<std::string> run(const kernels::ChunkTask& t, const kernels::CancelFlag& c) override {
    return s_->run(t, c, spec_);
  }

 private:
  std::shared_ptr<Script> s_;
  JobSpec spec_;
};

JobSpec spec_of(int64_t params, int64_t chunk_size, std::string kernel = "noop") {
  JobSpec s;
  s.kernel = std::move(kernel);
  s.args = nlohmann::json::object();
  s.total_params = params;
  s.chunk_size = chunk_size;
  s.max_attempts = 3;
  return s;
}

std::string tagged(const JobSpec& spec, const kernels::ChunkTask& t) {
  std::string tag = spec.args.contains("tag") ? spec.args["tag"].get<std::string>() : "";
  return "[{\"chunk\":" + std::to_string(t.chunk) + ",\"tag\":\"" + tag + "\"}]";
}

class WorkerLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_shared<FakeBroker>();
    script_ = std::make_shared<Script>();
    script_->run = [](const kernels::ChunkTask& t, const kernels::CancelFlag&,
                      const JobSpec& spec) -> Result<std::string> { return tagged(spec, t); };
    options_.threads = 1;
    options_.lease_ms = 300;
    options_.renew_interval_ms = 20;
    options_.idle_timeout_ms = 400;
    options_.drain_timeout_ms = 2000;
  }

  // Runs a worker named `name` in the background.
  std::future<Result<worker::WorkerStats>> start(const std::string& name = "w1") {
    make_queue_ = [b = broker_, name] { return std::make_unique<FakeQueue>(b, name); };
    make_kernel_ = [s = script_](const JobSpec& spec) -> Result<std::unique_ptr<kernels::Kernel>> {
      {
        std::lock_guard<std::mutex> lock(s->mu);
        s->made_for.push_back(spec.kernel);
      }
      return std::unique_ptr<kernels::Kernel>(new ScriptedKernel(s, spec));
    };
    return std::async(std::launch::async, [this] {
      return worker::run_worker(options_, make_queue_, make_kernel_, stop_);
    });
  }

  // Waits (bounded) for the worker to return.
  worker::WorkerStats finish(std::future<Result<worker::WorkerStats>>& f,
                             std::chrono::seconds limit = 20s) {
    if (f.wait_for(limit) != std::future_status::ready) {
      stop_ = true;  // let the test end; the assertion below reports it
      ADD_FAILURE() << "worker did not return within " << limit.count() << " s";
      f.wait_for(10s);
      return {};
    }
    auto r = f.get();
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : worker::WorkerStats{};
  }

  std::shared_ptr<FakeBroker> broker_;
  std::shared_ptr<Script> script_;
  worker::WorkerOptions options_;
  worker::QueueFactory make_queue_;
  worker::KernelFactory make_kernel_;
  std::atomic<bool> stop_{false};
};

TEST_F(WorkerLogicTest, CompletesAJobWithOneResultPerChunk) {
  broker_->submit("j", spec_of(20, 2));
  options_.job = "j";
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "finished");
  EXPECT_EQ(stats.committed, 10);
  auto j = broker_->snapshot("j");
  ASSERT_TRUE(j);
  for (const auto& c : j->chunks) EXPECT_EQ(c.commits, 1);
}

// Failure 2 of the long-lived service: a chunk lost while it waits for its
// retry must free its slot, or a one-slot worker never works again.
TEST_F(WorkerLogicTest, ChunkLostDuringRetryBackOffFreesItsSlot) {
  broker_->submit("j", spec_of(3, 1));
  options_.job = "j";
  std::atomic<int> runs_of_0{0};
  script_->run = [&](const kernels::ChunkTask& t, const kernels::CancelFlag&,
                     const JobSpec& spec) -> Result<std::string> {
    if (t.chunk == 0) {
      ++runs_of_0;
      return make_error(ErrorCode::kKernelFailed, "first attempt fails");
    }
    return tagged(spec, t);
  };
  // While chunk 0 waits for its back-off, another worker takes it over.
  broker_->on_fail = [](FakeBroker& b, const queue::Chunk& c) {
    if (c.chunk == 0) b.find("j")->chunks[0].owner = "other";
  };
  auto f = start();
  // The stolen chunk is finished by "other"; this worker must finish the rest.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto j = broker_->snapshot("j");
    ASSERT_TRUE(j);
    if (j->chunks[1].done && j->chunks[2].done) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the worker never claimed again after losing a chunk in back-off";
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard<std::mutex> lock(broker_->mu);
    auto& c0 = broker_->find("j")->chunks[0];
    c0.done = true;
    c0.owner.clear();
    broker_->find("j")->state = JobState::kComplete;
  }
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "finished");
  EXPECT_EQ(stats.lost, 1);
  EXPECT_EQ(runs_of_0.load(), 1) << "a lost chunk must not be retried here";
  EXPECT_EQ(broker_->snapshot("j")->chunks[0].commits, 0);
}

TEST_F(WorkerLogicTest, ChunkLostWhileComputingIsCancelledAndNotCommitted) {
  broker_->submit("j", spec_of(2, 1));
  options_.job = "j";
  std::atomic<bool> saw_cancel{false};
  script_->run = [&](const kernels::ChunkTask& t, const kernels::CancelFlag& cancel,
                     const JobSpec& spec) -> Result<std::string> {
    if (t.chunk == 0 && t.attempt == 1) {
      {
        std::lock_guard<std::mutex> lock(broker_->mu);
        broker_->find("j")->chunks[0].owner = "other";
      }
      auto until = std::chrono::steady_clock::now() + 10s;
      while (!cancel.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(2ms);
      }
      saw_cancel = cancel.load();
      return make_error(ErrorCode::kCancelled, "cancelled");
    }
    return tagged(spec, t);
  };
  auto f = start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!broker_->snapshot("j")->chunks[1].done) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard<std::mutex> lock(broker_->mu);
    broker_->find("j")->chunks[0].done = true;
    broker_->find("j")->state = JobState::kComplete;
  }
  auto stats = finish(f);
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_EQ(stats.lost, 1);
  EXPECT_EQ(broker_->snapshot("j")->chunks[0].commits, 0);
  EXPECT_EQ(broker_->calls("fail"), 0) << "a cancelled computation is not a kernel failure";
}

TEST_F(WorkerLogicTest, KernelErrorsAreRetriedThenDeadLettered) {
  auto spec = spec_of(2, 1);
  spec.max_attempts = 3;
  broker_->submit("j", spec);
  options_.job = "j";
  std::atomic<int> attempts{0};
  script_->run = [&](const kernels::ChunkTask& t, const kernels::CancelFlag&,
                     const JobSpec& s) -> Result<std::string> {
    if (t.chunk == 1) {
      ++attempts;
      return make_error(ErrorCode::kKernelFailed, "always fails");
    }
    return tagged(s, t);
  };
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "finished");
  EXPECT_EQ(attempts.load(), 3);
  EXPECT_EQ(stats.retries, 2);
  EXPECT_EQ(stats.dead, 1);
  EXPECT_TRUE(broker_->snapshot("j")->chunks[1].dead);
}

TEST_F(WorkerLogicTest, DrainHandsBackWhatItCannotFinishAndRefundsTheAttempt) {
  broker_->submit("j", spec_of(1, 1));
  options_.job = "j";
  options_.drain_timeout_ms = 200;
  std::atomic<bool> running{false};
  script_->run = [&](const kernels::ChunkTask&, const kernels::CancelFlag& cancel,
                     const JobSpec&) -> Result<std::string> {
    running = true;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!cancel.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(2ms);
    }
    return make_error(ErrorCode::kCancelled, "cancelled");
  };
  auto f = start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!running.load()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(5ms);
  }
  stop_ = true;
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "stopped");
  EXPECT_EQ(stats.released, 1);
  auto j = broker_->snapshot("j");
  EXPECT_TRUE(j->chunks[0].handed_back);
  EXPECT_EQ(j->chunks[0].attempts, 0) << "the interrupted attempt is given back";
  EXPECT_EQ(j->chunks[0].commits, 0);
}

// Failure 1: a job submitted again under the same name with another kernel
// must be computed with the new kernel; what was computed for the old run is
// never recorded in the new one.
TEST_F(WorkerLogicTest, ResubmittedJobIsComputedWithItsNewSpec) {
  auto v1 = spec_of(4, 1);
  v1.args["tag"] = "old";
  broker_->submit("j", v1);
  options_.job = "j";
  std::atomic<bool> resubmitted{false};
  auto v2 = spec_of(6, 2);
  v2.args["tag"] = "new";
  script_->run = [&](const kernels::ChunkTask& t, const kernels::CancelFlag&,
                     const JobSpec& spec) -> Result<std::string> {
    if (!resubmitted.exchange(true)) {
      // Resubmit while the first chunk of the old run is being computed.
      std::lock_guard<std::mutex> lock(broker_->mu);
      auto& j = broker_->jobs["j"];
      j = FakeBroker::Job{};
      j.run = "run-new";
      j.spec = v2;
      j.chunks.resize(3);
    }
    return tagged(spec, t);
  };
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "finished");
  auto j = broker_->snapshot("j");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->run, "run-new");
  ASSERT_EQ(j->chunks.size(), 3u);
  for (const auto& c : j->chunks) {
    EXPECT_EQ(c.commits, 1);
    EXPECT_NE(c.result.find("\"tag\":\"new\""), std::string::npos) << c.result;
  }
}

// Failure 7: a worker of several jobs whose one job disappears keeps serving
// the others, including a chunk of another job that waits for its retry.
TEST_F(WorkerLogicTest, RemovedJobDoesNotDisturbAnotherJobsRetry) {
  broker_->submit("a", spec_of(1, 1));
  broker_->submit("b", spec_of(1, 1));
  options_.threads = 2;
  std::atomic<int> b_runs{0};
  script_->run = [&](const kernels::ChunkTask& t, const kernels::CancelFlag&,
                     const JobSpec& spec) -> Result<std::string> {
    if (t.job == "b" && b_runs++ == 0) {
      return make_error(ErrorCode::kKernelFailed, "b fails once");
    }
    if (t.job == "a") broker_->remove("a");  // gone before its result is committed
    return tagged(spec, t);
  };
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "idle");
  auto b = broker_->snapshot("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->chunks[0].commits, 1);
  EXPECT_EQ(b_runs.load(), 2);
}

TEST_F(WorkerLogicTest, ExecJobsAreRefusedUnlessAllowed) {
  auto exec = spec_of(2, 1, "exec");
  exec.args["command"] = "/opt/models/run --fast";
  broker_->submit("e", exec);
  broker_->submit("n", spec_of(2, 1));
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.refused, 1);
  {
    std::lock_guard<std::mutex> lock(script_->mu);
    for (const auto& k : script_->made_for) EXPECT_NE(k, "exec") << "an exec kernel was made";
  }
  auto e = broker_->snapshot("e");
  ASSERT_TRUE(e);
  ASSERT_EQ(e->refused.count("w1"), 1u);
  EXPECT_NE(e->refused["w1"].find("--allow-exec"), std::string::npos);
  for (const auto& c : e->chunks) EXPECT_EQ(c.attempts, 0);
  auto n = broker_->snapshot("n");
  ASSERT_TRUE(n);
  for (const auto& c : n->chunks) EXPECT_EQ(c.commits, 1);
}

TEST_F(WorkerLogicTest, ExecJobsRunUnderAnAllowedPrefix) {
  auto exec = spec_of(2, 1, "exec");
  exec.args["command"] = "/opt/models/run --fast";
  broker_->submit("e", exec);
  options_.exec_prefixes = {"/opt/other/"};
  options_.job = "e";
  auto refused = start();
  auto r = refused.wait_for(20s) == std::future_status::ready
               ? refused.get()
               : Result<worker::WorkerStats>(make_error(ErrorCode::kTimeout, "did not return"));
  ASSERT_FALSE(r) << "a worker of this job alone says why it cannot serve it";
  EXPECT_NE(r.error().message.find("outside the allowed exec prefixes"), std::string::npos)
      << r.error().message;

  options_.exec_prefixes = {"/opt/models/"};
  auto f = start("w2");
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "finished");
  EXPECT_EQ(stats.committed, 2);
}

TEST_F(WorkerLogicTest, WorkerOfAJobThatNeverAppearsSaysSoAtItsIdleTimeOut) {
  options_.job = "nosuch";
  options_.idle_timeout_ms = 300;
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "no_job");
}

TEST_F(WorkerLogicTest, IdleWorkerSleepsBetweenPolls) {
  // No jobs at all: in a second, an idle worker makes a bounded number of
  // calls (claims back off to 200 ms, job listing every 200 ms, liveness
  // checks every 250 ms, heartbeats every renew interval).
  options_.idle_timeout_ms = 1000;
  options_.renew_interval_ms = 100;
  auto f = start();
  auto stats = finish(f);
  EXPECT_EQ(stats.exit_reason, "idle");
  int64_t calls = 0;
  {
    std::lock_guard<std::mutex> lock(broker_->mu);
    for (auto& [m, n] : broker_->call_counts) calls += n;
  }
  EXPECT_LT(calls, 60) << "an idle worker polled " << calls << " times in one second";
}

}  // namespace
}  // namespace ttg::testing

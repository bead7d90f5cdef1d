#pragma once
// An in-memory work queue for unit tests of the worker's logic (retries,
// lease loss, drain, incarnations) without a server. One FakeBroker holds the
// state; each FakeQueue is one consumer's connection to it (a worker makes
// one per thread, like RedisStreamQueue). It keeps the protocol's rules that
// the worker relies on: first commit wins, attempts counted per claim and
// retry, calls of a run that is over fail with kStale.
//
// Thread-safe: every call takes the broker's mutex. Test hooks run under it.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "queue/work_queue.h"

namespace ttg::testing {

class FakeBroker {
 public:
  struct ChunkState {
    std::string owner;  // consumer holding it; empty when not claimed
    bool handed_back = false;
    int attempts = 0;
    bool done = false;
    bool dead = false;
    std::string dead_reason;
    int commits = 0;           // results recorded (must end at 1 or 0)
    std::string committed_by;  // consumer of the recorded result
    std::string result;        // the recorded result_data
  };
  struct Job {
    std::string run;
    JobSpec spec;
    JobState state = JobState::kPending;
    std::vector<ChunkState> chunks;
    int64_t next = 0;  // next chunk never claimed
    int64_t duplicates = 0, retries = 0, released = 0;
    std::map<std::string, std::string> refused;
  };

  // Creates (or replaces, with a fresh run id) job `name`; returns the run.
  std::string submit(const std::string& name, const JobSpec& spec);
  void remove(const std::string& name);
  // Another consumer takes `chunk` (as after the lease expired).
  void steal(const std::string& name, int64_t chunk, const std::string& by);

  // Hooks, called with the broker locked.
  std::function<void(FakeBroker&, const queue::Chunk&)> on_fail;
  std::function<void(FakeBroker&, const queue::Chunk&)> on_claim;

  Job* find(const std::string& name);
  // A copy of the job's state, taken under the lock.
  std::optional<Job> snapshot(const std::string& name);
  int64_t calls(const std::string& method);

  std::mutex mu;  // guards everything; the hooks run under it
  std::map<std::string, Job> jobs;
  std::map<std::string, int64_t> call_counts;
  int next_run = 0;
};

class FakeQueue final : public queue::WorkQueue {
 public:
  FakeQueue(std::shared_ptr<FakeBroker> broker, std::string consumer)
      : broker_(std::move(broker)), consumer_(std::move(consumer)) {}

  Result<std::vector<queue::JobRef>> active_jobs() override;
  Result<queue::JobView> job(const std::string& name) override;
  Result<std::vector<queue::Chunk>> claim(const queue::JobRef& job, const JobSpec& spec, int max,
                                          int ahead = 0) override;
  Result<std::vector<std::string>> renew(const queue::JobRef& job,
                                         const std::vector<std::string>& ids) override;
  Result<std::vector<queue::CommitOutcome>> commit(
      const std::vector<queue::Completion>& completions) override;
  Result<queue::FailOutcome> fail(const queue::Chunk& chunk, const std::string& error) override;
  Status dead_letter(const queue::Chunk& chunk, const std::string& reason) override;
  Status release(const queue::JobRef& job, const std::vector<std::string>& ids) override;
  Result<int64_t> adopt(const queue::JobRef& job, const std::vector<std::string>& held) override;
  Status refuse(const queue::JobRef& job, const std::string& reason) override;
  Result<bool> retire(const std::string& job) override;
  Status heartbeat(const queue::WorkerInfo& info) override;
  Status leave() override;
  Result<queue::SweepReport> sweep(const std::map<queue::JobRef, std::vector<std::string>>& held,
                                   bool as_sweeper) override;
  const std::string& consumer() const override { return consumer_; }

 private:
  // The job of `ref`'s run, or kStale/kNotFound. Caller holds the lock.
  Result<FakeBroker::Job*> current(const queue::JobRef& ref);

  std::shared_ptr<FakeBroker> broker_;
  std::string consumer_;
};

}  // namespace ttg::testing

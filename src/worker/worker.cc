#include "worker/worker.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "obs/log.h"
#include "util/backoff.h"

namespace ttg::worker {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct InFlight {
  queue::Chunk chunk;
  std::shared_ptr<kernels::CancelFlag> cancel = std::make_shared<kernels::CancelFlag>(false);
  bool lost = false;
  bool waiting_retry = false;
  Clock::time_point retry_at{};
  Clock::time_point started{};
};

struct Task {
  std::string key;
  queue::Chunk chunk;
  std::shared_ptr<const JobSpec> spec;
  std::shared_ptr<kernels::CancelFlag> cancel;
};

struct Outcome {
  std::string key;
  Result<std::string> result;
  double seconds = 0;
};

std::string key_of(const queue::Chunk& c) { return c.job + "\n" + c.entry_id; }

std::string chunk_str(const queue::Chunk& c) { return std::to_string(c.chunk); }

// Back-off before retry `attempt` (2, 3, ...) of a failed chunk.
milliseconds retry_delay(int attempt) {
  int64_t base = 100LL << std::min(attempt - 2, 10);
  return util::jittered(milliseconds(std::min<int64_t>(base, 5000)), 0.5);
}

class Worker {
 public:
  Worker(const WorkerOptions& options, const QueueFactory& make_queue,
         const KernelFactory& make_kernel, const std::atomic<bool>& stop)
      : options_(options), make_queue_(make_queue), make_kernel_(make_kernel), stop_(stop) {
    if (options_.threads < 1) options_.threads = 1;
    if (options_.renew_interval_ms <= 0)
      options_.renew_interval_ms = std::max<int64_t>(options_.lease_ms / 3, 10);
  }

  Result<WorkerStats> run() {
    queue_ = make_queue_();
    for (int i = 0; i < options_.threads; ++i) pool_.emplace_back([this] { compute_loop(); });
    std::thread lease([this] { lease_loop(); });
    auto result = main_loop();
    retire();
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
      for (auto& [k, f] : in_flight_) f.cancel->store(true);
    }
    work_cv_.notify_all();
    lease_cv_.notify_all();
    for (auto& t : pool_) t.join();
    lease.join();
    stats_.lost = stats_lost_;
    if (!result) return tl::unexpected(result.error());
    return stats_;
  }

 private:
  Result<void> main_loop() {
    auto now = Clock::now();
    last_activity_ = now;
    auto next_claim = now;
    auto next_reclaim = now + util::jittered(milliseconds(options_.reclaim_interval_ms), 0.5);
    bool reclaim_due = false;
    auto next_jobs = now;
    auto next_state_check = now;
    milliseconds idle_poll(5);
    std::optional<Clock::time_point> drain_started;

    for (;;) {
      now = Clock::now();
      bool stopping = stop_.load();
      if (stopping && !drain_started) {
        drain_started = now;
        obs::log_info("stopping: finishing in-flight chunks",
                      {{"in_flight", std::to_string(in_flight_count())},
                       {"drain_timeout_ms", std::to_string(options_.drain_timeout_ms)}});
      }
      handle_outcomes();
      start_due_retries(now);
      if (fatal_) return tl::unexpected(*fatal_);

      if (!stopping) {
        if (now >= next_jobs) {
          refresh_jobs();
          next_jobs = now + milliseconds(jobs_.empty() ? 200 : 1000);
        }
        int free = options_.threads - static_cast<int>(in_flight_count());
        // A takeover scan that falls due while every slot is busy waits for
        // the next free slot, and then goes before new work: a chunk whose
        // owner died is older than any chunk not yet claimed, and under a
        // steady stream of new work it would otherwise wait for the stream's
        // end.
        if (now >= next_reclaim) {
          reclaim_due = true;
          next_reclaim = now + util::jittered(milliseconds(options_.reclaim_interval_ms), 0.5);
        }
        if (reclaim_due && free > 0) {
          free -= reclaim_round(free);
          reclaim_due = false;
        }
        if (free > 0 && now >= next_claim) {
          int got = claim_round(free);
          if (got > 0) {
            idle_poll = milliseconds(5);
            next_claim = now;
          } else {
            next_claim = now + idle_poll;
            idle_poll = std::min(idle_poll * 2, milliseconds(200));
          }
        }
      }

      bool idle = in_flight_count() == 0 && pending_commits_.empty();
      if (idle) {
        if (stopping) {
          stats_.exit_reason = "stopped";
          return {};
        }
        if (!options_.job.empty() && now >= next_state_check) {
          next_state_check = now + milliseconds(250);
          auto view = queue_->job(options_.job);
          if (view && (view->state == JobState::kComplete || view->state == JobState::kCancelled)) {
            stats_.exit_reason = "finished";
            return {};
          }
        }
        if (options_.idle_timeout_ms > 0 &&
            now - last_activity_ >= milliseconds(options_.idle_timeout_ms)) {
          stats_.exit_reason = "idle";
          return {};
        }
      } else {
        last_activity_ = now;
      }
      if (drain_started && now - *drain_started >= milliseconds(options_.drain_timeout_ms)) {
        hand_back_all();
        stats_.exit_reason = "stopped";
        return {};
      }
      // Sleep until a chunk finishes, or until there is something to do: a
      // claim when a slot is free, a takeover scan, a retry that falls due.
      auto wake = next_reclaim;
      if (!stopping && options_.threads > static_cast<int>(in_flight_count())) {
        wake = std::min(wake, next_claim);
      }
      wait_for_outcomes(std::min(wake, next_retry_due()));
    }
  }

  // On the way out: leave no empty consumer behind in the groups served.
  void retire() {
    if (!options_.job.empty() || !specs_.empty()) {
      std::set<std::string> served(jobs_.begin(), jobs_.end());
      for (auto& [job, spec] : specs_) served.insert(job);
      for (const auto& job : served) {
        auto r = queue_->retire(job);
        if (!r && r.error().code != ErrorCode::kNoGroup) {
          obs::log_debug("cannot retire consumer", {{"job", job}, {"error", r.error().message}});
        }
      }
    }
  }

  size_t in_flight_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return in_flight_.size();
  }

  void refresh_jobs() {
    if (!options_.job.empty()) {
      if (refused_.count(options_.job) == 0) jobs_ = {options_.job};
      return;
    }
    auto active = queue_->active_jobs();
    if (!active) {
      obs::log_warn("cannot list jobs", {{"error", active.error().message}});
      return;
    }
    jobs_.clear();
    for (auto& j : *active) {
      if (refused_.count(j) == 0) jobs_.push_back(j);
    }
  }

  // Returns the job's spec, learning it (and checking that this worker can
  // run its kernel) on first use; nullptr if the job is refused or unknown.
  std::shared_ptr<const JobSpec> spec_for(const std::string& job) {
    auto it = specs_.find(job);
    if (it != specs_.end()) return it->second;
    auto view = queue_->job(job);
    if (!view) {
      if (view.error().code != ErrorCode::kNotFound) {
        obs::log_warn("cannot read job", {{"job", job}, {"error", view.error().message}});
      }
      return nullptr;
    }
    auto kernel = make_kernel_(view->spec);
    if (!kernel) {
      obs::log_error(
          "refusing job: cannot run its kernel here",
          {{"job", job}, {"kernel", view->spec.kernel}, {"error", kernel.error().message}});
      refused_.insert(job);
      jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), job), jobs_.end());
      if (job == options_.job && !fatal_) {
        // A worker of this job alone has nothing else to do: it says why.
        fatal_ = kernel.error().with_context("job " + job + ": cannot run kernel '" +
                                             view->spec.kernel + "' here");
      }
      return nullptr;
    }
    auto spec = std::make_shared<const JobSpec>(view->spec);
    specs_[job] = spec;
    return spec;
  }

  int claim_round(int free) {
    int got = 0;
    for (size_t i = 0; i < jobs_.size() && free > 0; ++i) {
      const std::string job = jobs_[(rotate_ + i) % jobs_.size()];
      auto spec = spec_for(job);
      if (!spec) continue;
      auto chunks = queue_->claim(job, free);
      if (!chunks) {
        log_redis_error("claim", job, chunks.error());
        continue;
      }
      for (auto& c : *chunks) {
        ++stats_.claimed;
        if (start(std::move(c), spec)) {
          ++got;
          --free;
        }
      }
    }
    ++rotate_;
    return got;
  }

  // Takes over up to `free` chunks whose lease expired; returns how many it
  // started.
  int reclaim_round(int free) {
    int started = 0;
    for (const auto& job : std::vector<std::string>(jobs_)) {
      if (free <= 0) break;
      auto spec = spec_for(job);
      if (!spec) continue;
      auto chunks = queue_->reclaim(job, free, held_ids(job));
      if (!chunks) {
        log_redis_error("reclaim", job, chunks.error());
        continue;
      }
      for (auto& c : *chunks) {
        ++stats_.taken_over;
        obs::log_info("took over chunk", {{"job", job},
                                          {"chunk", chunk_str(c)},
                                          {"from", c.previous_owner},
                                          {"idle_ms", std::to_string(c.idle_ms)},
                                          {"attempt", std::to_string(c.attempt)}});
        if (start(std::move(c), spec)) {
          --free;
          ++started;
        }
      }
    }
    return started;
  }

  std::vector<std::string> held_ids(const std::string& job) {
    std::vector<std::string> ids;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.chunk.job == job) ids.push_back(f.chunk.entry_id);
    }
    return ids;
  }

  // Starts computing `chunk`; false when it is malformed (dead-lettered).
  bool start(queue::Chunk chunk, const std::shared_ptr<const JobSpec>& spec) {
    if (!chunk.malformed.empty()) {
      obs::log_warn("dead-lettering malformed entry",
                    {{"job", chunk.job}, {"entry", chunk.entry_id}, {"reason", chunk.malformed}});
      auto st = queue_->dead_letter(chunk, chunk.malformed);
      if (!st) log_redis_error("dead_letter", chunk.job, st.error());
      ++stats_.malformed;
      return false;
    }
    InFlight f;
    f.chunk = chunk;
    f.started = Clock::now();
    Task t{key_of(chunk), chunk, spec, f.cancel};
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_[t.key] = std::move(f);
      tasks_.push_back(std::move(t));
    }
    work_cv_.notify_one();
    return true;
  }

  Clock::time_point next_retry_due() {
    auto due = Clock::time_point::max();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.waiting_retry) due = std::min(due, f.retry_at);
    }
    return due;
  }

  void start_due_retries(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.waiting_retry && now >= f.retry_at && !f.lost) {
        f.waiting_retry = false;
        f.started = now;
        tasks_.push_back(Task{k, f.chunk, specs_.at(f.chunk.job), f.cancel});
        work_cv_.notify_one();
      }
    }
  }

  void compute_loop() {
    // This slot's kernel of each job, and the job's parameter sets.
    struct SlotKernel {
      std::unique_ptr<kernels::Kernel> kernel;
      kernels::PointFn point;
    };
    std::map<std::string, SlotKernel> kernels;
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      auto started = Clock::now();
      Result<std::string> result = make_error(ErrorCode::kInternal, "no kernel");
      auto& slot = kernels[task.chunk.job];
      if (!slot.kernel) {
        auto made = make_kernel_(*task.spec);
        if (made) {
          slot.kernel = std::move(*made);
          slot.point = kernels::points_for(*task.spec);
        } else {
          result = tl::unexpected(made.error());
        }
      }
      if (slot.kernel) {
        kernels::ChunkTask ct{task.chunk.job, task.chunk.chunk,   task.chunk.begin,
                              task.chunk.end, task.chunk.attempt, slot.point};
        result = slot.kernel->run(ct, *task.cancel);
      }
      double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      {
        std::lock_guard<std::mutex> lock(mu_);
        outcomes_.push_back(Outcome{task.key, std::move(result), seconds});
      }
      outcome_cv_.notify_one();
    }
  }

  void wait_for_outcomes(Clock::time_point until) {
    auto limit = Clock::now() + milliseconds(100);
    std::unique_lock<std::mutex> lock(mu_);
    outcome_cv_.wait_until(lock, std::min(until, limit),
                           [&] { return !outcomes_.empty() || stop_.load(); });
  }

  void handle_outcomes() {
    std::deque<Outcome> outcomes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      outcomes.swap(outcomes_);
    }
    for (auto& o : outcomes) {
      InFlight f;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = in_flight_.find(o.key);
        if (it == in_flight_.end()) continue;
        f = it->second;
      }
      if (o.result) {
        queue::Completion c;
        c.chunk = f.chunk;
        c.duration_seconds = o.seconds;
        c.completed_at = iso8601_now();
        c.result_data = std::move(*o.result);
        pending_commits_.push_back(std::move(c));
        continue;
      }
      const Error& e = o.result.error();
      if (e.code == ErrorCode::kCancelled) {
        // Lease lost, or shutting down: another worker has it, or it is
        // handed back by hand_back_all().
        if (!shutting_down_now()) erase(o.key);
        continue;
      }
      obs::log_warn("chunk failed", {{"job", f.chunk.job},
                                     {"chunk", chunk_str(f.chunk)},
                                     {"attempt", std::to_string(f.chunk.attempt)},
                                     {"error", e.message}});
      auto outcome = queue_->fail(f.chunk, e.message);
      if (!outcome) {
        // Cannot report it now: keep the lease and try the chunk again later.
        log_redis_error("fail", f.chunk.job, outcome.error());
        schedule_retry(o.key, f.chunk.attempt);
        continue;
      }
      switch (outcome->kind) {
        case queue::FailOutcome::Kind::kRetry:
          ++stats_.retries;
          schedule_retry(o.key, outcome->attempt);
          break;
        case queue::FailOutcome::Kind::kDead:
          ++stats_.dead;
          obs::log_error("chunk dead-lettered after its last attempt",
                         {{"job", f.chunk.job},
                          {"chunk", chunk_str(f.chunk)},
                          {"attempts", std::to_string(outcome->attempt)},
                          {"error", e.message}});
          erase(o.key);
          break;
        case queue::FailOutcome::Kind::kLost:
        case queue::FailOutcome::Kind::kFinished:
          erase(o.key);
          break;
      }
    }
    flush_commits();
  }

  void flush_commits() {
    if (pending_commits_.empty()) return;
    auto outcomes = queue_->commit(pending_commits_);
    if (!outcomes && outcomes.error().code == ErrorCode::kNotFound) {
      // The job is gone (removed, or Redis lost its data): its results have
      // nowhere to go. Drop them and carry on with the rest.
      obs::log_error("dropping results of a job that no longer exists",
                     {{"error", outcomes.error().message}});
      for (const auto& c : pending_commits_) erase(key_of(c.chunk));
      pending_commits_.clear();
      specs_.clear();
      return;
    }
    if (!outcomes) {
      // Kept, and sent again on the next round: a commit is idempotent.
      log_redis_error("commit", pending_commits_.front().chunk.job, outcomes.error());
      return;
    }
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const auto& c = pending_commits_[i];
      if ((*outcomes)[i] == queue::CommitOutcome::kCommitted) {
        ++stats_.committed;
        obs::log_debug("committed", {{"job", c.chunk.job}, {"chunk", chunk_str(c.chunk)}});
      } else {
        ++stats_.duplicates;
        obs::log_info("duplicate suppressed: chunk was already finished",
                      {{"job", c.chunk.job}, {"chunk", chunk_str(c.chunk)}});
      }
      erase(key_of(c.chunk));
    }
    pending_commits_.clear();
  }

  void schedule_retry(const std::string& key, int attempt) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) return;
    it->second.chunk.attempt = attempt;
    it->second.waiting_retry = true;
    it->second.retry_at = Clock::now() + retry_delay(attempt);
  }

  void erase(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(key);
  }

  bool shutting_down_now() {
    std::lock_guard<std::mutex> lock(mu_);
    return handing_back_;
  }

  // Drain time-out: stop every computation and hand the chunks back.
  void hand_back_all() {
    // Results already computed are committed, not handed back.
    handle_outcomes();
    std::set<std::string> computed;
    for (const auto& c : pending_commits_) computed.insert(key_of(c.chunk));
    std::map<std::string, std::vector<std::string>> by_job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      handing_back_ = true;
      tasks_.clear();
      for (auto& [k, f] : in_flight_) {
        f.cancel->store(true);
        if (!f.lost && computed.count(k) == 0) by_job[f.chunk.job].push_back(f.chunk.entry_id);
      }
    }
    for (auto& [job, ids] : by_job) {
      auto st = queue_->release(job, ids);
      if (!st) {
        log_redis_error("release", job, st.error());
        continue;
      }
      stats_.released += static_cast<int64_t>(ids.size());
      obs::log_info("handed back chunks", {{"job", job}, {"count", std::to_string(ids.size())}});
    }
  }

  void lease_loop() {
    auto q = make_queue_();
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      lease_cv_.wait_for(lock, milliseconds(options_.renew_interval_ms),
                         [&] { return shutting_down_; });
      if (shutting_down_) return;
      std::map<std::string, std::vector<std::string>> by_job;
      for (auto& [k, f] : in_flight_) {
        if (!f.lost) by_job[f.chunk.job].push_back(f.chunk.entry_id);
      }
      lock.unlock();
      for (auto& [job, ids] : by_job) {
        auto lost = q->renew(job, ids);
        if (!lost) {
          obs::log_warn("cannot renew leases", {{"job", job}, {"error", lost.error().message}});
          continue;
        }
        if (lost->empty()) continue;
        std::lock_guard<std::mutex> g(mu_);
        for (const auto& id : *lost) {
          auto it = in_flight_.find(job + "\n" + id);
          if (it == in_flight_.end() || it->second.lost) continue;
          it->second.lost = true;
          it->second.cancel->store(true);
          ++stats_lost_;
          obs::log_warn("lease lost: another worker has the chunk now",
                        {{"job", job}, {"chunk", chunk_str(it->second.chunk)}});
        }
      }
      lock.lock();
    }
  }

  void log_redis_error(const char* what, const std::string& job, const Error& e) {
    obs::log_warn(std::string(what) + " failed; will retry", {{"job", job}, {"error", e.message}});
  }

  WorkerOptions options_;
  const QueueFactory& make_queue_;
  const KernelFactory& make_kernel_;
  const std::atomic<bool>& stop_;

  std::unique_ptr<queue::WorkQueue> queue_;
  std::vector<std::string> jobs_;
  std::set<std::string> refused_;
  std::optional<Error> fatal_;  // set when this worker's only job is refused
  std::map<std::string, std::shared_ptr<const JobSpec>> specs_;
  size_t rotate_ = 0;
  std::vector<queue::Completion> pending_commits_;
  Clock::time_point last_activity_;
  WorkerStats stats_;
  int64_t stats_lost_ = 0;

  std::mutex mu_;  // guards everything below
  std::map<std::string, InFlight> in_flight_;
  std::deque<Task> tasks_;
  std::deque<Outcome> outcomes_;
  bool shutting_down_ = false;
  bool handing_back_ = false;
  std::condition_variable work_cv_, outcome_cv_, lease_cv_;
  std::vector<std::thread> pool_;
};

}  // namespace

Result<WorkerStats> run_worker(const WorkerOptions& options, const QueueFactory& make_queue,
                               const KernelFactory& make_kernel, const std::atomic<bool>& stop) {
  Worker w(options, make_queue, make_kernel, stop);
  return w.run();
}

}  // namespace ttg::worker

#include "worker/worker.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
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

// Where a chunk this worker holds is. Every state is left when the lease is
// lost: a computation is cancelled, a wait for a retry is dropped at once, a
// computed result is still committed (first commit wins, so that is safe).
enum class Stage { kComputing, kWaitingRetry, kCommitting };

struct InFlight {
  queue::Chunk chunk;
  std::shared_ptr<const JobSpec> spec;
  std::shared_ptr<kernels::CancelFlag> cancel = std::make_shared<kernels::CancelFlag>(false);
  Stage stage = Stage::kComputing;
  bool lost = false;
  Clock::time_point retry_at{};
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

// A job incarnation this worker has learnt: its spec, checked runnable here.
struct Known {
  queue::JobRef ref;
  std::shared_ptr<const JobSpec> spec;
  // This worker's estimate of one chunk's compute time, in seconds: a
  // sample above it is taken at once, one below pulls it down slowly.
  // Negative until a chunk of this incarnation was computed here.
  double chunk_seconds = -1;
};

// Chunks queued per compute slot by claim ahead, at most.
constexpr int kMaxAheadPerSlot = 64;

// Mean interval between looks for a chunk to copy (speculative tail).
constexpr int64_t kSpeculateEveryMs = 500;

std::string key_of(const queue::Chunk& c) { return c.job + "\n" + c.run + "\n" + c.entry_id; }

std::string chunk_str(const queue::Chunk& c) { return std::to_string(c.chunk); }

// Back-off before retry `attempt` (2, 3, ...) of a failed chunk.
milliseconds retry_delay(int attempt) {
  int64_t base = 100LL << std::min(std::max(attempt - 2, 0), 10);
  return util::jittered(milliseconds(std::min<int64_t>(base, 5000)), 0.5);
}

// How often the lease thread beats in the worker registry (at most).
constexpr int64_t kHeartbeatMs = 250;

// Kernels a compute slot keeps ready, at most (one per job incarnation).
constexpr size_t kKernelsPerSlot = 8;

class Worker {
 public:
  Worker(const WorkerOptions& options, const QueueFactory& make_queue,
         const KernelFactory& make_kernel, const std::atomic<bool>& stop)
      : options_(options),
        make_queue_(make_queue),
        make_kernel_(make_kernel),
        stop_(stop),
        metrics_(options.metrics != nullptr ? *options.metrics : obs::null_metrics()) {
    if (options_.threads < 1) options_.threads = 1;
    if (options_.claim_ahead_ms < 0) options_.claim_ahead_ms = 0;
    if (options_.renew_interval_ms <= 0)
      options_.renew_interval_ms = std::max<int64_t>(options_.lease_ms / 3, 10);
    if (options_.liveness_interval_ms <= 0) options_.liveness_interval_ms = 250;
    if (options_.reclaim_interval_ms <= 0) options_.reclaim_interval_ms = 1000;
    options_.info.slots = options_.threads;
    options_.info.job = options_.job;
    metrics_.set_slots(options_.threads);
  }

  Result<WorkerStats> run() {
    queue_ = make_queue_();
    for (int i = 0; i < options_.threads; ++i) pool_.emplace_back([this] { compute_loop(); });
    std::thread lease([this] { lease_loop(); });
    auto result = main_loop();
    if (options_.status != nullptr) options_.status->loop_ended();
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
      for (auto& [k, f] : in_flight_) f.cancel->store(true);
    }
    work_cv_.notify_all();
    lease_cv_.notify_all();
    for (auto& t : pool_) t.join();
    lease.join();
    retire();
    stats_.lost = stats_lost_;
    if (!result) return tl::unexpected(result.error());
    return stats_;
  }

 private:
  Result<void> main_loop() {
    auto now = Clock::now();
    last_activity_ = now;
    auto next_claim = now;
    auto next_liveness = now + util::jittered(milliseconds(options_.liveness_interval_ms), 0.5);
    auto next_sweep = now;
    auto next_jobs = now;
    auto next_state_check = now;
    auto next_missing_note = now;
    milliseconds idle_poll(5);
    std::optional<Clock::time_point> drain_started;
    bool job_seen = options_.job.empty();

    for (;;) {
      now = Clock::now();
      if (options_.status != nullptr) options_.status->loop_beat(now);
      bool stopping = stop_.load();
      if (stopping && !drain_started) {
        drain_started = now;
        if (options_.status != nullptr) options_.status->set_draining();
        obs::log_info("stopping: finishing in-flight chunks",
                      {{"in_flight", std::to_string(in_flight_count())},
                       {"drain_timeout_ms", std::to_string(options_.drain_timeout_ms)}});
      }
      handle_outcomes();
      drop_lost_waits();
      start_due_retries(now);
      if (fatal_) return tl::unexpected(*fatal_);
      if (options_.metrics != nullptr) {
        metrics_.set_in_flight(static_cast<int64_t>(in_flight_count()));
        note_reconnects(*queue_, main_connections_);
      }

      if (!stopping) {
        if (now >= next_jobs) {
          const std::vector<queue::JobRef> before = jobs_;
          refresh_jobs();
          next_jobs = now + milliseconds(jobs_.empty() ? 200 : 1000);
          if (jobs_ != before) {
            // A job appeared (or went): claim now, not after the back-off
            // of a worker that had nothing to do.
            next_claim = now;
            idle_poll = milliseconds(5);
          }
        }
        if (now >= next_liveness) {
          bool sweeper_due = now >= next_sweep;
          sweep(sweeper_due);
          next_liveness = now + util::jittered(milliseconds(options_.liveness_interval_ms), 0.5);
          if (sweeper_due) {
            next_sweep = now + util::jittered(milliseconds(options_.reclaim_interval_ms), 0.5);
          }
        }
        int free = capacity() - static_cast<int>(in_flight_count());
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
          if (view) {
            job_seen = true;
            if (view->state == JobState::kComplete || view->state == JobState::kCancelled) {
              stats_.exit_reason = view->state == JobState::kComplete ? "finished" : "cancelled";
              return {};
            }
          } else if (view.error().code == ErrorCode::kNotFound && !job_seen &&
                     now >= next_missing_note) {
            // A Deployment may start workers before the job is submitted: say
            // so now and then rather than sit silent.
            next_missing_note = now + std::chrono::seconds(10);
            obs::log_warn("job does not exist (yet): waiting for it to be submitted",
                          {{"job", options_.job},
                           {"idle_timeout_ms", std::to_string(options_.idle_timeout_ms)}});
          }
        }
        if (options_.idle_timeout_ms > 0 &&
            now - last_activity_ >= milliseconds(options_.idle_timeout_ms)) {
          stats_.exit_reason = job_seen ? "idle" : "no_job";
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
      // Sleep until the next thing to do: a chunk finishes, a claim when a
      // slot is free, a liveness check, a retry falls due, a time-out.
      auto wake = std::min(next_liveness, next_retry_due());
      if (!stopping) {
        wake = std::min(wake, next_jobs);
        if (capacity() > static_cast<int>(in_flight_count())) {
          wake = std::min(wake, next_claim);
        }
      }
      if (idle && !options_.job.empty()) wake = std::min(wake, next_state_check);
      if (idle && options_.idle_timeout_ms > 0) {
        wake = std::min(wake, last_activity_ + milliseconds(options_.idle_timeout_ms));
      }
      if (drain_started) {
        wake = std::min(wake, *drain_started + milliseconds(options_.drain_timeout_ms));
      }
      wait_for_outcomes(wake);
    }
  }

  // On the way out: leave no empty consumer behind, and leave the registry.
  void retire() {
    std::set<std::string> served;
    for (auto& [name, k] : known_) served.insert(name);
    if (!options_.job.empty()) served.insert(options_.job);
    for (const auto& job : served) {
      auto r = queue_->retire(job);
      if (!r && r.error().code != ErrorCode::kNoGroup) {
        obs::log_debug("cannot retire consumer", {{"job", job}, {"error", r.error().message}});
      }
    }
    if (auto st = queue_->leave(); !st) {
      obs::log_debug("cannot leave the worker registry", {{"error", st.error().message}});
    }
  }

  size_t in_flight_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return in_flight_.size();
  }

  void refresh_jobs() {
    auto active = queue_->active_jobs();
    if (!active) {
      log_redis_error("list jobs", "", active.error());
      return;
    }
    jobs_.clear();
    for (auto& j : *active) {
      if (!options_.job.empty() && j.name != options_.job) continue;
      if (refused_.count(j) == 0) jobs_.push_back(j);
    }
  }

  // Why this worker will not run `spec`'s jobs, or nothing.
  std::optional<Error> policy_refusal(const JobSpec& spec) {
    if (spec.kernel != "exec" || options_.allow_exec_any) return std::nullopt;
    std::string command;
    if (auto it = spec.args.find("command"); it != spec.args.end() && it->is_string()) {
      command = it->get<std::string>();
    }
    std::string program = command.substr(0, command.find_first_of(" \t"));
    for (const auto& prefix : options_.exec_prefixes) {
      if (!prefix.empty() && program.rfind(prefix, 0) == 0) return std::nullopt;
    }
    std::string why = options_.exec_prefixes.empty()
                          ? "exec jobs are not allowed on this worker (start it with --allow-exec)"
                          : "program '" + program + "' is outside the allowed exec prefixes";
    return Error{ErrorCode::kInvalidArgument, why};
  }

  // The incarnation `ref` as this worker knows it: learnt (spec read, kernel
  // checked runnable here, its previous life's chunks adopted) on first use;
  // nullptr when refused or gone.
  const Known* learn(const queue::JobRef& ref) {
    auto it = known_.find(ref.name);
    if (it != known_.end() && it->second.ref == ref) return &it->second;
    if (refused_.count(ref) != 0) return nullptr;
    auto view = queue_->job(ref.name);
    if (!view) {
      if (view.error().code != ErrorCode::kNotFound) {
        log_redis_error("read job", ref.name, view.error());
      }
      return nullptr;
    }
    const queue::JobRef current = view->ref();
    if (refused_.count(current) != 0) return nullptr;
    std::optional<Error> refusal = policy_refusal(view->spec);
    if (!refusal) {
      auto kernel = make_kernel_(view->spec);
      if (!kernel) {
        refusal = kernel.error().with_context("cannot run kernel '" + view->spec.kernel + "' here");
      }
    }
    if (refusal) {
      refuse(current, *refusal);
      return nullptr;
    }
    if (it != known_.end()) {
      obs::log_info("job was submitted again: serving its new run",
                    {{"job", ref.name}, {"old_run", it->second.ref.run}, {"run", current.run}});
    }
    Known& k = known_[ref.name];
    k.ref = current;
    k.spec = std::make_shared<const JobSpec>(view->spec);
    // A worker restarted under the same name finds its previous life's chunks
    // in its own pending list: hand them over so they run again.
    auto adopted = queue_->adopt(current, held_ids(current));
    if (adopted && *adopted > 0) {
      obs::log_info("handed over chunks of this worker's previous life",
                    {{"job", ref.name}, {"count", std::to_string(*adopted)}});
    }
    return &k;
  }

  void refuse(const queue::JobRef& ref, const Error& why) {
    refused_.insert(ref);
    ++stats_.refused;
    jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), ref), jobs_.end());
    obs::log_error("refusing job: leaving its chunks to other workers",
                   {{"job", ref.name}, {"run", ref.run}, {"error", why.message}});
    if (auto st = queue_->refuse(ref, why.message); !st) {
      log_redis_error("record refusal", ref.name, st.error());
    }
    if (ref.name == options_.job && !fatal_) {
      // A worker of this job alone has nothing else to do: it says why.
      fatal_ = why.with_context("job " + ref.name);
    }
  }

  void forget(const queue::JobRef& ref) {
    auto it = known_.find(ref.name);
    if (it != known_.end() && it->second.ref == ref) known_.erase(it);
    next_refresh_now_ = true;
  }

  // Claim ahead (docs/PROTOCOL.md, "Claim ahead"): chunks of `k` this
  // worker may hold beyond one per slot, queued for its slots. The queued
  // work per slot stays within claim_ahead_ms and a tenth of the lease by
  // the estimate of the job's chunk time, so a queued chunk starts long
  // before its lease could run out even if nothing renewed it; none until
  // a chunk of the job was timed here.
  int ahead_for(const Known& k) const {
    if (k.chunk_seconds < 0 || options_.claim_ahead_ms <= 0) return 0;
    const double budget =
        static_cast<double>(std::min(options_.claim_ahead_ms, options_.lease_ms / 10)) / 1000.0;
    const double per_slot = budget / std::max(k.chunk_seconds, 1e-7);
    const int depth = per_slot >= kMaxAheadPerSlot ? kMaxAheadPerSlot : static_cast<int>(per_slot);
    return depth * options_.threads;
  }

  // The most chunks this worker may hold now: a chunk per slot, plus what
  // claim ahead allows for the job that allows most.
  int capacity() const {
    int ahead = 0;
    for (const auto& [name, k] : known_) ahead = std::max(ahead, ahead_for(k));
    return options_.threads + ahead;
  }

  // Chunks of `ref` held now.
  int held_of(const queue::JobRef& ref) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [key, f] : in_flight_) n += f.chunk.ref() == ref ? 1 : 0;
    return n;
  }

  void note_chunk_time(const queue::JobRef& ref, double seconds) {
    auto it = known_.find(ref.name);
    if (it == known_.end() || !(it->second.ref == ref)) return;
    double& est = it->second.chunk_seconds;
    est = est < 0 ? seconds : std::max(seconds, 0.8 * est + 0.2 * seconds);
  }

  int claim_round(int free) {
    if (next_refresh_now_) {
      next_refresh_now_ = false;
      refresh_jobs();
    }
    int got = 0;
    const std::vector<queue::JobRef> jobs = jobs_;
    for (size_t i = 0; i < jobs.size() && free > 0; ++i) {
      const queue::JobRef ref = jobs[(rotate_ + i) % jobs.size()];
      const Known* k = learn(ref);
      if (k == nullptr) continue;
      const queue::JobRef current = k->ref;
      auto spec = k->spec;
      const int room = options_.threads + ahead_for(*k) - held_of(current);
      const int want = std::min(free, room);
      if (want <= 0) continue;
      // Handed-back chunks go only to free slots: one claimed ahead may
      // never start before its worker dies, and gets its attempt back once.
      const int for_slots =
          std::clamp(options_.threads - static_cast<int>(in_flight_count()), 0, want);
      auto chunks = queue_->claim(current, *spec, for_slots, want - for_slots);
      // A round claims from every job: progress between its calls counts.
      if (options_.status != nullptr) options_.status->loop_beat();
      if (!chunks) {
        if (chunks.error().code == ErrorCode::kStale ||
            chunks.error().code == ErrorCode::kNotFound) {
          forget(current);
        } else {
          log_redis_error("claim", ref.name, chunks.error());
        }
        continue;
      }
      const bool exhausted = static_cast<int>(chunks->size()) < want;
      for (auto& c : *chunks) {
        ++stats_.claimed;
        if (c.takeover_reason.empty() && c.created_ms > 0 && c.claimed_ms > 0) {
          // A chunk's first claim: both times are Redis's.
          metrics_.observe_queue_wait(
              c.job, static_cast<double>(std::max<int64_t>(c.claimed_ms - c.created_ms, 0)) / 1000);
        }
        if (!c.takeover_reason.empty() && c.takeover_reason != "handed back") {
          ++stats_.taken_over;
          metrics_.on_taken_over(c.job);
          obs::log_info("took over chunk", {{"job", c.job},
                                            {"chunk", chunk_str(c)},
                                            {"from", c.previous_owner},
                                            {"reason", c.takeover_reason},
                                            {"attempt", std::to_string(c.attempt)}});
        }
        if (start(std::move(c), spec)) {
          ++got;
          --free;
        }
      }
      if (exhausted && free > 0 && speculate_round(current, spec)) {
        ++got;
        --free;
      }
    }
    ++rotate_;
    return got;
  }

  // Speculative tail: `ref` had nothing left to claim. With a compute slot
  // idle, copies the chunk another worker has computed longest if it is
  // past the policy's threshold (the queue decides). At most every
  // kSpeculateEveryMs: a look costs a read of the registry.
  bool speculate_round(const queue::JobRef& ref, const std::shared_ptr<const JobSpec>& spec) {
    if (!options_.speculate) return false;
    const auto now = Clock::now();
    if (now < next_speculate_) return false;
    if (static_cast<int>(in_flight_count()) >= options_.threads) return false;
    next_speculate_ = now + util::jittered(milliseconds(kSpeculateEveryMs), 0.5);
    auto copy = queue_->speculate(ref, *spec, options_.speculation);
    if (!copy) {
      if (copy.error().code != ErrorCode::kStale && copy.error().code != ErrorCode::kNotFound) {
        log_redis_error("speculate", ref.name, copy.error());
      }
      return false;
    }
    if (!*copy) return false;
    queue::Chunk c = std::move(**copy);
    ++stats_.speculated;
    metrics_.on_speculated(c.job);
    obs::log_info("running a speculative copy of a slow chunk",
                  {{"job", c.job}, {"chunk", chunk_str(c)}, {"owner", c.previous_owner}});
    return start(std::move(c), spec);
  }

  void sweep(bool as_sweeper) {
    std::map<queue::JobRef, std::vector<std::string>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [k, f] : in_flight_) {
        if (!f.chunk.speculative) held[f.chunk.ref()].push_back(f.chunk.entry_id);
      }
    }
    auto r = queue_->sweep(held, as_sweeper);
    if (!r) {
      log_redis_error("liveness check", "", r.error());
      return;
    }
    for (const auto& gone : r->gone) {
      obs::log_warn("worker gone (its connection closed): its chunks are handed over",
                    {{"gone", gone}});
    }
    if (r->sweeper && r->handed_over > 0) {
      obs::log_info("handed over chunks", {{"count", std::to_string(r->handed_over)}});
    }
  }

  std::vector<std::string> held_ids(const queue::JobRef& ref) {
    std::vector<std::string> ids;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.chunk.ref() == ref && !f.chunk.speculative) ids.push_back(f.chunk.entry_id);
    }
    return ids;
  }

  // Starts computing `chunk`; false when it is malformed (dead-lettered).
  bool start(queue::Chunk chunk, const std::shared_ptr<const JobSpec>& spec) {
    if (!chunk.malformed.empty()) {
      obs::log_warn("dead-lettering malformed entry",
                    {{"job", chunk.job}, {"entry", chunk.entry_id}, {"reason", chunk.malformed}});
      auto st = queue_->dead_letter(chunk, chunk.malformed);
      if (!st) {
        log_redis_error("dead_letter", chunk.job, st.error());
      } else {
        metrics_.on_dead_lettered(chunk.job, obs::DeadLetterReason::kMalformed);
      }
      ++stats_.malformed;
      return false;
    }
    InFlight f;
    f.chunk = chunk;
    f.spec = spec;
    Task t{key_of(chunk), chunk, spec, f.cancel};
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_[t.key] = std::move(f);
      tasks_.push_back(std::move(t));
      stats_.max_held = std::max(stats_.max_held, static_cast<int64_t>(in_flight_.size()));
    }
    work_cv_.notify_one();
    return true;
  }

  Clock::time_point next_retry_due() {
    auto due = Clock::time_point::max();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.stage == Stage::kWaitingRetry && !f.lost) due = std::min(due, f.retry_at);
    }
    return due;
  }

  // A chunk lost while it waited for its retry is nobody's here any more:
  // its slot is freed at once.
  void drop_lost_waits() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second.lost && it->second.stage == Stage::kWaitingRetry) {
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void start_due_retries(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, f] : in_flight_) {
      if (f.stage == Stage::kWaitingRetry && !f.lost && now >= f.retry_at) {
        f.stage = Stage::kComputing;
        tasks_.push_back(Task{k, f.chunk, f.spec, f.cancel});
        work_cv_.notify_one();
      }
    }
  }

  void compute_loop() {
    // This slot's kernels, one per job incarnation, least recently used last.
    struct SlotKernel {
      std::string key;
      std::unique_ptr<kernels::Kernel> kernel;
      kernels::PointFn point;
    };
    std::list<SlotKernel> kernels;
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
        ++busy_;
      }
      metrics_.on_compute_started();
      auto started = Clock::now();
      Result<std::string> result = make_error(ErrorCode::kInternal, "no kernel");
      const std::string kkey = task.chunk.job + "\n" + task.chunk.run;
      auto it = std::find_if(kernels.begin(), kernels.end(),
                             [&](const SlotKernel& s) { return s.key == kkey; });
      if (it != kernels.end()) {
        kernels.splice(kernels.begin(), kernels, it);
      } else {
        auto made = make_kernel_(*task.spec);
        if (made) {
          kernels.push_front(SlotKernel{kkey, std::move(*made), kernels::points_for(*task.spec)});
          if (kernels.size() > kKernelsPerSlot) kernels.pop_back();
        } else {
          result = tl::unexpected(made.error());
        }
      }
      if (!kernels.empty() && kernels.front().key == kkey) {
        auto& slot = kernels.front();
        kernels::ChunkTask ct{task.chunk.job, task.chunk.chunk,   task.chunk.begin,
                              task.chunk.end, task.chunk.attempt, slot.point};
        result = slot.kernel->run(ct, *task.cancel);
      }
      if (options_.slowdown > 1 && result) idle_for_slowdown(started, *task.cancel);
      double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      metrics_.on_compute_ended();
      if (result || result.error().code != ErrorCode::kCancelled) {
        metrics_.observe_compute(task.chunk.job, seconds);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        --busy_;
        outcomes_.push_back(Outcome{task.key, std::move(result), seconds});
      }
      outcome_cv_.notify_one();
    }
  }

  // Holds a compute slot until `slowdown` times what the chunk started at
  // `started` has taken so far, or until `cancel` is set.
  void idle_for_slowdown(Clock::time_point started, const kernels::CancelFlag& cancel) {
    const auto took = Clock::now() - started;
    const auto until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(took * (options_.slowdown - 1));
    while (!cancel.load() && Clock::now() < until) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(until - Clock::now(), milliseconds(10)));
    }
  }

  void wait_for_outcomes(Clock::time_point until) {
    // Bounded, so a stop request (set from a signal handler, which cannot
    // notify) is seen within a quarter second.
    auto limit = Clock::now() + milliseconds(250);
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
        if (o.result) it->second.stage = Stage::kCommitting;
        f = it->second;
      }
      if (o.result) note_chunk_time(f.chunk.ref(), o.seconds);
      if (o.result) {
        queue::Completion c;
        c.chunk = f.chunk;
        c.duration_seconds = o.seconds;
        c.result_data = std::move(*o.result);
        pending_commits_.push_back(std::move(c));
        continue;
      }
      const Error& e = o.result.error();
      if (e.code == ErrorCode::kCancelled || f.lost) {
        // Lease lost, or shutting down: another worker has it, or it is
        // handed back by hand_back_all().
        if (!shutting_down_now()) erase(o.key);
        continue;
      }
      metrics_.on_failed(f.chunk.job);
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
          metrics_.on_retried(f.chunk.job);
          schedule_retry(o.key, outcome->attempt);
          break;
        case queue::FailOutcome::Kind::kDead:
          ++stats_.dead;
          metrics_.on_dead_lettered(f.chunk.job, obs::DeadLetterReason::kAttempts);
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
    if (!outcomes) {
      // Kept, and sent again on the next round: a commit is idempotent.
      log_redis_error("commit", pending_commits_.front().chunk.job, outcomes.error());
      return;
    }
    std::set<queue::JobRef> stale;
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const auto& c = pending_commits_[i];
      switch ((*outcomes)[i]) {
        case queue::CommitOutcome::kCommitted:
          ++stats_.committed;
          committed_.fetch_add(1, std::memory_order_relaxed);
          metrics_.on_committed(c.chunk.job, 1);
          obs::log_debug("committed", {{"job", c.chunk.job}, {"chunk", chunk_str(c.chunk)}});
          break;
        case queue::CommitOutcome::kDuplicate:
          ++stats_.duplicates;
          metrics_.on_duplicate(c.chunk.job);
          obs::log_info("duplicate suppressed: chunk was already finished",
                        {{"job", c.chunk.job}, {"chunk", chunk_str(c.chunk)}});
          break;
        case queue::CommitOutcome::kStale:
          stale.insert(c.chunk.ref());
          break;
      }
      erase(key_of(c.chunk));
    }
    for (const auto& ref : stale) {
      // Computed for an incarnation that is over (the job was removed or
      // submitted again): never recorded in another one.
      obs::log_warn("dropping results of a job run that is over (removed or submitted again)",
                    {{"job", ref.name}, {"run", ref.run}});
      forget(ref);
    }
    pending_commits_.clear();
  }

  void schedule_retry(const std::string& key, int attempt) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) return;
    it->second.chunk.attempt = attempt;
    it->second.stage = Stage::kWaitingRetry;
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
    std::map<queue::JobRef, std::vector<std::string>> by_job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      handing_back_ = true;
      tasks_.clear();
      for (auto& [k, f] : in_flight_) {
        f.cancel->store(true);
        // A speculative copy holds no lease: nothing to hand back.
        if (!f.lost && !f.chunk.speculative && computed.count(k) == 0) {
          by_job[f.chunk.ref()].push_back(f.chunk.entry_id);
        }
      }
    }
    for (auto& [ref, ids] : by_job) {
      auto st = queue_->release(ref, ids);
      if (!st) {
        log_redis_error("release", ref.name, st.error());
        continue;
      }
      stats_.released += static_cast<int64_t>(ids.size());
      metrics_.on_handed_back(ref.name, static_cast<int64_t>(ids.size()));
      obs::log_info("handed back chunks",
                    {{"job", ref.name}, {"count", std::to_string(ids.size())}});
    }
  }

  void lease_loop() {
    auto q = make_queue_();
    int64_t lease_connections = 0;
    bool heartbeat_failing = false;
    // Heartbeats go more often than renewals: the registry's outage detection
    // (docs/PROTOCOL.md, "Clocks") needs some worker to reach Redis every
    // fraction of a second.
    const milliseconds beat(std::min<int64_t>(kHeartbeatMs, options_.renew_interval_ms));
    auto next_renew = Clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      const bool renew_due = Clock::now() >= next_renew;
      std::map<queue::JobRef, std::vector<std::string>> by_ref;
      // Speculative copies hold no lease: they are checked for a commit of
      // their chunk elsewhere instead.
      std::map<queue::JobRef, std::vector<int64_t>> copies;
      if (renew_due) {
        next_renew = Clock::now() + milliseconds(options_.renew_interval_ms);
      }
      for (auto& [k, f] : in_flight_) {
        if (f.lost) continue;
        if (f.chunk.speculative) {
          copies[f.chunk.ref()].push_back(f.chunk.chunk);
        } else if (renew_due) {
          by_ref[f.chunk.ref()].push_back(f.chunk.entry_id);
        }
      }
      const queue::WorkerInfo info = current_info();
      lock.unlock();
      // The heartbeat also registers this connection: its closing is how
      // other workers learn at once that this one died.
      if (auto st = q->heartbeat(info); !st) {
        if (options_.status != nullptr) options_.status->heartbeat_failed(st.error().message);
        metrics_.on_redis_error("heartbeat");
        if (!heartbeat_failing) {
          obs::log_warn("cannot reach Redis from the lease thread; retrying",
                        {{"error", st.error().message}});
        }
        heartbeat_failing = true;
      } else {
        if (options_.status != nullptr) options_.status->heartbeat_ok();
        if (heartbeat_failing) {
          heartbeat_failing = false;
          obs::log_info("lease thread reached Redis again", {});
        }
      }
      for (auto& [ref, ids] : by_ref) {
        auto sent = Clock::now();
        auto lost = q->renew(ref, ids);
        if (!lost) {
          metrics_.on_redis_error("renew");
          obs::log_warn("cannot renew leases",
                        {{"job", ref.name}, {"error", lost.error().message}});
          continue;
        }
        metrics_.observe_renewal(
            ref.name, static_cast<int64_t>(ids.size() - std::min(ids.size(), lost->size())),
            std::chrono::duration<double>(Clock::now() - sent).count());
        if (lost->empty()) continue;
        std::lock_guard<std::mutex> g(mu_);
        for (const auto& id : *lost) {
          auto it = in_flight_.find(ref.name + "\n" + ref.run + "\n" + id);
          if (it == in_flight_.end() || it->second.lost) continue;
          it->second.lost = true;
          it->second.cancel->store(true);
          ++stats_lost_;
          metrics_.on_lease_lost(ref.name);
          obs::log_warn("lease lost: the chunk is no longer this worker's",
                        {{"job", ref.name}, {"chunk", chunk_str(it->second.chunk)}});
        }
        outcome_cv_.notify_one();
      }
      for (auto& [ref, chunks] : copies) {
        auto done = q->finished(ref, chunks);
        if (!done) continue;  // looked at again on the next beat
        std::lock_guard<std::mutex> g(mu_);
        for (size_t i = 0; i < chunks.size() && i < done->size(); ++i) {
          if (!(*done)[i]) continue;
          for (auto& [k, f] : in_flight_) {
            if (f.chunk.speculative && !f.lost && f.chunk.ref() == ref &&
                f.chunk.chunk == chunks[i]) {
              // Committed by its owner first: the copy is cancelled.
              f.lost = true;
              f.cancel->store(true);
            }
          }
        }
        outcome_cv_.notify_one();
      }
      if (options_.metrics != nullptr) note_reconnects(*q, lease_connections);
      lock.lock();
      lease_cv_.wait_for(lock, beat, [&] { return shutting_down_; });
      if (shutting_down_) return;
    }
  }

  // What the registry shows of this worker now (docs/PROTOCOL.md,
  // "Liveness"): its chunks, oldest claim first, at most one per slot so
  // that the entry stays small. Called with mu_ held.
  queue::WorkerInfo current_info() const {
    queue::WorkerInfo info = options_.info;
    info.state = stop_.load() ? queue::WorkerInfo::kDraining : queue::WorkerInfo::kRunning;
    info.busy = busy_;
    info.committed = committed_.load(std::memory_order_relaxed);
    for (const auto& [k, f] : in_flight_) {
      if (!f.lost && !f.chunk.speculative) {
        info.chunks.push_back({f.chunk.job, f.chunk.chunk, f.chunk.claimed_ms});
      }
    }
    std::sort(info.chunks.begin(), info.chunks.end(),
              [](const queue::HeldChunk& a, const queue::HeldChunk& b) {
                return a.claimed_ms != b.claimed_ms ? a.claimed_ms < b.claimed_ms
                                                    : a.chunk < b.chunk;
              });
    if (info.chunks.size() > static_cast<size_t>(std::max(info.slots, 1))) {
      info.chunks.resize(static_cast<size_t>(std::max(info.slots, 1)));
    }
    return info;
  }

  // Main loop only.
  void log_redis_error(const char* what, const std::string& job, const Error& e) {
    // A failed call, which may have waited for a time-out, is progress too:
    // an unreachable Redis must not look like a wedged loop.
    if (options_.status != nullptr) options_.status->loop_beat();
    obs::log_warn(std::string(what) + " failed; will retry", {{"job", job}, {"error", e.message}});
    // The same few names as a metric label: "list jobs" -> "list_jobs".
    std::string op = what;
    std::replace(op.begin(), op.end(), ' ', '_');
    metrics_.on_redis_error(op);
  }

  // Reports the connections `q` opened beyond its first since `seen`.
  void note_reconnects(const queue::WorkQueue& q, int64_t& seen) {
    const int64_t now = q.connections();
    if (now > seen) {
      metrics_.on_reconnects(std::max<int64_t>(now - 1, 0) - std::max<int64_t>(seen - 1, 0));
      seen = now;
    }
  }

  WorkerOptions options_;
  const QueueFactory& make_queue_;
  const KernelFactory& make_kernel_;
  const std::atomic<bool>& stop_;
  obs::WorkerMetrics& metrics_;  // thread-safe

  // Main thread only.
  std::unique_ptr<queue::WorkQueue> queue_;
  std::vector<queue::JobRef> jobs_;
  std::set<queue::JobRef> refused_;
  std::map<std::string, Known> known_;  // by job name: the incarnation served
  bool next_refresh_now_ = false;
  std::optional<Error> fatal_;  // set when this worker's only job is refused
  size_t rotate_ = 0;
  Clock::time_point next_speculate_{};
  std::vector<queue::Completion> pending_commits_;
  Clock::time_point last_activity_;
  WorkerStats stats_;
  int64_t stats_lost_ = 0;             // guarded by mu_ (the lease thread counts)
  std::atomic<int64_t> committed_{0};  // chunks committed, for the registry
  int64_t main_connections_ = 0;

  std::mutex mu_;  // guards everything below
  std::map<std::string, InFlight> in_flight_;
  std::deque<Task> tasks_;
  std::deque<Outcome> outcomes_;
  int busy_ = 0;  // compute slots running a kernel
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

#pragma once
// The worker's view of the work queue (docs/PROTOCOL.md). The worker sees
// only this interface; RedisStreamQueue implements it over Redis Streams,
// tests/support/fake_queue.h in memory.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace ttg::queue {

// One incarnation of a job: its name and the run id its submission got.
// Everything a worker caches about a job is keyed by the run; calls naming
// a run that is over fail with kStale and write nothing.
struct JobRef {
  std::string name;
  std::string run;
  bool operator==(const JobRef&) const = default;
  bool operator<(const JobRef& o) const { return name != o.name ? name < o.name : run < o.run; }
};

// One claimed chunk. A chunk whose entry is malformed has `malformed` set
// (with the reason) and must be passed to dead_letter(), not computed.
struct Chunk {
  std::string job;
  std::string run;        // the incarnation it was claimed from
  std::string entry_id;   // stream entry ID, e.g. "38-0"
  int64_t chunk = -1;     // chunk index, or -1 when the ID names none
  int64_t begin = 0;      // first parameter index
  int64_t end = 0;        // one past the last parameter index
  int attempt = 0;        // attempts started, this one included
  std::string malformed;  // why the entry cannot be computed; empty if fine
  // For a chunk taken over: the consumer that held it and why it was taken
  // ("worker gone", "lease expired", ...); empty for a new chunk.
  std::string previous_owner;
  std::string takeover_reason;
  // On the queue's clock (Redis's), in ms since the epoch: when the job's
  // chunks were queued (the task entry's created_at) and when this claim
  // took the chunk; 0 when unknown.
  int64_t created_ms = 0;
  int64_t claimed_ms = 0;
  // A speculative copy (docs/PROTOCOL.md, "Speculative tail"): another
  // consumer holds the chunk; this one computes it too, holding no lease,
  // and the first commit wins.
  bool speculative = false;

  JobRef ref() const { return {job, run}; }
};

// A computed chunk, ready to commit. The commit time is Redis's.
struct Completion {
  Chunk chunk;
  double duration_seconds = 0;
  std::string result_data;  // JSON text
};

// kStale: the chunk's incarnation is over (the job was removed or submitted
// again); nothing was written.
enum class CommitOutcome { kCommitted, kDuplicate, kStale };

// What fail() decided: retry (with the new attempt number), dead-lettered,
// lost (another consumer owns it now, or the incarnation is over) or
// already finished.
struct FailOutcome {
  enum class Kind { kRetry, kDead, kLost, kFinished };
  Kind kind = Kind::kRetry;
  int attempt = 0;
};

// A job as workers see it.
struct JobView {
  std::string name;
  std::string run;
  JobSpec spec;
  JobState state = JobState::kPending;
  JobRef ref() const { return {name, run}; }
};

// A chunk a worker holds, as the registry shows it.
struct HeldChunk {
  std::string job;
  int64_t chunk = -1;
  int64_t claimed_ms = 0;  // Chunk::claimed_ms: Redis's time of the claim
};

// What a worker tells the registry about itself (`ttg status`, `ttg
// serve`; docs/PROTOCOL.md, "Liveness"). The first four fields are fixed;
// the others describe the worker now and go with its heartbeats.
struct WorkerInfo {
  static constexpr const char* kRunning = "running";
  static constexpr const char* kDraining = "draining";  // asked to stop

  std::string host;
  int64_t pid = 0;
  int slots = 0;
  std::string job;  // empty: every job
  std::string state = kRunning;
  int busy = 0;                   // compute slots running a kernel
  int64_t committed = 0;          // chunks committed since the worker started
  std::vector<HeldChunk> chunks;  // held now, oldest claim first, at most `slots`
};

// When a worker with nothing left to claim copies a straggler
// (docs/PROTOCOL.md, "Speculative tail").
struct SpeculationPolicy {
  // A chunk is copied once it is in flight longer than `factor` times the
  // job's median chunk time and at least `min_age_ms`. Defaults 3, 1000.
  double factor = 3;
  int64_t min_age_ms = 1000;
  // The median is of the job's newest results, at most 64; none is copied
  // before `min_results` of them exist. Default 5.
  int min_results = 5;
};

// What one sweep did (docs/PROTOCOL.md, "Liveness").
struct SweepReport {
  bool sweeper = false;           // this worker held the sweeper role
  bool grace = false;             // an outage's grace period: nothing taken over
  std::vector<std::string> gone;  // workers found gone (connection closed)
  int64_t handed_over = 0;        // chunks moved to the handed-back consumer
  int finalized_jobs = 0;         // finished jobs given their expiry
};

// Thread safety: an implementation object is used by one thread at a time;
// a worker makes one for its main loop and one for its lease thread.
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;

  // Jobs a worker may serve (submitting, pending or running). O(active jobs).
  [[nodiscard]] virtual Result<std::vector<JobRef>> active_jobs() = 0;
  // The job's current incarnation, spec and state; kNotFound when it does not
  // exist.
  [[nodiscard]] virtual Result<JobView> job(const std::string& name) = 0;

  // Claims up to `max` chunks of `job` (whose spec is `spec`) for free
  // compute slots: handed-back and taken-over ones first, then new ones;
  // then up to `ahead` more new ones, claimed ahead of a free slot
  // (docs/PROTOCOL.md, "Claim ahead"). Empty when there is nothing to claim.
  // kStale / kNotFound: the incarnation is over.
  [[nodiscard]] virtual Result<std::vector<Chunk>> claim(const JobRef& job, const JobSpec& spec,
                                                         int max, int ahead = 0) = 0;
  // Renews the leases of `entry_ids`; returns the IDs this consumer lost
  // (all of them when the incarnation is over).
  [[nodiscard]] virtual Result<std::vector<std::string>> renew(
      const JobRef& job, const std::vector<std::string>& entry_ids) = 0;
  // Commits computed chunks, of any jobs, in one round trip. Safe to repeat:
  // a second commit of a chunk is a suppressed duplicate. One outcome per
  // completion, in order.
  [[nodiscard]] virtual Result<std::vector<CommitOutcome>> commit(
      const std::vector<Completion>& completions) = 0;
  // Reports a failed attempt of `chunk` with `error`.
  [[nodiscard]] virtual Result<FailOutcome> fail(const Chunk& chunk, const std::string& error) = 0;
  // Dead-letters a malformed chunk with `reason`.
  [[nodiscard]] virtual Status dead_letter(const Chunk& chunk, const std::string& reason) = 0;
  // Hands back chunks this consumer holds (their attempt is refunded) so any
  // worker claims them at once.
  [[nodiscard]] virtual Status release(const JobRef& job,
                                       const std::vector<std::string>& entry_ids) = 0;
  // Hands over what this consumer holds in `job` but does not compute now
  // (`held`): a previous life's chunks, for a worker restarted under the same
  // name. Returns how many.
  [[nodiscard]] virtual Result<int64_t> adopt(const JobRef& job,
                                              const std::vector<std::string>& held) = 0;
  // Speculative tail: a copy of the chunk of `job` that another worker has
  // been computing longest, when that is past `policy`'s threshold and no
  // one copies it yet; nullopt when there is none. The copy holds no lease:
  // it is never renewed or handed back; commit it like any chunk. Call it
  // only when `job` had nothing left to claim. Default: never a copy.
  [[nodiscard]] virtual Result<std::optional<Chunk>> speculate(const JobRef& job,
                                                               const JobSpec& spec,
                                                               const SpeculationPolicy& policy) {
    (void)job, (void)spec, (void)policy;
    return std::optional<Chunk>{};
  }
  // Which of `chunks` of `job` are finished (committed or dead), in order:
  // a speculative copy or the computation it raced is cancelled once its
  // chunk is. Default: none is.
  [[nodiscard]] virtual Result<std::vector<bool>> finished(const JobRef& job,
                                                           const std::vector<int64_t>& chunks) {
    (void)job;
    return std::vector<bool>(chunks.size(), false);
  }
  // Records, once, that this worker will not serve `job` and why (shown by
  // `ttg status`).
  [[nodiscard]] virtual Status refuse(const JobRef& job, const std::string& reason) = 0;
  // Removes this consumer from `job`'s group if it holds no chunk (never
  // otherwise: that would drop its pending entries). Returns whether it did.
  [[nodiscard]] virtual Result<bool> retire(const std::string& job) = 0;

  // Liveness (docs/PROTOCOL.md, "Liveness"). heartbeat(): registers this
  // worker (again after every reconnect) and beats; called by the lease
  // thread every lease/3. leave(): unregisters on a clean exit.
  [[nodiscard]] virtual Status heartbeat(const WorkerInfo& info) = 0;
  [[nodiscard]] virtual Status leave() = 0;
  // Checks the next workers in the registry's ring: those whose connection
  // closed are gone, and their chunks are handed over at once; as sweeper
  // (one worker at a time), also hands over chunks whose lease expired and
  // gives finished jobs their expiry. `held`: this worker's chunks now.
  [[nodiscard]] virtual Result<SweepReport> sweep(
      const std::map<JobRef, std::vector<std::string>>& held, bool as_sweeper) = 0;

  // The consumer name this queue claims as.
  virtual const std::string& consumer() const = 0;
  // Connections this queue has opened to its server so far (1 after the
  // first connect; more after reconnects), for metrics. Default 0: a queue
  // without a connection.
  virtual int64_t connections() const { return 0; }
};

}  // namespace ttg::queue

#pragma once
// The work queue over Redis Streams (docs/PROTOCOL.md), and the job
// administration used by `ttg submit/status/jobs/results/cancel`.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "queue/work_queue.h"
#include "redis/connection.h"
#include "redis/options.h"

namespace ttg::queue {

struct QueueOptions {
  // Consumer name in the group (stable: pod name, else host-pid). Must not
  // start with "ttg:" (the queue's own consumers).
  std::string consumer;
  // Worker name written into results and events. Default: the consumer.
  std::string worker_id;
  // Lease length in ms: an entry idle longer is taken over. Default 10000.
  int64_t lease_ms = 10000;
};

// Opens a WorkQueue with its own connection to `redis` (connected lazily,
// reconnecting with back-off). One per thread.
std::unique_ptr<WorkQueue> make_redis_queue(const redis::Options& redis, QueueOptions options);

struct SubmitOptions {
  // Replace an existing job of the same name (its keys are deleted first).
  bool force = false;
  // How long a finished job's keys stay in Redis (ms); 0 = for ever.
  // Default 7 days.
  int64_t retain_ms = 7LL * 24 * 3600 * 1000;
  // XADDs per pipelined round trip. Default 2000.
  int batch = 2000;
};

enum class SubmitOutcome { kCreated, kExists, kReplaced, kResumed };

struct SubmitReport {
  SubmitOutcome outcome = SubmitOutcome::kCreated;
  std::string run;  // the incarnation's run id
  int64_t chunks_written = 0;
  double seconds = 0;
};

enum class CancelOutcome { kCancelled, kWasComplete, kWasCancelled };

// Everything `ttg status` shows of a job.
struct JobStatus {
  std::string name;
  JobSpec spec;
  JobState state = JobState::kPending;
  // `dead`: chunks dead now; `retried`: dead chunks put back by retry.
  int64_t total_chunks = 0, done = 0, dead = 0, duplicates = 0, takeovers = 0, retries = 0,
          released = 0, malformed = 0, retried = 0;
  // Speculative copies started, and those whose commit came first.
  int64_t speculated = 0, speculative_wins = 0;
  int64_t created_ms = 0, first_claim_ms = 0, finished_ms = 0;
  // When a finished job's keys expire (ms, Redis's clock); 0 = not set.
  int64_t expires_ms = 0;
  std::string run;  // the current incarnation
  // Chunks in flight per consumer (the group's pending list); handed-back
  // chunks waiting for a claim are under kHandedBack.
  std::map<std::string, int64_t> in_flight;
  // Workers that will not serve this job, and why.
  std::map<std::string, std::string> refused;
  int64_t results_len = 0, dead_len = 0;
};

// One result entry, as stored.
struct ResultRecord {
  std::string entry_id;
  std::map<std::string, std::string> fields;
};

// Why retry() did not put a chunk back.
enum class RetryRefusal {
  kNoSuchChunk,  // not a chunk of the job
  kCancelled,    // the job is cancelled
  kNotDead,      // queued or being computed
  kDone,         // it has a result
  kNoDeadEntry,  // its dead-letter entry was deleted (by someone else)
  kMalformed,    // dead because its entry is malformed: it would be again
  kDeleted,      // its task entry was deleted: there is nothing to compute
};
// For people: "not dead (queued or being computed)", ...
std::string_view retry_refusal_text(RetryRefusal why);

// What retry() did.
struct RetryReport {
  std::vector<int64_t> retried;                           // put back, ascending
  std::vector<std::pair<int64_t, RetryRefusal>> refused;  // ascending
  bool reopened = false;                                  // the job was complete and runs again
};

// Not thread-safe: one per thread.
class JobStore {
 public:
  explicit JobStore(const redis::Options& redis);

  // Creates job `name` with `spec` (a new incarnation: a fresh run id) and
  // writes its chunks. With `force`, an existing job is deleted first
  // (kReplaced). Otherwise an existing job with an identical spec is left
  // alone (kExists), or completed when its submission was cut short
  // (kResumed); one with another spec is kAlreadyExists, naming what
  // differs, and nothing is written.
  [[nodiscard]] Result<SubmitReport> submit(const std::string& name, const JobSpec& spec,
                                            const SubmitOptions& options);
  // All jobs in the registry, oldest first.
  [[nodiscard]] Result<std::vector<std::string>> list();
  // The newest `count` jobs of the registry, newest first, and how many it
  // holds in all.
  struct JobList {
    std::vector<std::string> names;
    int64_t registered = 0;
  };
  [[nodiscard]] Result<JobList> list_newest(int64_t count);
  // Redis's clock (TIME), in ms since the epoch.
  [[nodiscard]] Result<int64_t> time_ms();
  // kNotFound when the job does not exist.
  [[nodiscard]] Result<JobStatus> status(const std::string& name);
  // Calls `sink` for every result entry in order (read in batches). A chunk
  // is never shown twice: the store holds at most one result per chunk.
  [[nodiscard]] Status for_each_result(const std::string& name,
                                       const std::function<void(const ResultRecord&)>& sink);
  // Up to `count` result entries after stream ID `after` ("" or "-": from
  // the first), in order: for monitors that follow a job's results.
  [[nodiscard]] Result<std::vector<ResultRecord>> results_after(const std::string& name,
                                                                const std::string& after,
                                                                int count);
  // A chunk in flight: in the pending list of `consumer` (kHandedBack: waiting
  // for a claim), idle for `idle_ms`, delivered `deliveries` times.
  struct InFlightChunk {
    int64_t chunk = 0;
    std::string consumer;
    int64_t idle_ms = 0;
    int64_t deliveries = 0;
  };
  // Up to `count` chunks in flight, lowest chunk first; only those of
  // `consumer` when it is not empty. `total_chunks` is the job's (entries
  // that name no chunk of it are left out).
  [[nodiscard]] Result<std::vector<InFlightChunk>> in_flight_chunks(
      const std::string& name, int64_t total_chunks, int count, const std::string& consumer = "");
  // A worker in the registry (docs/PROTOCOL.md, "Liveness"), as it
  // described itself in its last heartbeat, and how long ago it last beat
  // (Redis's clock; -1 when it has no heartbeat yet).
  struct RegisteredWorker {
    std::string name, host;
    int64_t pid = 0;
    int slots = 0;
    std::string job;  // empty: it serves every job
    int64_t heartbeat_age_ms = -1;
    // Empty from a worker of an older ttg, which writes only the above.
    std::string state;  // WorkerInfo::kRunning or kDraining
    int busy = 0;
    int64_t committed = 0;
    // The chunks it holds, oldest claim first; `age_ms`: since the claim,
    // on Redis's clock (-1 when the claim time is unknown).
    struct Held {
      std::string job;
      int64_t chunk = -1;
      int64_t claimed_ms = 0;
      int64_t age_ms = -1;
    };
    std::vector<Held> chunks;
  };
  // Every registered worker, by name, and Redis's time of the reading.
  struct Workers {
    std::vector<RegisteredWorker> workers;
    int64_t now_ms = 0;
  };
  [[nodiscard]] Result<Workers> registry();
  // The same, without the time.
  [[nodiscard]] Result<std::vector<RegisteredWorker>> workers();
  // Entries of `name`'s task stream the consumer group has not read yet
  // (XINFO GROUPS `lag`); nullopt when Redis cannot tell (entries were
  // deleted) or the group does not exist.
  [[nodiscard]] Result<std::optional<int64_t>> group_lag(const std::string& name);

  // Dead-letter entries, in order: the chunks dead now (retry deletes a
  // chunk's entry when it puts the chunk back), and malformed entries that
  // name no chunk. Empty for a job that does not exist: ask status() first.
  [[nodiscard]] Result<std::vector<ResultRecord>> dead_letters(const std::string& name);
  // The first `count` of them.
  [[nodiscard]] Result<std::vector<ResultRecord>> dead_letters(const std::string& name, int count);
  // Puts dead chunks back with fresh attempts, each exactly once: `chunks`,
  // or with nullopt every chunk dead now. Workers claim them as new chunks
  // (no takeover counted); a complete job runs again (state running, no
  // expiry, back in ttg:active) and completes when they are done. Each
  // chunk that cannot be retried is in `refused` with the reason; it and
  // Redis are left as they were. Chunks go in calls of up to 1000, each
  // atomic. kNotFound: no such job; kStale: the job was submitted again
  // while this ran (that call wrote nothing). Both write nothing.
  [[nodiscard]] Result<RetryReport> retry(const std::string& name,
                                          const std::optional<std::vector<int64_t>>& chunks);
  // Marks the job cancelled: workers stop claiming and computing it. A
  // finished job is left as it is (kWasComplete, kWasCancelled).
  [[nodiscard]] Result<CancelOutcome> cancel(const std::string& name);
  // Deletes every key of the job and its registry entries.
  [[nodiscard]] Status remove(const std::string& name);
  // Recent events (takeovers, duplicates, ...) after stream ID `after`.
  [[nodiscard]] Result<std::vector<ResultRecord>> events(const std::string& name,
                                                         const std::string& after, int count);
  // The newest `count` events, oldest first.
  [[nodiscard]] Result<std::vector<ResultRecord>> recent_events(const std::string& name, int count);

  // Every key of TTG's (prefix `ttg:`), found by SCAN; or, with `job`, the
  // keys of that job that exist.
  [[nodiscard]] Result<std::vector<std::string>> keys(const std::string& job);
  // Deletes `keys` (UNLINK, in batches) and removes the jobs they belong to
  // from the registry. Only keys starting with `ttg:` are ever deleted.
  [[nodiscard]] Result<int64_t> delete_keys(const std::vector<std::string>& keys);

  // What `ttg recover` did.
  struct RecoverReport {
    bool persistent = false;         // AOF or RDB snapshots enabled
    std::vector<std::string> lines;  // one per action, for people
    int64_t groups_created = 0, chunks_handed_back = 0, consumers_deleted = 0;
    int64_t jobs_missing = 0;  // in the registry, but their keys are gone
  };
  // After a restart: recreates missing consumer groups, hands back the
  // chunks of consumers idle longer than `lease_ms` (their workers are gone:
  // the attempt counts) so any worker claims them at once, and deletes
  // consumers that hold nothing and have been idle longer than `lease_ms`.
  [[nodiscard]] Result<RecoverReport> recover(int64_t lease_ms);

  redis::Client& client() { return client_; }

 private:
  redis::Client client_;
};

// The compute slots that can run job `job` now, for sizing its chunks: those
// of the workers in `workers` that serve every job or `job`, are not
// draining, and beat at most `max_heartbeat_age_ms` ago (one without a
// heartbeat yet counts: it has just registered). Pure.
struct LiveSlots {
  int64_t slots = 0;
  int64_t workers = 0;
};
LiveSlots live_slots(const std::vector<JobStore::RegisteredWorker>& workers, std::string_view job,
                     int64_t max_heartbeat_age_ms);

}  // namespace ttg::queue

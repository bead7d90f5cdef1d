#pragma once
// The worker's view of the work queue (docs/PROTOCOL.md). The worker sees
// only this interface; RedisStreamQueue implements it over Redis Streams.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace ttg::queue {

// One claimed chunk. A chunk whose entry is malformed has `malformed` set
// (with the reason) and must be passed to dead_letter(), not computed.
struct Chunk {
  std::string job;
  std::string entry_id;   // stream entry ID, e.g. "38-0"
  int64_t chunk = -1;     // chunk index, or -1 when the ID names none
  int64_t begin = 0;      // first parameter index
  int64_t end = 0;        // one past the last parameter index
  int attempt = 0;        // attempts started, this one included
  std::string malformed;  // why the entry cannot be computed; empty if fine
  // For takeovers: the consumer that held it and its idle time in ms.
  std::string previous_owner;
  int64_t idle_ms = 0;
};

// A computed chunk, ready to commit.
struct Completion {
  Chunk chunk;
  double duration_seconds = 0;
  std::string completed_at;  // ISO-8601 UTC
  std::string result_data;   // JSON text
};

enum class CommitOutcome { kCommitted, kDuplicate };

// What fail() decided: retry (with the new attempt number), dead-lettered,
// lost (another consumer owns it now) or already finished.
struct FailOutcome {
  enum class Kind { kRetry, kDead, kLost, kFinished };
  Kind kind = Kind::kRetry;
  int attempt = 0;
};

// A job as workers see it.
struct JobView {
  std::string name;
  JobSpec spec;
  JobState state = JobState::kPending;
};

// Thread safety: an implementation object is used by one thread at a time;
// a worker makes one for its main loop and one for its lease thread.
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;

  // Jobs a worker may serve (submitting, pending or running), oldest first.
  [[nodiscard]] virtual Result<std::vector<std::string>> active_jobs() = 0;
  // The job's spec and state; kNotFound when it does not exist.
  [[nodiscard]] virtual Result<JobView> job(const std::string& name) = 0;

  // Claims up to `max` chunks of `job`: handed-back ones first, then new ones.
  // Returns an empty list when there is nothing to claim.
  [[nodiscard]] virtual Result<std::vector<Chunk>> claim(const std::string& job, int max) = 0;
  // Takes over up to `max` chunks whose lease ran out; dead-letters those past
  // their attempts. `held` lists entry IDs this worker is computing now.
  [[nodiscard]] virtual Result<std::vector<Chunk>> reclaim(
      const std::string& job, int max, const std::vector<std::string>& held) = 0;
  // Renews the leases of `entry_ids`; returns the IDs this consumer lost.
  [[nodiscard]] virtual Result<std::vector<std::string>> renew(
      const std::string& job, const std::vector<std::string>& entry_ids) = 0;
  // Commits computed chunks (one atomic script each, sent in one round trip).
  // Safe to repeat: a second commit of a chunk is a suppressed duplicate.
  // kNotFound: a job of the batch no longer exists (nothing of the batch
  // after it was written).
  [[nodiscard]] virtual Result<std::vector<CommitOutcome>> commit(
      const std::vector<Completion>& completions) = 0;
  // Reports a failed attempt of `chunk` with `error`.
  [[nodiscard]] virtual Result<FailOutcome> fail(const Chunk& chunk, const std::string& error) = 0;
  // Dead-letters a malformed chunk with `reason`.
  [[nodiscard]] virtual Status dead_letter(const Chunk& chunk, const std::string& reason) = 0;
  // Hands back chunks this consumer holds so any worker can claim them at once.
  [[nodiscard]] virtual Status release(const std::string& job,
                                       const std::vector<std::string>& entry_ids) = 0;
  // Removes this consumer from `job`'s group if it holds no chunk (never
  // otherwise: that would drop its pending entries). Returns whether it did.
  [[nodiscard]] virtual Result<bool> retire(const std::string& job) = 0;
  // The consumer name this queue claims as.
  virtual const std::string& consumer() const = 0;
};

}  // namespace ttg::queue

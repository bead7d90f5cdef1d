#pragma once
// Key names (docs/PROTOCOL.md, "Keys"). A job's keys share the hash tag
// `{NAME}`; the worker registry and the job lists are global.

#include <string>
#include <vector>

namespace ttg::queue {

inline constexpr const char* kGroup = "ttg-workers";
inline constexpr const char* kKeyPrefix = "ttg:";
// Every job ever submitted and not yet expired, scored by creation time (ms).
inline constexpr const char* kRegistryKey = "ttg:jobs";
// Jobs that may still have work (submitting, pending, running): what workers
// look at, so discovery costs O(active jobs), not O(every job).
inline constexpr const char* kActiveKey = "ttg:active";
// Worker registry: consumer -> "CLIENT_ID SERVER_RUN_ID" of the connection
// whose life is the worker's life.
inline constexpr const char* kWorkersKey = "ttg:workers";
// Consumer -> heartbeat time (ms, Redis's clock).
inline constexpr const char* kHeartbeatsKey = "ttg:workers:hb";
// Consumer -> JSON for people (host, pid, slots, started).
inline constexpr const char* kWorkerInfoKey = "ttg:workers:info";
// Every registered consumer, lexically ordered: each worker watches the next
// two in this ring, so liveness costs each worker O(1).
inline constexpr const char* kRingKey = "ttg:workers:ring";
// Continuity of Redis as the workers see it: last heartbeat, the server's
// run id, and the grace periods after an outage (docs/PROTOCOL.md, "Clocks").
inline constexpr const char* kSweepStateKey = "ttg:sweep";
// The consumer holding the sweeper role (expires unless renewed).
inline constexpr const char* kSweeperKey = "ttg:sweeper";
// The consumer that holds chunks handed back or taken from a gone worker
// until a worker claims them. Worker names may not start with "ttg:".
inline constexpr const char* kHandedBack = "ttg:handed-back";
inline constexpr const char* kReservedConsumerPrefix = "ttg:";

struct JobKeys {
  explicit JobKeys(const std::string& job)
      : base("ttg:{" + job + "}:"),
        meta(base + "meta"),
        tasks(base + "tasks"),
        results(base + "results"),
        dead(base + "dead"),
        done(base + "done"),
        attempts(base + "attempts"),
        errors(base + "errors"),
        handoff(base + "handoff"),
        gaps(base + "gaps"),
        refused(base + "refused"),
        events(base + "events"),
        dead_ids(base + "dead_ids"),
        copies(base + "copies"),
        ahead(base + "ahead") {}

  std::string base;
  std::string meta, tasks, results, dead, done, attempts, errors, handoff, gaps, refused, events;
  // Chunk -> ID of its entry in `dead`, for each chunk that is dead now
  // (what `ttg retry` looks up).
  std::string dead_ids;
  // Chunk -> consumer running a speculative copy of it (docs/PROTOCOL.md,
  // "Speculative tail"): at most one copy per chunk.
  std::string copies;
  // Bit per chunk: claimed ahead of a free slot (docs/PROTOCOL.md, "Claim
  // ahead") and not handed over since; such a chunk may never have started,
  // so a hand-over refunds its attempt once.
  std::string ahead;

  std::vector<std::string> all() const {
    return {meta,    tasks, results, dead,   done,     attempts, errors,
            handoff, gaps,  refused, events, dead_ids, copies,   ahead};
  }
};

}  // namespace ttg::queue

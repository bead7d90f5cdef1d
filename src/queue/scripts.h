#pragma once
// The Lua scripts of the queue protocol (docs/PROTOCOL.md, "Scripts"), each
// behind one typed wrapper that builds its KEYS and ARGV. A wrapper returns a
// Call; run it with run() (EVALSHA, reloading on NOSCRIPT) or put
// Connection::evalsha_command(call...) in a pipeline.
//
// Every script of a job takes the job's keys in JobKeys::all() order and
// checks the job's incarnation first: a call naming another run than the
// meta's gets the error reply `STALE` (ErrorCode::kStale), a job whose meta
// is gone `NOJOB` (kNotFound), and then writes nothing at all. So no call of
// one incarnation touches another's keys or counters, and no script creates
// keys of a job that was removed.

#include <cstdint>
#include <string>
#include <vector>

#include "queue/work_queue.h"
#include "redis/connection.h"

namespace ttg::queue::scripts {

// One script call, ready to run. `script` points at a static Script.
struct Call {
  const redis::Script* script = nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Runs `call` on `client`.
[[nodiscard]] Result<redis::Reply> run(redis::Client& client, const Call& call);
// The EVALSHA command of `call` (its script must be loaded), for pipelines.
redis::Command evalsha(const Call& call);

// submit: creates the meta (state submitting, run `run`, created_ms from
// Redis's clock) and the group, unless the meta exists. Reply: [1, created_ms,
// created_at] when created; [0, stored spec, state, run] when it exists.
Call create(const std::string& job, const std::string& run,
            const std::vector<std::string>& meta_fields);
// submit: writes the task entries of chunks [from, to) (generated in Redis).
Call add_tasks(const std::string& job, const std::string& created_at, const JobSpec& spec,
               int64_t from, int64_t to);
// submit: state submitting -> pending (running if a worker claimed already).
Call finish_submit(const JobRef& job);

// Up to `n` chunks for `consumer`'s free slots: first those handed back or
// taken from gone workers (attempt + 1; past max_attempts dead-lettered
// `lease_expired`), then new ones; then up to `ahead` more new ones, claimed
// ahead (marked in the job's `ahead` bits). Buries entries found deleted.
// Reply: [[id, fields, attempt, previous_owner, reason, now_ms], ...]
// (now_ms: Redis's clock).
Call claim(const JobRef& job, const std::string& consumer, const std::string& worker, int n,
           int ahead);
// Renews `ids` held by `consumer`. Reply: the IDs it no longer holds.
Call renew(const JobRef& job, const std::string& consumer, const std::string& worker,
           const std::vector<std::string>& ids);

// What hand_over() moves to the handed-back consumer.
enum class HandOver {
  kRelease,    // the `ids` `from` holds, attempt refunded (a worker shutting down)
  kGone,       // everything `from` holds: its connection closed (attempt counts)
  kRestarted,  // everything `from` holds but `held`: a worker restarted under its name
  kExpired,    // entries of any owner idle >= `min_idle_ms` but `held` (attempt counts)
  kRecover,    // everything `from` holds (`ttg recover`: its worker is gone)
};
// Moves chunks to the handed-back consumer, where the next claim of any
// worker takes them. Reply: the number moved.
Call hand_over(const JobRef& job, HandOver kind, const std::string& from, int64_t min_idle_ms,
               int n, const std::string& worker, const std::vector<std::string>& ids);

// Commits chunks of one job: first commit wins; a later one is a suppressed
// duplicate. Start with commit(), then add_commit() per chunk (<= 128): 8
// arguments each (entry, chunk, attempt, duration, result data, the
// chunk's claimed_ms and created_ms, stored as claimed_ms and queued_ms,
// and 1 for a speculative copy, counted in speculative_wins when it wins).
// Reply: per chunk 1 committed, 0 duplicate.
Call commit(const JobRef& job, const std::string& worker);
void add_commit(Call& call, const Completion& completion);
// Starts a speculative copy of the chunk of `entry_id`, in flight `age_ms`
// with another consumer (docs/PROTOCOL.md, "Speculative tail"): at most one
// copy per chunk, never of a finished, handed-back or own chunk. Reply:
// empty, or [entry, fields, attempt, owner, claimed_ms].
Call speculate(const JobRef& job, const std::string& consumer, const std::string& worker,
               const std::string& entry_id, int64_t age_ms);
// A kernel error of `chunk`. Reply: [kind, attempt] with kind one of retry,
// dead, lost, finished.
Call fail(const Chunk& chunk, const std::string& consumer, const std::string& worker,
          const std::string& error);
// Dead-letters a malformed entry with `reason`.
Call dead_letter(const Chunk& chunk, const std::string& worker, const std::string& reason);
// Records once that `consumer` will not serve the job, and why.
Call refuse(const JobRef& job, const std::string& consumer, const std::string& reason);
// Deletes `consumer` from the job's group only when it holds nothing.
// Reply: 1 deleted, 0 not.
Call retire(const std::string& job, const std::string& consumer);
// Cancels the job unless finished. Reply: "cancelled" (now), "complete" or
// "was_cancelled" (left as it was); NOJOB when the job does not exist.
Call cancel(const std::string& job);
// For a finished job: drops it from ttg:active, trims a complete job's tasks
// stream (unless some chunk is dead: retry needs its entry) and sets every
// key to expire after the job's retain_ms. A job that is not finished (a
// retry may have reopened it) is left as it is. Reply: the job's state, or
// "gone".
Call finalize(const std::string& job);
// Puts dead chunks back, each with fresh attempts, in the handed-back
// consumer, where the next claim of any worker takes it (no takeover is
// counted); deletes their dead-letter entries. A complete job runs again:
// its keys lose their expiry and it rejoins ttg:active (the one key of this
// call outside the job's). Atomic: all of it happens or none. Reply:
// [reopened, outcomes]: reopened 1 when the job was complete and runs again,
// else 0; per chunk "retried", or why not: "no_such_chunk", "cancelled"
// (the job is), "not_dead" (queued or being computed), "done" (it has a
// result), "no_dead_entry" (its dead-letter entry was deleted), "malformed"
// (its entry would be again), "deleted" (its task entry is gone).
Call retry(const JobRef& job, const std::vector<int64_t>& chunks);

// A silence of every worker longer than this may have closed connections
// (clients give up after 5 s): liveness checks wait for a grace period.
inline constexpr int64_t kConnectionGapMs = 2000;
// How long, after such a silence, nobody is judged gone by a closed
// connection (at least a lease).
inline constexpr int64_t kConnectionGraceMs = 10000;

// The worker registry (lease thread): heartbeat on Redis's clock and, when
// `client_id` is set (a new connection), registration. Detects outages (a
// gap in everyone's heartbeats, a restarted server) and opens the grace
// periods during which nothing is taken over (docs/PROTOCOL.md, "Clocks").
// Reply: [now_ms, lease_grace_until, conn_grace_until].
struct HeartbeatArgs {
  std::string consumer;
  std::string client_id;  // empty: heartbeat only
  std::string server;     // the server's run_id, with client_id
  // The registry entry (JSON for monitors): written with client_id, and
  // without it for a registered worker when not empty.
  std::string info;
  int64_t lease_ms = 10000;
};
Call heartbeat(const HeartbeatArgs& args);
// Takes or keeps the sweeper role for `ttl_ms`. Reply: 1 held, 0 not.
Call sweep_lock(const std::string& consumer, int64_t ttl_ms);
// Removes `consumer` from the registry (a worker leaving, or found gone).
Call unregister(const std::string& consumer);

}  // namespace ttg::queue::scripts

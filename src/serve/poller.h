#pragma once
// The one reader of Redis in `ttg serve`: a thread that refreshes a
// Snapshot every `refresh_ms` through one queue::JobStore and publishes it
// (docs/DEPLOY.md, "The dashboard: ttg serve", says what each refresh
// reads).

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "queue/redis_queue.h"
#include "redis/options.h"
#include "serve/rate.h"
#include "serve/snapshot.h"

namespace ttg::serve {

struct PollerOptions {
  // The Redis to read.
  redis::Options redis;
  // Time between refreshes (from the start of one to the next). Default 1000.
  int64_t refresh_ms = 1000;
  // The newest jobs of the registry shown. Default 200.
  int64_t max_jobs = 200;
};

// Thread safety: snapshot() may be called from any thread at any time;
// start(), stop() and refresh() from one thread (the owner's). The
// destructor stops the thread.
class Poller {
 public:
  explicit Poller(PollerOptions options);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Starts the thread; its first refresh begins at once.
  void start();
  // Stops the thread (waits for a refresh under way: at most Redis's
  // command time-out). Safe to call twice.
  void stop();
  // One refresh on the calling thread (for tests; not with start()).
  void refresh();
  // The latest snapshot; never null (before the first refresh, `polled`
  // is false).
  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  struct JobCache;
  void run();
  // Builds the next snapshot from Redis; an error leaves `next` partial.
  Status read(Snapshot& next);
  Status read_job(const std::string& name, int64_t now_ms, const queue::JobStore::Workers& registry,
                  JobSnapshot& out);
  void publish(std::shared_ptr<const Snapshot> s);

  PollerOptions options_;
  queue::JobStore store_;  // the poller thread's only
  // Per job name, the poller thread's only: what later refreshes reuse.
  std::map<std::string, std::unique_ptr<JobCache>> cache_;

  mutable std::mutex mu_;  // guards snapshot_, stopping_
  std::shared_ptr<const Snapshot> snapshot_;
  bool stopping_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace ttg::serve

#include <gtest/gtest.h>

#include "queue/redis_queue.h"

namespace ttg::queue {
namespace {

JobStore::RegisteredWorker worker(int slots, std::string job, std::string state, int64_t age_ms) {
  JobStore::RegisteredWorker w;
  w.slots = slots;
  w.job = std::move(job);
  w.state = std::move(state);
  w.heartbeat_age_ms = age_ms;
  return w;
}

TEST(LiveSlotsTest, CountsWorkersThatCanRunTheJob) {
  const std::vector<JobStore::RegisteredWorker> workers = {
      worker(4, "", "running", 100),      // every job
      worker(2, "j", "running", 300),     // this job
      worker(8, "other", "running", 50),  // another job only
      worker(3, "", "draining", 100),     // stopping
      worker(5, "", "running", 60'000),   // silent for a minute
      worker(1, "", "", -1),              // just registered, an older ttg
  };
  LiveSlots live = live_slots(workers, "j", 10'000);
  EXPECT_EQ(live.slots, 4 + 2 + 1);
  EXPECT_EQ(live.workers, 3);
  EXPECT_EQ(live_slots({}, "j", 10'000).slots, 0);
}

}  // namespace
}  // namespace ttg::queue

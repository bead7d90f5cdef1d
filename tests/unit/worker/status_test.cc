// The worker's liveness and readiness verdicts (worker/status.h), on a
// clock the test moves.

#include "worker/status.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ttg::worker {
namespace {

using std::chrono::milliseconds;
using Clock = WorkerStatus::Clock;

class WorkerStatusTest : public ::testing::Test {
 protected:
  WorkerStatusTest() : status_(StatusOptions{/*stall_ms=*/60000, /*heartbeat_ms=*/2000}) {}
  Clock::time_point at(int64_t ms) const { return t0_ + milliseconds(ms); }

  const Clock::time_point t0_ = Clock::now();
  WorkerStatus status_;
};

TEST_F(WorkerStatusTest, AliveWhileStartingAndWhileTheLoopGoesRound) {
  EXPECT_TRUE(status_.liveness(at(0)).ok);
  // Waiting for Redis at start-up is bounded by --connect-timeout: not
  // watched, however long.
  EXPECT_TRUE(status_.liveness(at(600000)).ok);
  status_.loop_beat(at(0));
  EXPECT_TRUE(status_.liveness(at(60000)).ok);
  status_.loop_beat(at(59000));
  EXPECT_TRUE(status_.liveness(at(110000)).ok);
}

TEST_F(WorkerStatusTest, WedgedWhenTheLoopHasNotGoneRoundForTheStallTime) {
  status_.loop_beat(at(0));
  Health h = status_.liveness(at(60001));
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("wedged"), std::string::npos) << h.reason;
  EXPECT_NE(h.reason.find("60001 ms"), std::string::npos) << h.reason;
  status_.loop_beat(at(60002));
  EXPECT_TRUE(status_.liveness(at(60003)).ok);
}

TEST_F(WorkerStatusTest, AliveOnceTheLoopHasEnded) {
  status_.loop_beat(at(0));
  status_.loop_ended();
  EXPECT_TRUE(status_.liveness(at(3600000)).ok);
}

TEST_F(WorkerStatusTest, NotReadyUntilAHeartbeatReachedRedis) {
  Health h = status_.readiness(at(0));
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("not registered yet"), std::string::npos) << h.reason;
  status_.heartbeat_ok(at(100));
  h = status_.readiness(at(200));
  EXPECT_TRUE(h.ok) << h.reason;
  EXPECT_EQ(h.reason, "ok");
}

TEST_F(WorkerStatusTest, NotReadyWhileHeartbeatsFailAndReadyAgainAfterOne) {
  status_.heartbeat_ok(at(0));
  status_.heartbeat_failed("Connection refused\nsecond line");
  Health h = status_.readiness(at(100));
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reason, "redis unreachable: Connection refused");
  status_.heartbeat_ok(at(200));
  EXPECT_TRUE(status_.readiness(at(300)).ok);
}

TEST_F(WorkerStatusTest, NotReadyWhenTheLastHeartbeatIsTooOld) {
  // A heartbeat call that hangs (no answer, no error yet) ages the last
  // good one.
  status_.heartbeat_ok(at(0));
  EXPECT_TRUE(status_.readiness(at(2000)).ok);
  Health h = status_.readiness(at(2500));
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("2500 ms ago"), std::string::npos) << h.reason;
}

TEST_F(WorkerStatusTest, DrainingIsNotReadyWhateverTheHeartbeat) {
  status_.heartbeat_ok(at(0));
  status_.loop_beat(at(0));
  status_.set_draining();
  Health h = status_.readiness(at(10));
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("draining"), std::string::npos) << h.reason;
  status_.heartbeat_ok(at(20));
  EXPECT_FALSE(status_.readiness(at(30)).ok);
  // Draining is alive: the loop still goes round.
  EXPECT_TRUE(status_.liveness(at(30)).ok);
}

TEST_F(WorkerStatusTest, ReasonsAreOneLine) {
  status_.heartbeat_failed("a\nb\nc");
  EXPECT_EQ(status_.readiness(at(0)).reason.find('\n'), std::string::npos);
  status_.loop_beat(at(0));
  EXPECT_EQ(status_.liveness(at(100000)).reason.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ttg::worker

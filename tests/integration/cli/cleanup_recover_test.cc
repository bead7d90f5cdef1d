// `ttg cleanup` touches only TTG's keys; `ttg recover` repairs after a
// restart. Through the real binary against a private Redis.

#include <gtest/gtest.h>

#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"

namespace ttg {
namespace {

using testing::RedisTest;
using testing::RunResult;

class CleanupRecoverTest : public RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = std::make_unique<queue::JobStore>(server_->options());
    JobSpec s;
    s.kernel = "noop";
    s.total_params = 20;
    s.chunk_size = 10;
    ASSERT_TRUE(store_->submit("a", s, {}));
    ASSERT_TRUE(store_->submit("b", s, {}));
    auto conn = connect();
    ASSERT_TRUE(conn.command({"SET", "someone-else:key", "keep me"}));
    ASSERT_TRUE(conn.command({"SET", "ttgx", "not ours either"}));
  }

  RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn"}, 60000);
  }

  int64_t count(const std::string& pattern) {
    auto conn = connect();
    auto r = conn.command({"KEYS", pattern});
    return r ? static_cast<int64_t>(r->size()) : -1;
  }

  std::unique_ptr<queue::JobStore> store_;
};

TEST_F(CleanupRecoverTest, DryRunListsButDeletesNothing) {
  int64_t before = count("*");
  auto r = ttg({"cleanup", "--all", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would delete ttg:{a}:tasks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would delete ttg:jobs"), std::string::npos) << r.out;
  EXPECT_EQ(count("*"), before);
}

TEST_F(CleanupRecoverTest, AllForceDeletesEveryTtgKeyAndNothingElse) {
  ASSERT_GT(count("ttg:*"), 0);
  auto r = ttg({"cleanup", "--all", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("ttg:*"), 0);
  EXPECT_EQ(count("someone-else:key"), 1) << "a non-TTG key was deleted";
  EXPECT_EQ(count("ttgx"), 1) << "a key that only looks like TTG's was deleted";
}

TEST_F(CleanupRecoverTest, JobCleanupLeavesOtherJobsAlone) {
  auto r = ttg({"cleanup", "--job", "a", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("ttg:{a}:*"), 0);
  EXPECT_GT(count("ttg:{b}:*"), 0);
  auto jobs = store_->list();
  ASSERT_TRUE(jobs);
  EXPECT_EQ(*jobs, std::vector<std::string>{"b"});
}

TEST_F(CleanupRecoverTest, WithoutForceOrTerminalNothingIsDeleted) {
  int64_t before = count("*");
  auto r = ttg({"cleanup", "--all"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(count("*"), before);
  EXPECT_EQ(ttg({"cleanup"}).exit_code, 2) << "neither --job nor --all";
}

TEST_F(CleanupRecoverTest, RecoverHandsBackChunksOfGoneWorkersAndRecreatesGroups) {
  // A worker "w-dead" claimed a chunk of a and died.
  auto dead = queue::make_redis_queue(server_->options(), {"w-dead", "w-dead", 100});
  auto claim = [](queue::WorkQueue& q, const std::string& job, int n) {
    auto v = q.job(job);
    EXPECT_TRUE(v) << v.error().message;
    return v ? q.claim(v->ref(), v->spec, n)
             : Result<std::vector<queue::Chunk>>(tl::unexpected(v.error()));
  };
  auto claimed = claim(*dead, "a", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  // b lost its consumer group (e.g. restored from an old snapshot).
  auto conn = connect();
  ASSERT_TRUE(conn.command({"XGROUP", "DESTROY", queue::JobKeys("b").tasks, queue::kGroup}));
  ASSERT_TRUE(testing::wait_until([&] {
    auto c = conn.command({"XINFO", "CONSUMERS", queue::JobKeys("a").tasks, queue::kGroup});
    return c && c->size() == 1 && (*c)[0][5].as_int().value_or(0) >= 150;
  }));
  auto r = ttg({"recover", "--lease-ms", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("handed back 1 chunks of gone consumer w-dead"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("job b: recreated consumer group"), std::string::npos) << r.out;
  // Any worker now claims the handed-back chunk at once, and b works again.
  auto live = queue::make_redis_queue(server_->options(), {"w-live", "w-live", 60000});
  auto got = claim(*live, "a", 1);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].chunk, (*claimed)[0].chunk);
  EXPECT_EQ((*got)[0].attempt, 2) << "a dead worker's attempt counts";
  auto b = claim(*live, "b", 2);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->size(), 2u);
}

}  // namespace
}  // namespace ttg

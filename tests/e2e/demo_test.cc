// `ttg demo`, as README's first command runs it: a private redis-server,
// three workers, one killed with SIGKILL at 30%, and a computed verdict.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/redis_fixture.h"
#include "support/ttg_process.h"

namespace ttg {
namespace {

TEST(DemoTest, SmallFaultDemoEndsWithEveryChunkExactlyOnceAndAPassingVerdict) {
  if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
  auto r = testing::run_ttg({"demo", "--scale", "small", "--fault-demo", "--json"},
                            {"TTG_CONFIG=", "TTG_REDIS_URL="}, 300000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["chunks_total"], 100);
  EXPECT_EQ(j["chunks_completed"], 100);
  EXPECT_EQ(j["missing_results"], 0);
  EXPECT_EQ(j["duplicate_results"], 0);
  EXPECT_EQ(j["mismatched_values"], 0);
  EXPECT_EQ(j["verdict"], "pass");
  ASSERT_TRUE(j["takeover_seconds"].is_number()) << "no takeover time was measured: " << r.out;
  EXPECT_GT(j["takeover_seconds"].get<double>(), 0.0);
  EXPECT_FALSE(j["killed_worker"].is_null());
}

}  // namespace
}  // namespace ttg

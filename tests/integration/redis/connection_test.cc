#include "redis/connection.h"

#include <gtest/gtest.h>

#include "support/redis_fixture.h"

namespace ttg::redis {
namespace {

using ttg::testing::RedisTest;

TEST_F(RedisTest, RoundTripSetGet) {
  auto conn = connect();
  ASSERT_TRUE(conn.command({"SET", "k", std::string("a\0b", 3)}));
  auto got = conn.command({"GET", "k"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->str(), std::string("a\0b", 3));
}

}  // namespace
}  // namespace ttg::redis

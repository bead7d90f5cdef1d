// `ttg demo`, as README's first command runs it: a private redis-server,
// three workers, one killed with SIGKILL at 30%, and a computed verdict.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>

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

// Counts the lines of `text` that contain `needle`.
int lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// `--keep` leaves the demo's Redis running, and the commands the demo prints
// work: the results are all there. The picture's caption says what is drawn.
TEST(DemoTest, KeepLeavesItsRedisRunningAndTheSuggestedCommandsWork) {
  if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
  auto r = testing::run_ttg({"demo", "--scale", "small", "--keep"},
                            {"TTG_CONFIG=", "TTG_REDIS_URL="}, 300000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m, std::regex("keeps running at (unix://[^ ]+) \\(pid ([0-9]+)\\)")))
      << r.out;
  const std::string url = m[1];
  const pid_t pid = std::stoi(m[2]);
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\\bjob (demo-[a-z0-9-]+):"))) << r.out;
  const std::string job = m[1];
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("kill [0-9]+ && rm -r ([^ ]+) ([^ \\n]+)")))
      << r.out;
  const std::string server_dir = m[1], logs_dir = m[2];

  // The caption matches the picture: 40 x 25 points, every other row drawn.
  EXPECT_NE(r.out.find("(the Mandelbrot set: 40 x 25 points, drawn as 40 x 13 characters"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(lines_with(r.out, " results " + job + " --redis " + url), 1) << r.out;

  auto results = testing::run_ttg({"results", job, "--redis", url});
  EXPECT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(std::count(results.out.begin(), results.out.end(), '\n'), 1001)
      << "a header and one row per parameter set";
  auto verdict = testing::run_ttg({"verify", job, "--redis", url});
  EXPECT_EQ(verdict.exit_code, 0) << verdict.out << verdict.err;

  // Stop it as the demo said.
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_TRUE(
      testing::wait_until([&] { return ::kill(pid, 0) != 0; }, std::chrono::milliseconds(10000)))
      << "redis-server " << pid << " did not stop";
  std::filesystem::remove_all(server_dir);
  std::filesystem::remove_all(logs_dir);
}

// Without --keep the demo's Redis is gone at the end: no command that needs
// it is suggested.
TEST(DemoTest, WithoutKeepSuggestsNoCommandThatCannotWork) {
  if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
  auto r = testing::run_ttg({"demo", "--kernel", "simulate", "--arg", "work_ms=1"},
                            {"TTG_CONFIG=", "TTG_REDIS_URL="}, 300000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict                       PASS"), std::string::npos) << r.out;
  EXPECT_EQ(lines_with(r.out, "--redis"), 0) << r.out;
  EXPECT_NE(r.out.find("Run again with --keep"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ttg

// Runs the built `ttg` binary as a user would; needs no Redis.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/ttg_process.h"

namespace ttg {
namespace {

// Settings from the caller's environment must not change the outcome.
testing::RunResult run_ttg(const std::vector<std::string>& args) {
  return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=", "LOG_FORMAT="}, 30000);
}

TEST(TtgBinaryTest, Help) {
  auto r = run_ttg({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Subcommands:"), std::string::npos) << r.out;
  for (const char* cmd :
       {"demo", "submit", "worker", "status", "jobs", "results", "cancel", "kernels", "config"}) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd), std::string::npos) << cmd << "\n" << r.out;
  }
}

TEST(TtgBinaryTest, Version) {
  auto r = run_ttg({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("ttg ") + TTG_VERSION + "\n");
}

TEST(TtgBinaryTest, BadFlagExitsTwoWithUsageOnStderr) {
  auto r = run_ttg({"config", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Usage: ttg config"), std::string::npos) << r.err;
}

TEST(TtgBinaryTest, NoCommandExitsTwo) {
  auto r = run_ttg({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Usage: ttg"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ttg

// Runs the built `ttg` binary as a user would; needs no Redis.

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "util/process.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Outcome run_ttg(const std::vector<std::string>& args) {
  Outcome outcome;
  auto dir = util::TempDir::create("ttg-binary-test");
  if (!dir) {
    ADD_FAILURE() << dir.error();
    return outcome;
  }
  std::vector<std::string> argv = {TTG_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  util::SpawnOptions options;
  options.stdout_path = dir->path() + "/out";
  options.stderr_path = dir->path() + "/err";
  // Settings from the caller's environment must not change the outcome.
  options.extra_env = {"TTG_CONFIG=", "LOG_LEVEL=", "LOG_FORMAT="};
  auto child = util::Process::spawn(argv, options);
  if (!child) {
    ADD_FAILURE() << child.error();
    return outcome;
  }
  auto status = child->wait_for(std::chrono::seconds(30));
  if (!status) {
    ADD_FAILURE() << "ttg did not exit";
    return outcome;
  }
  if (WIFEXITED(*status)) outcome.code = WEXITSTATUS(*status);
  outcome.out = slurp(options.stdout_path);
  outcome.err = slurp(options.stderr_path);
  return outcome;
}

TEST(TtgBinaryTest, Help) {
  auto r = run_ttg({"--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Subcommands:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("config"), std::string::npos) << r.out;
}

TEST(TtgBinaryTest, Version) {
  auto r = run_ttg({"--version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("ttg ") + TTG_VERSION + "\n");
}

TEST(TtgBinaryTest, BadFlagExitsTwoWithUsageOnStderr) {
  auto r = run_ttg({"config", "--no-such-flag"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Usage: ttg config"), std::string::npos) << r.err;
}

TEST(TtgBinaryTest, NoCommandExitsTwo) {
  auto r = run_ttg({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("Usage: ttg"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ttg

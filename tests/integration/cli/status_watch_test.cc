// `ttg status --watch` rides out a Redis restart: it says so once, keeps
// watching, and exits 0 when the job ends.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "util/process.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::wait_until;

class StatusWatchTest : public testing::RedisTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.append_only = true;
    return o;
  }
};

TEST_F(StatusWatchTest, WatchWaitsForARestartedRedisAndExitsZeroAtTheEnd) {
  auto dir = util::TempDir::create("ttg-watch-");
  ASSERT_TRUE(dir) << dir.error();
  const std::vector<std::string> env{"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="};
  auto sub = testing::run_ttg({"submit", "--redis", server_->url(), "--job", "w", "--params", "4",
                               "--chunk-size", "1", "--arg", "work_ms=0"},
                              env);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::string log = dir->path() + "/watch.log";
  auto watch = testing::start_ttg({"status", "w", "--watch", "--redis", server_->url()}, log, env);
  ASSERT_TRUE(wait_until([&] { return testing::read_file(log).find("0/4") != std::string::npos; }));

  server_->kill();
  ASSERT_TRUE(wait_until(
      [&] { return testing::read_file(log).find("still watching") != std::string::npos; },
      milliseconds(20000)))
      << testing::read_file(log);
  EXPECT_TRUE(watch.running()) << "the watch ended when Redis went away";
  ASSERT_TRUE(server_->restart());
  ASSERT_TRUE(
      wait_until([&] { return testing::read_file(log).find("Redis is back") != std::string::npos; },
                 milliseconds(20000)))
      << testing::read_file(log);

  auto work = testing::run_ttg(
      {"worker", "--redis", server_->url(), "--job", "w", "--worker-id", "w1"}, env);
  ASSERT_EQ(work.exit_code, 0) << work.err;
  auto st = watch.wait_for(milliseconds(20000));
  ASSERT_TRUE(st.has_value()) << "the watch did not end with the job";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << util::describe_wait_status(*st);
  std::string out = testing::read_file(log);
  EXPECT_NE(out.find("4/4 done"), std::string::npos) << out;
  EXPECT_EQ(out.find("still watching", out.find("still watching") + 1), std::string::npos)
      << "one line per outage, not one per second:\n"
      << out;
}

// On a terminal, --watch redraws one view in place: a progress bar, the
// rates, and a line per worker; it exits 0 when every chunk is done. The
// terminal is a pseudo-terminal made by script(1).
TEST_F(StatusWatchTest, OnATerminalWatchRedrawsOneViewWithAProgressBarAndTheWorkers) {
  if (!util::Process::spawn({"script", "--version"})) GTEST_SKIP() << "script(1) is not installed";
  auto dir = util::TempDir::create("ttg-watch-");
  ASSERT_TRUE(dir) << dir.error();
  const std::vector<std::string> env{"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="};
  auto sub = testing::run_ttg({"submit", "--redis", server_->url(), "--job", "w", "--params", "4",
                               "--chunk-size", "1", "--arg", "work_ms=1000"},
                              env);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::string typescript = dir->path() + "/typescript";
  util::SpawnOptions so;
  so.extra_env = env;
  so.stdout_path = dir->path() + "/script.out";
  so.stderr_path = so.stdout_path;
  auto watch = util::Process::spawn(
      {"script", "-q", "-e", "-f", "-c",
       testing::ttg_binary() + " status w --watch --redis " + server_->url(), typescript},
      so);
  ASSERT_TRUE(watch) << watch.error();
  ASSERT_TRUE(wait_until([&] {
    return testing::read_file(typescript).find("0/4 done") != std::string::npos;
  })) << testing::read_file(typescript);
  auto worker = testing::start_ttg({"worker", "--redis", server_->url(), "--job", "w",
                                    "--worker-id", "w1", "--threads", "1", "--idle-timeout", "1"},
                                   dir->path() + "/worker.log", env);
  auto st = watch->wait_for(milliseconds(60000));
  ASSERT_TRUE(st.has_value()) << "the watch did not end with the job";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << util::describe_wait_status(*st);
  EXPECT_TRUE(worker.wait_for(milliseconds(30000)).has_value());
  std::string out = testing::read_file(typescript);
  EXPECT_NE(out.find("\x1b[J"), std::string::npos) << "no frame was redrawn in place:\n" << out;
  // 80 columns (a pseudo-terminal without a size): a bar of 30.
  EXPECT_NE(out.find("[##############################] 100%  4/4 done"), std::string::npos) << out;
  EXPECT_NE(out.find("WORKER"), std::string::npos) << out;
  EXPECT_NE(out.find("\nw1 "), std::string::npos) << "no line for the worker:\n" << out;
}

}  // namespace
}  // namespace ttg

#include "util/process.h"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/redis_fixture.h"
#include "util/temp_dir.h"

namespace ttg::util {
namespace {

using std::chrono::milliseconds;
using ttg::testing::wait_until;

// The whole content of the file at `path`; empty if it cannot be read.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// True when no process (not even a zombie) has `pid`.
bool gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

Process spawn_or_die(const std::vector<std::string>& argv, const SpawnOptions& options = {}) {
  auto p = Process::spawn(argv, options);
  EXPECT_TRUE(p) << (p ? "" : p.error());
  if (!p) std::abort();
  return std::move(*p);
}

TEST(ProcessTest, ReportsExitStatuses) {
  struct Case {
    std::vector<std::string> argv;
    std::string want;
  };
  const Case cases[] = {
      {{"true"}, "exit 0"},
      {{"false"}, "exit 1"},
      {{"sh", "-c", "exit 3"}, "exit 3"},
      {{"sh", "-c", "kill -9 $$"}, "signal 9 (Killed)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.argv.back());
    Process p = spawn_or_die(c.argv);
    EXPECT_TRUE(p.valid());
    EXPECT_GT(p.pid(), 0);
    auto status = p.wait_for(milliseconds(10000));
    ASSERT_TRUE(status.has_value()) << "still running";
    EXPECT_EQ(describe_wait_status(*status), c.want);
    EXPECT_EQ(p.status(), status);
    EXPECT_FALSE(p.valid());
    EXPECT_FALSE(p.running());
  }
}

TEST(ProcessTest, RunningChildIsReportedRunningUntilStopped) {
  Process p = spawn_or_die({"sleep", "30"});
  pid_t pid = p.pid();
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.wait_for(milliseconds(20)), std::nullopt);
  auto start = std::chrono::steady_clock::now();
  int status = p.stop(milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  ASSERT_TRUE(WIFSIGNALED(status)) << describe_wait_status(status);
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_FALSE(p.running());
  EXPECT_FALSE(p.valid());
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)));
  // Stopping again is a no-op that returns the same status.
  EXPECT_EQ(p.stop(milliseconds(10)), status);
}

TEST(ProcessTest, StopKillsAChildThatIgnoresSigterm) {
  auto dir = TempDir::create("ttg-process-test-");
  ASSERT_TRUE(dir) << dir.error();
  const std::string ready = dir->path() + "/ready";
  // The child ignores SIGTERM (inherited across exec), then says it is ready.
  Process p = spawn_or_die({"sh", "-c", "trap '' TERM; : > \"$1\"; exec sleep 30", "sh", ready});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(ready); }));
  auto start = std::chrono::steady_clock::now();
  int status = p.stop(milliseconds(100));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(WIFSIGNALED(status)) << describe_wait_status(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ProcessTest, SignalReachesTheChild) {
  Process p = spawn_or_die({"sleep", "30"});
  p.signal(SIGUSR1);
  auto status = p.wait_for(milliseconds(10000));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFSIGNALED(*status)) << describe_wait_status(*status);
  EXPECT_EQ(WTERMSIG(*status), SIGUSR1);
  p.signal(SIGKILL);  // no-op once reaped
}

TEST(ProcessTest, DestructorKillsARunningChild) {
  pid_t pid = -1;
  {
    Process p = spawn_or_die({"sleep", "30"});
    pid = p.pid();
    ASSERT_TRUE(p.running());
  }
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)))
      << "pid " << pid << " outlived its owner";
  if (!gone(pid)) ::kill(pid, SIGKILL);  // do not leak it into later tests
}

TEST(ProcessTest, DestructorKillsAStoppedChild) {
  pid_t pid = -1;
  {
    Process p = spawn_or_die({"sleep", "30"});
    pid = p.pid();
    p.signal(SIGSTOP);
  }
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)))
      << "pid " << pid << " outlived its owner";
  if (!gone(pid)) ::kill(pid, SIGKILL);  // do not leak it into later tests
}

TEST(ProcessTest, MoveTransfersOwnership) {
  Process a = spawn_or_die({"sleep", "30"});
  pid_t pid = a.pid();
  Process b(std::move(a));
  EXPECT_FALSE(a.valid());  // the moved-from owner no longer owns the child
  EXPECT_EQ(b.pid(), pid);
  EXPECT_TRUE(b.running());

  // Assigning over a running child stops that child first.
  Process c = spawn_or_die({"sleep", "30"});
  pid_t replaced = c.pid();
  c = std::move(b);
  EXPECT_EQ(c.pid(), pid);
  EXPECT_TRUE(wait_until([&] { return gone(replaced); }, milliseconds(5000)));
  EXPECT_TRUE(c.running());
  c.stop(milliseconds(1000));
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)));
}

TEST(ProcessTest, SpawnOfAMissingProgramFails) {
  const std::vector<std::string> argvs[] = {
      {"ttg-no-such-program-7f3a"},
      {"/nonexistent/dir/ttg-no-such-program"},
      {},
  };
  for (const auto& argv : argvs) {
    auto p = Process::spawn(argv);
    ASSERT_FALSE(p) << "spawned " << (argv.empty() ? "(empty argv)" : argv[0]);
    if (!argv.empty()) {
      EXPECT_NE(p.error().find(argv[0]), std::string::npos) << p.error();
    }
  }
}

TEST(ProcessTest, ExtraEnvReachesTheChild) {
  struct Case {
    std::vector<std::string> extra_env;
    std::string script;
    std::string want;
  };
  const Case cases[] = {
      {{"TTG_TEST_X=y"}, "test \"$TTG_TEST_X\" = y", "exit 0"},
      {{"TTG_TEST_X=n"}, "test \"$TTG_TEST_X\" = y", "exit 1"},
      {{}, "test -z \"${TTG_TEST_X+set}\"", "exit 0"},
      // Replaces a variable the parent has.
      {{"HOME=/nonexistent/home"}, "test \"$HOME\" = /nonexistent/home", "exit 0"},
      // The parent's environment is kept otherwise.
      {{"TTG_TEST_X=y"}, "test -n \"$PATH\"", "exit 0"},
      // Later entries win; values may hold '='.
      {{"TTG_TEST_X=1", "TTG_TEST_X=a=b"}, "test \"$TTG_TEST_X\" = a=b", "exit 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.script);
    SpawnOptions options;
    options.extra_env = c.extra_env;
    Process p = spawn_or_die({"sh", "-c", c.script}, options);
    auto status = p.wait_for(milliseconds(10000));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(describe_wait_status(*status), c.want);
  }
}

TEST(ProcessTest, RedirectsOutputAndStdin) {
  auto dir = TempDir::create("ttg-process-test-");
  ASSERT_TRUE(dir) << dir.error();
  SpawnOptions options;
  options.stdout_path = dir->path() + "/out";
  options.stderr_path = dir->path() + "/err";
  // stdin is /dev/null, so `cat` ends at once.
  Process p = spawn_or_die({"sh", "-c", "echo to-out; echo to-err >&2; cat"}, options);
  auto status = p.wait_for(milliseconds(10000));
  ASSERT_TRUE(status.has_value()) << "child did not finish (stdin not /dev/null?)";
  EXPECT_EQ(describe_wait_status(*status), "exit 0");
  EXPECT_EQ(read_file(options.stdout_path), "to-out\n");
  EXPECT_EQ(read_file(options.stderr_path), "to-err\n");
}

TEST(ProcessTest, ChildStartsWithDefaultSignalDispositions) {
  // Even if the parent ignores SIGPIPE, the child must not.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  Process p = spawn_or_die({"sh", "-c", "kill -PIPE $$; exit 0"});
  ::signal(SIGPIPE, old);
  auto status = p.wait_for(milliseconds(10000));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_wait_status(*status), "signal 13 (Broken pipe)");
}

TEST(ProcessTest, DefaultProcessIsInvalid) {
  Process p;
  EXPECT_FALSE(p.valid());
  EXPECT_FALSE(p.running());
  p.signal(SIGKILL);  // must not signal pid -1 (every process we may signal)
  EXPECT_EQ(p.wait_for(milliseconds(0)), std::nullopt);
  EXPECT_EQ(p.stop(milliseconds(0)), 0);
}

TEST(DescribeWaitStatusTest, Texts) {
  EXPECT_EQ(describe_wait_status(0), "exit 0");
  EXPECT_EQ(describe_wait_status(3 << 8), "exit 3");
  EXPECT_EQ(describe_wait_status(SIGKILL), "signal 9 (Killed)");
  EXPECT_EQ(describe_wait_status(SIGTERM), "signal 15 (Terminated)");
}

}  // namespace
}  // namespace ttg::util

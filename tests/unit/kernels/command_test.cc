// The exec kernel: the command-line splitter, the line protocol with a
// running program, and every way the program can fail.

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "kernels/command_line.h"
#include "kernels/kernel.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

#ifndef TTG_TEST_PROGRAMS
#error "TTG_TEST_PROGRAMS must name tests/unit/kernels/programs"
#endif

namespace ttg::kernels {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(SplitCommandLineTest, SplitsLikeAShell) {
  struct Case {
    const char* line;
    std::vector<std::string> words;
  } cases[] = {
      {"prog", {"prog"}},
      {"  python3   script.py  --n 3 ", {"python3", "script.py", "--n", "3"}},
      {"a 'b c' \"d e\"", {"a", "b c", "d e"}},
      {"f\\ g", {"f g"}},
      {"'it''s' x", {"its", "x"}},
      {"\"say \\\"hi\\\"\" \"back\\\\slash\" \"a\\b\"", {"say \"hi\"", "back\\slash", "a\\b"}},
      {"'no $expansion * here'", {"no $expansion * here"}},
      {"pre\"mid dle\"post", {"premid dlepost"}},
      {"x \"\" ''", {"x", "", ""}},
      {"sh -c 'echo $HOME | wc'", {"sh", "-c", "echo $HOME | wc"}},
      {"a\tb\nc", {"a", "b", "c"}},
  };
  for (const auto& c : cases) {
    auto got = split_command_line(c.line);
    ASSERT_TRUE(got) << c.line << ": " << got.error().message;
    EXPECT_EQ(*got, c.words) << c.line;
  }
}

TEST(SplitCommandLineTest, RejectsWhatItCannotSplit) {
  for (const char* line : {"", "   ", "a 'b", "a \"b", "a\\"}) {
    auto got = split_command_line(line);
    ASSERT_FALSE(got) << "'" << line << "'";
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  }
}

// A kernel running tests/unit/kernels/programs/fake_program.py `mode`.
class ExecKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = util::TempDir::create("ttg-exec-");
    ASSERT_TRUE(dir) << dir.error();
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));
  }

  std::unique_ptr<Kernel> make(const std::string& mode, nlohmann::json extra = {}) {
    JobSpec spec;
    spec.kernel = "exec";
    spec.args = {{"command", "python3 " TTG_TEST_PROGRAMS "/fake_program.py " + mode}};
    if (extra.is_object()) spec.args.update(extra);
    auto k = make_kernel(spec);
    EXPECT_TRUE(k) << k.error().message;
    return k ? std::move(*k) : nullptr;
  }

  Result<nlohmann::json> run(Kernel& k, int64_t begin, int64_t end) {
    auto r = k.run({"job", begin, begin, end, 1, nullptr}, cancel_);
    if (!r) return tl::unexpected(r.error());
    return nlohmann::json::parse(*r);
  }

  std::string pidfile() const { return dir_->path() + "/pid"; }

  // The pid the "silent" program wrote, once it has.
  pid_t wait_for_pid() {
    EXPECT_TRUE(testing::wait_until([&] { return !testing::read_file(pidfile()).empty(); }));
    return static_cast<pid_t>(util::parse_int(testing::read_file(pidfile())).value_or(-1));
  }

  static bool gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

  static void expect_contains(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
  }

  CancelFlag cancel_{false};
  std::unique_ptr<util::TempDir> dir_;
};

TEST_F(ExecKernelTest, AnswersEachSetAndKeepsTheProgramRunning) {
  auto k = make("echo");
  ASSERT_TRUE(k);
  auto a = run(*k, 0, 3);
  ASSERT_TRUE(a) << a.error().message;
  auto b = run(*k, 3, 5);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(a->size(), 3u);
  ASSERT_EQ(b->size(), 2u);
  for (int64_t i = 0; i < 3; ++i) {
    const auto& rec = (*a)[static_cast<size_t>(i)];
    EXPECT_EQ(rec["param_index"], i);
    EXPECT_EQ(rec["param"], i);
    EXPECT_EQ(rec["y"], 2 * i);
    EXPECT_EQ(rec["seed_seen"].get<uint64_t>(), point_seed("job", i));
  }
  EXPECT_EQ((*b)[1]["y"], 8);
  // One program for both chunks.
  EXPECT_EQ((*a)[0]["pid"], (*b)[0]["pid"]);
}

TEST_F(ExecKernelTest, ACrashFailsTheAttemptWithStderrAndTheNextChunkRestartsIt) {
  auto k = make("'crash_on' 4");
  ASSERT_TRUE(k);
  auto first = run(*k, 0, 3);
  ASSERT_TRUE(first) << first.error().message;
  auto crashed = run(*k, 3, 6);
  ASSERT_FALSE(crashed);
  EXPECT_EQ(crashed.error().code, ErrorCode::kKernelFailed);
  expect_contains(crashed.error().message, "parameter set 4");
  expect_contains(crashed.error().message, "exit 3");
  expect_contains(crashed.error().message, "stderr: fake_program: crashing on 4");
  auto next = run(*k, 6, 8);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ((*next)[0]["y"], 12);
  EXPECT_NE((*first)[0]["pid"], (*next)[0]["pid"]) << "the program was not started again";
}

TEST_F(ExecKernelTest, ALineThatIsNotJsonFailsTheAttempt) {
  auto k = make("garbage_on 1");
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  expect_contains(r.error().message, "its answer is not JSON: this is not json");
  auto next = run(*k, 2, 3);
  ASSERT_TRUE(next) << next.error().message;
}

TEST_F(ExecKernelTest, AnAnswerThatIsNotAnObjectFailsTheAttempt) {
  auto k = make("array");
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 1);
  ASSERT_FALSE(r);
  expect_contains(r.error().message, "its answer is not a JSON object: [1, 2]");
}

TEST_F(ExecKernelTest, AMissingOutputFailsTheAttempt) {
  auto k = make("echo", {{"outputs", "y, w"}});
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  expect_contains(r.error().message, "its answer has no output 'w'");
}

TEST_F(ExecKernelTest, ATimeOutKillsTheProgram) {
  // The chunk that starts the program also counts its start-up, so the
  // program is started first, by a chunk it answers; on a loaded machine
  // (the sanitizer build's suite) that chunk may need a few attempts.
  auto k = make("silent_from 1", {{"timeout_ms", 1000}});
  ASSERT_TRUE(k);
  auto first = run(*k, 0, 1);
  for (int attempt = 2; !first && attempt <= 5; ++attempt) first = run(*k, 0, 1);
  ASSERT_TRUE(first) << first.error().message;
  auto pid = static_cast<pid_t>((*first)[0]["pid"].get<int64_t>());
  auto started = Clock::now();
  auto r = run(*k, 1, 3);
  auto took = Clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  expect_contains(r.error().message,
                  "timed out after 1000 ms (timeout_ms); the program was killed");
  expect_contains(r.error().message, "stderr: fake_program: reading and never answering");
  EXPECT_GE(took, milliseconds(1000));
  EXPECT_LT(took, milliseconds(6000));
  EXPECT_TRUE(gone(pid)) << "pid " << pid << " still exists";
}

TEST_F(ExecKernelTest, CancelStopsAWaitingChunkAtOnce) {
  auto k = make("silent " + pidfile());  // the default time-out: 60 s
  ASSERT_TRUE(k);
  std::thread canceller([&] {
    wait_for_pid();
    cancel_.store(true);
  });
  auto started = Clock::now();
  auto r = run(*k, 0, 1);
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
  EXPECT_LT(Clock::now() - started, milliseconds(10000));
  EXPECT_TRUE(testing::wait_until([&] { return gone(wait_for_pid()); }));
}

TEST_F(ExecKernelTest, TheErrorKeepsOnlyTheLastTwoKibibytesOfStderr) {
  auto k = make("noisy_crash");
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 1);
  ASSERT_FALSE(r);
  const std::string& m = r.error().message;
  expect_contains(m, "exit 4");
  expect_contains(m, "stderr (last 2 KiB): ...");
  expect_contains(m, "THE END");
  EXPECT_EQ(m.find("noise line 0000"), std::string::npos);
  EXPECT_LT(m.size(), 2048u + 300u);
}

TEST_F(ExecKernelTest, AProgramThatExitsAtOnceFailsTheAttempt) {
  auto k = make("exit_early");
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  expect_contains(r.error().message, "(exit 0)");
}

TEST_F(ExecKernelTest, AProgramThatCannotStartFailsTheAttempt) {
  JobSpec spec;
  spec.kernel = "exec";
  spec.args = {{"command", "/nonexistent/ttg-test-program --flag"}};
  auto k = make_kernel(spec);
  ASSERT_TRUE(k) << "making the kernel starts nothing";
  auto r = run(**k, 0, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  expect_contains(r.error().message, "cannot start /nonexistent/ttg-test-program");
}

TEST_F(ExecKernelTest, DestroyingTheKernelEndsTheProgram) {
  auto k = make("echo");
  ASSERT_TRUE(k);
  auto r = run(*k, 0, 1);
  ASSERT_TRUE(r) << r.error().message;
  auto pid = static_cast<pid_t>((*r)[0]["pid"].get<int64_t>());
  EXPECT_FALSE(gone(pid));
  k.reset();
  EXPECT_TRUE(gone(pid)) << "pid " << pid << " outlived its kernel";
}

}  // namespace
}  // namespace ttg::kernels

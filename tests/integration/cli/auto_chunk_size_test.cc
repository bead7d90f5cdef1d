// `ttg submit` with an automatic chunk size (the default for built-in and
// plugin kernels), against a private redis-server: the stored size suits
// the kernel's cost, a dry run shows the measurement, bad flags exit 2, and
// a kernel that fails on the sample writes nothing. No assertion depends on
// how fast this machine is: a simulated point sleeps at least its work_ms,
// and a noop point costs far less than a microsecond.

#include <gtest/gtest.h>

#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/scratch_dir.h"
#include "support/ttg_process.h"

namespace ttg {
namespace {

const std::vector<std::string> kCleanEnv = {
    "TTG_CONFIG=", "TOTAL_PARAMETERS=", "CHUNK_SIZE=", "BATCH_SIZE=",
    "TTG_JOB=",    "LOG_LEVEL=",        "LOG_FORMAT=", "TTG_REDIS_URL="};

class AutoChunkSizeTest : public testing::RedisTest {
 protected:
  testing::RunResult submit(std::vector<std::string> args) {
    args.insert(args.begin(), {"submit", "--redis", server_->url()});
    return testing::run_ttg(args, kCleanEnv);
  }

  int64_t stored_chunk_size(const std::string& job) {
    queue::JobStore store(server_->options());
    auto st = store.status(job);
    EXPECT_TRUE(st) << st.error().message;
    return st ? st->spec.chunk_size : -1;
  }

  int64_t dbsize() {
    auto r = connect().command({"DBSIZE"});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->integer() : -1;
  }

  testing::ScratchDir dir_{"ttg-auto-chunk-"};
};

TEST_F(AutoChunkSizeTest, CheapKernelGetsLargeChunks) {
  auto r =
      submit({"--job", "cheap", "--kernel", "noop", "--params", "2000000", "--expect-slots", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The overhead floor alone asks for 10 ms of work per chunk: at least
  // 10,000 noop points.
  const int64_t size = stored_chunk_size("cheap");
  EXPECT_GE(size, 10'000) << r.out;
  EXPECT_LE(size, kMaxChunkSize) << r.out;
  EXPECT_NE(r.out.find("chunk size " + std::to_string(size) + " (auto: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("submitted job cheap: "), std::string::npos) << r.out;
}

TEST_F(AutoChunkSizeTest, SlowKernelGetsSmallChunks) {
  // 50 ms per point at least: the 2 s target allows at most 40 points, and
  // 8 chunks per slot for 4 slots at most 400 / 32 = 12.
  auto r = submit({"--job", "slow", "--kernel", "simulate", "--arg", "work_ms=50", "--params",
                   "400", "--expect-slots", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t size = stored_chunk_size("slow");
  EXPECT_GE(size, 1) << r.out;
  EXPECT_LE(size, 12) << r.out;
  // A longer target cannot lift it past the tail rule; a shorter one lowers it.
  r = submit({"--job", "slow2", "--kernel", "simulate", "--arg", "work_ms=50", "--params", "4000",
              "--expect-slots", "1", "--target-chunk-seconds", "0.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(stored_chunk_size("slow2"), 4) << r.out;
}

TEST_F(AutoChunkSizeTest, SpecFileMayAskForAuto) {
  const std::string spec = dir_.write(
      "s.yaml", "kernel: simulate\nargs: {work_ms: 30}\nparams: 200\nchunk_size: auto\n");
  auto r = submit({"--job", "s", "--spec", spec, "--expect-slots", "2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(" + spec + ": chunk_size auto)"), std::string::npos) << r.out;
  // A flag wins over the file, and a number wins over auto.
  r = submit({"--job", "s", "--spec", spec, "--chunk-size", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stored_chunk_size("s"), 7);
  EXPECT_EQ(r.out.find("chunk size 7 (auto"), std::string::npos) << r.out;
}

TEST_F(AutoChunkSizeTest, DryRunShowsTheMeasurementAndWritesNothing) {
  const int64_t before = dbsize();
  auto r = submit({"--job", "d", "--kernel", "simulate", "--arg", "work_ms=20", "--params", "100",
                   "--expect-slots", "2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string want :
       {"job d (dry run: nothing written)\n",
        "  chunk size:   ", " (--chunk-size auto (default)), about ",
        "    why:        ", "    timed:      ", " spread over the space: ", "    per point:  ",
        "    slots:      2 (--expect-slots)\n", "    target:     2.00 s per chunk (default)\n"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  // 100 points for 2 slots: the tail rule wants at least 16 chunks.
  EXPECT_NE(r.out.find("the tail rule: at least 8 chunks per slot for 2 slots"), std::string::npos)
      << r.out;
  EXPECT_EQ(dbsize(), before);

  // Without --expect-slots: the registry, empty here, then this machine.
  r = submit({"--job", "d", "--kernel", "noop", "--params", "100", "--dry-run",
              "--target-chunk-seconds", "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("; no live worker is registered)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    target:     500.00 ms per chunk (--target-chunk-seconds)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(dbsize(), before);
}

TEST_F(AutoChunkSizeTest, CountsTheSlotsOfLiveWorkers) {
  const std::string log = dir_.path() + "/worker.log";
  util::Process worker = testing::start_ttg({"worker", "--redis", server_->url(), "--threads", "3",
                                             "--idle-timeout", "0", "--worker-id", "w1"},
                                            log, kCleanEnv);
  queue::JobStore store(server_->options());
  ASSERT_TRUE(testing::wait_until([&] {
    auto w = store.workers();
    return w && w->size() == 1 && w->front().heartbeat_age_ms >= 0;
  })) << testing::read_file(log);
  auto r = submit({"--job", "live", "--kernel", "noop", "--params", "1000", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    slots:      3 (1 live worker registered in Redis)\n"),
            std::string::npos)
      << r.out;
  worker.stop(std::chrono::milliseconds(10000));
}

TEST_F(AutoChunkSizeTest, ExecKeepsTheFixedSize) {
  auto r = submit({"--job", "e", "--exec", "true", "--params", "100", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  chunks:       10 of 10 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  chunk size:   10 (--chunk-size auto (default): kernel exec is not "
                       "timed at submit time"),
            std::string::npos)
      << r.out;
}

TEST_F(AutoChunkSizeTest, BadFlagsExitTwoAndWriteNothing) {
  const int64_t before = dbsize();
  struct Case {
    std::vector<std::string> args;
    std::string want;
  } cases[] = {
      {{"--chunk-size", "foo"},
       "ttg: --chunk-size: expected a positive integer or auto, got 'foo'"},
      {{"--chunk-size", "0"}, "ttg: --chunk-size: expected a positive integer or auto, got '0'"},
      {{"--target-chunk-seconds", "-1"},
       "ttg submit: --target-chunk-seconds: expected a number of seconds above 0 and at most "
       "86400, got '-1'"},
      {{"--target-chunk-seconds", "soon"}, "ttg submit: --target-chunk-seconds: expected"},
      {{"--expect-slots", "0"},
       "ttg submit: --expect-slots: expected an integer from 1 to 1000000, got '0'"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--job", "bad", "--kernel", "noop", "--params", "10"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = submit(args);
    EXPECT_EQ(r.exit_code, 2) << c.want << "\n" << r.err;
    EXPECT_EQ(r.err.rfind(c.want, 0), 0u) << r.err;
  }
  auto r = testing::run_ttg(
      {"submit", "--redis", server_->url(), "--job", "bad", "--kernel", "noop", "--params", "10"},
      {"TTG_CONFIG=", "CHUNK_SIZE=lots"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("ttg: CHUNK_SIZE: expected a positive integer or auto, got 'lots'", 0), 0u)
      << r.err;
  EXPECT_EQ(dbsize(), before);
}

TEST_F(AutoChunkSizeTest, KernelFailingOnTheSampleWritesNothing) {
  // The first point is fine (submit checks it); the second fails.
  const std::string spec = dir_.write(
      "bad.yaml", "kernel: bs_mc\nargs: {paths: 100}\nparams:\n  dims:\n    vol: [0.2, -0.1]\n");
  const int64_t before = dbsize();
  auto r = submit({"--job", "f", "--spec", spec, "--expect-slots", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("ttg submit: kernel 'bs_mc' failed on points [1, 2) while timing it: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("vol"), std::string::npos) << r.err;
  EXPECT_EQ(dbsize(), before);
}

}  // namespace
}  // namespace ttg

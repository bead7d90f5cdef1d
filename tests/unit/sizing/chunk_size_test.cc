#include "sizing/chunk_size.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ttg::sizing {
namespace {

struct Case {
  std::string what;
  double per_point;
  int64_t points;
  int64_t slots;
  double target;
  int64_t want_size;
  Rule want_rule;
};

TEST(ChooseChunkSizeTest, AppliesTheRulesInOrder) {
  const std::vector<Case> cases = {
      // 2 s / 1 ms = 2000 points; the tail size (1e6 / 32) is larger.
      {"target", 1e-3, 1'000'000, 4, 2.0, 2000, Rule::kTarget},
      {"target of 0.5 s", 1e-3, 10'000'000, 1, 0.5, 500, Rule::kTarget},
      {"target of 10 s", 1e-3, 10'000'000, 1, 10.0, 10'000, Rule::kTarget},
      // A small job: 1000 points at 10 ms would be 5 chunks of 2 s; at least
      // 8 per slot for 4 slots is 32 chunks: 33 of 31 points (the last of 8).
      {"tail", 10e-3, 1000, 4, 2.0, 31, Rule::kTail},
      {"tail with more slots", 10e-3, 1000, 40, 2.0, 3, Rule::kTail},
      {"tail down to one point", 10e-3, 100, 40, 2.0, 1, Rule::kTail},
      // The tail would make chunks of 3125 points of 1 us: 3 ms, under the
      // 10 ms floor.
      {"floor", 1e-6, 100'000, 4, 2.0, 10'000, Rule::kFloor},
      {"floor above a tiny target", 1e-6, 100'000'000, 1, 1e-4, 10'000, Rule::kFloor},
      {"floor makes one chunk", 1e-6, 1000, 4, 2.0, 1000, Rule::kWholeJob},
      {"one point", 5.0, 1, 8, 2.0, 1, Rule::kWholeJob},
      {"a point longer than the target", 100.0, 1'000'000, 4, 2.0, 1, Rule::kTarget},
      // A noop-like kernel: every rule wants more than the largest size.
      {"largest chunk size", 1e-9, 1'000'000'000, 1, 2.0, kMaxChunkSize, Rule::kMaxChunkSize},
      {"zero time per point", 0.0, 1'000'000'000, 1, 2.0, kMaxChunkSize, Rule::kMaxChunkSize},
      // 2e8 points of 10 s: one per chunk would be 2e8 chunks.
      {"chunk count limit", 10.0, 200'000'000, 1, 2.0, 2, Rule::kMaxChunks},
      {"no slots counts as one", 10e-3, 1000, 0, 2.0, 125, Rule::kTail},
  };
  for (const auto& c : cases) {
    ChoiceInput in;
    in.seconds_per_point = c.per_point;
    in.total_points = c.points;
    in.slots = c.slots;
    in.target_seconds = c.target;
    Choice got = choose_chunk_size(in);
    EXPECT_EQ(got.chunk_size, c.want_size) << c.what << ": " << got.reason;
    EXPECT_EQ(got.rule, c.want_rule) << c.what << ": " << rule_name(got.rule) << ": " << got.reason;
    EXPECT_EQ(got.chunks, (c.points + got.chunk_size - 1) / got.chunk_size) << c.what;
    EXPECT_GE(got.chunk_size, 1) << c.what;
    EXPECT_LE(got.chunk_size, kMaxChunkSize) << c.what;
    EXPECT_LE(got.chunks, kMaxChunks) << c.what;
    EXPECT_FALSE(got.reason.empty()) << c.what;
  }
}

TEST(ChooseChunkSizeTest, TailRuleKeepsEightChunksPerSlot) {
  for (int64_t slots : {1, 2, 4, 16, 64}) {
    for (int64_t points : {64, 1000, 4096, 100'000}) {
      ChoiceInput in{1.0, points, slots, 1e9};  // a target far above the job
      Choice got = choose_chunk_size(in);
      EXPECT_GE(got.chunks, std::min(points, kChunksPerSlot * slots))
          << points << " points, " << slots << " slots: " << got.reason;
    }
  }
}

TEST(ChooseChunkSizeTest, FloorKeepsOverheadUnderOnePercent) {
  for (double per_point : {1e-8, 1e-7, 1e-6, 1e-5, 1e-4}) {
    ChoiceInput in{per_point, int64_t{1} << 40, 1024, 2.0};
    Choice got = choose_chunk_size(in);
    EXPECT_GE(got.chunk_seconds, kOverheadFactor * kChunkOverheadSeconds * 0.999)
        << per_point << ": " << got.reason;
  }
}

TEST(ChooseChunkSizeTest, NoSizeFitsAHugeJob) {
  // More than kMaxChunks chunks even of kMaxChunkSize: the caller refuses it.
  ChoiceInput in{1e-9, kMaxChunks * kMaxChunkSize + 1, 1, 2.0};
  Choice got = choose_chunk_size(in);
  EXPECT_EQ(got.chunk_size, kMaxChunkSize);
  EXPECT_EQ(got.chunks, kMaxChunks + 1);
}

TEST(ChooseChunkSizeTest, ReasonsNameTheRule) {
  EXPECT_NE(choose_chunk_size({10e-3, 1000, 4, 2.0}).reason.find("at least 8 chunks per slot"),
            std::string::npos);
  EXPECT_NE(choose_chunk_size({1e-6, 100'000, 4, 2.0}).reason.find("under 1%"), std::string::npos);
  EXPECT_NE(choose_chunk_size({1e-3, 1'000'000, 4, 2.0}).reason.find("2.00 s per chunk"),
            std::string::npos);
}

TEST(FormatSecondsTest, PicksAUnit) {
  EXPECT_EQ(format_seconds(5e-11), "0.05 ns");
  EXPECT_EQ(format_seconds(850e-9), "850 ns");
  EXPECT_EQ(format_seconds(12.5e-6), "12.5 us");
  EXPECT_EQ(format_seconds(3.2e-3), "3.20 ms");
  EXPECT_EQ(format_seconds(1.5), "1.50 s");
}

TEST(NotTimedTest, ExecAndFaultyKeepTheFixedSize) {
  JobSpec spec;
  spec.kernel = "exec";
  EXPECT_NE(not_timed_reason(spec).find("program"), std::string::npos);
  spec.kernel = "faulty";
  EXPECT_NE(not_timed_reason(spec).find("chunks"), std::string::npos);
  for (const char* k : {"simulate", "noop", "bs_mc", "sir", "mandelbrot", "a_plugin"}) {
    spec.kernel = k;
    EXPECT_EQ(not_timed_reason(spec), "") << k;
  }
}

// measure() runs real kernels; nothing here depends on how long they take.
TEST(MeasureTest, TimesASpreadSampleOrTheWholeSmallJob) {
  kernels::Registry plugins;
  JobSpec spec;
  spec.kernel = "simulate";
  spec.args = {{"work_ms", 0}};
  spec.total_params = 100;
  auto s = measure(spec, "j", plugins);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_GT(s->points, 0);
  EXPECT_LE(s->points, 100);
  // The first round runs one point at each of the 8 offsets.
  if (s->points >= 8) {
    EXPECT_EQ(s->offsets, 8);
  }
  EXPECT_EQ(s->whole_job, s->points == 100);
  EXPECT_GT(s->kernel_seconds, 0);

  spec.kernel = "noop";
  spec.args = nlohmann::json::object();
  spec.total_params = 3;
  s = measure(spec, "j", plugins);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->offsets, 3);
  EXPECT_EQ(s->points, 3);
  EXPECT_TRUE(s->whole_job);
  EXPECT_EQ(s->stopped, "every point");
}

TEST(MeasureTest, AKernelThatFailsIsAnError) {
  kernels::Registry plugins;
  JobSpec spec;
  spec.kernel = "faulty";
  spec.args = {{"fail_chunks", {0}}};
  spec.total_params = 10;
  auto s = measure(spec, "j", plugins);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kKernelFailed);
  EXPECT_NE(s.error().message.find("kernel 'faulty' failed on points [0, 1) while timing it"),
            std::string::npos)
      << s.error().message;

  spec.kernel = "nosuch";
  s = measure(spec, "j", plugins);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ttg::sizing

#include "util/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace ttg::util {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, WithoutJitterDelaysDoubleUpToTheCap) {
  Backoff b(BackoffPolicy{milliseconds(100), milliseconds(1000), 2.0, 0.0});
  const long long want[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(b.next().count(), want[i]) << "attempt " << i;
    EXPECT_EQ(b.attempts(), static_cast<int>(i + 1));
  }
}

TEST(BackoffTest, HonoursTheMultiplier) {
  Backoff b(BackoffPolicy{milliseconds(10), milliseconds(100000), 3.0, 0.0});
  const long long want[] = {10, 30, 90, 270, 810};
  for (size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(b.next().count(), want[i]) << i;
}

TEST(BackoffTest, StaysAtTheCapAfterManyAttempts) {
  Backoff b(BackoffPolicy{milliseconds(50), milliseconds(2000), 2.0, 0.0});
  for (int i = 0; i < 1000; ++i) {
    auto d = b.next();
    ASSERT_GE(d.count(), 50) << "attempt " << i;
    ASSERT_LE(d.count(), 2000) << "attempt " << i;
  }
  EXPECT_EQ(b.next().count(), 2000);
}

TEST(BackoffTest, JitterStaysInRangeAndVaries) {
  // Each delay is uniform in [d * (1 - jitter), d].
  const BackoffPolicy policy{milliseconds(100), milliseconds(1600), 2.0, 0.5};
  const long long base[] = {100, 200, 400, 800, 1600, 1600};
  std::set<long long> seen_last;
  for (int round = 0; round < 200; ++round) {
    Backoff b(policy);
    for (size_t i = 0; i < std::size(base); ++i) {
      long long d = b.next().count();
      ASSERT_GE(d, base[i] / 2) << "round " << round << " attempt " << i;
      ASSERT_LE(d, base[i]) << "round " << round << " attempt " << i;
      if (i + 1 == std::size(base)) seen_last.insert(d);
    }
  }
  EXPECT_GT(seen_last.size(), 10u) << "jitter does not vary the delay";
}

TEST(BackoffTest, FullJitterCanReachZeroButNeverExceedsTheCap) {
  Backoff b(BackoffPolicy{milliseconds(1000), milliseconds(1000), 2.0, 1.0});
  for (int i = 0; i < 500; ++i) {
    long long d = b.next().count();
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 1000);
  }
}

TEST(BackoffTest, ResetStartsOverAtTheInitialDelay) {
  Backoff b(BackoffPolicy{milliseconds(100), milliseconds(1000), 2.0, 0.0});
  for (int i = 0; i < 5; ++i) (void)b.next();
  EXPECT_EQ(b.attempts(), 5);
  b.reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.next().count(), 100);
  EXPECT_EQ(b.next().count(), 200);
}

TEST(BackoffTest, DefaultPolicy) {
  Backoff b;
  long long first = b.next().count();
  EXPECT_GE(first, 25);
  EXPECT_LE(first, 50);
  for (int i = 0; i < 20; ++i) (void)b.next();
  long long late = b.next().count();
  EXPECT_GE(late, 1000);
  EXPECT_LE(late, 2000);
}

TEST(JitteredTest, StaysInRange) {
  struct Case {
    long long base;
    double fraction;
    long long lo;
    long long hi;
  };
  const Case cases[] = {
      {1000, 0.2, 800, 1200},   {1000, 0.0, 1000, 1000},
      {1000, 1.0, 0, 2000},     {1000, 5.0, 0, 2000},  // fraction clamped to 1
      {1000, -1.0, 1000, 1000},                        // fraction clamped to 0
      {0, 0.5, 0, 0},
  };
  for (const auto& c : cases) {
    std::set<long long> seen;
    for (int i = 0; i < 500; ++i) {
      long long d = jittered(milliseconds(c.base), c.fraction).count();
      ASSERT_GE(d, c.lo) << "base " << c.base << " fraction " << c.fraction;
      ASSERT_LE(d, c.hi) << "base " << c.base << " fraction " << c.fraction;
      seen.insert(d);
    }
    if (c.hi - c.lo >= 100) {
      EXPECT_GT(seen.size(), 10u) << "no jitter for base " << c.base << " fraction " << c.fraction;
    }
  }
}

}  // namespace
}  // namespace ttg::util

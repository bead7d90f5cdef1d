#include "serve/rate.h"

#include <gtest/gtest.h>

namespace ttg::serve {
namespace {

TEST(RateHistory, NoRateUntilTwoSamples) {
  RateHistory h;
  EXPECT_FALSE(h.rate());
  h.add(1000, 5);
  EXPECT_FALSE(h.rate());
  EXPECT_TRUE(h.chart().empty());
  h.add(2000, 15);
  ASSERT_TRUE(h.rate());
  EXPECT_DOUBLE_EQ(*h.rate(), 10.0);
}

TEST(RateHistory, RateIsOverTheLastMinuteOnly) {
  RateHistory h;
  // 100 chunks/s for two minutes, then 10 chunks/s for one minute.
  int64_t done = 0;
  for (int64_t t = 0; t <= 120'000; t += 1000) {
    h.add(t, done);
    done += 100;
  }
  done -= 100;
  for (int64_t t = 121'000; t <= 180'000; t += 1000) {
    done += 10;
    h.add(t, done);
  }
  ASSERT_TRUE(h.rate());
  EXPECT_DOUBLE_EQ(*h.rate(), 10.0);
}

TEST(RateHistory, NoProgressIsZeroAndADropIsNotNegative) {
  RateHistory h;
  h.add(0, 50);
  h.add(1000, 50);
  EXPECT_DOUBLE_EQ(*h.rate(), 0.0);
  h.add(2000, 40);
  EXPECT_DOUBLE_EQ(*h.rate(), 0.0);
}

TEST(RateHistory, SameTimeReplacesAndAnEarlierTimeStartsOver) {
  RateHistory h;
  h.add(1000, 1);
  h.add(1000, 3);
  EXPECT_EQ(h.size(), 1U);
  h.add(2000, 5);
  EXPECT_DOUBLE_EQ(*h.rate(), 2.0);
  h.add(500, 7);  // Redis's clock went back: another server
  EXPECT_EQ(h.size(), 1U);
  EXPECT_FALSE(h.rate());
}

TEST(RateHistory, KeepsTenMinutesAtMost) {
  RateHistory h;
  for (int64_t t = 0; t <= 3'600'000; t += 1000) h.add(t, t / 1000);
  EXPECT_EQ(h.size(), 601U);
  for (int64_t t = 3'600'001; t < 3'603'000; ++t) h.add(t, 0);
  EXPECT_LE(h.size(), RateHistory::kMaxSamples);
}

TEST(RateHistory, ChartPointsAreTheRateOverTheTenSecondsBefore) {
  RateHistory h;
  // 1 chunk/s for 20 s, then 5 chunks/s.
  int64_t done = 0;
  for (int64_t t = 0; t <= 20'000; t += 1000) h.add(t, done++);
  --done;
  for (int64_t t = 21'000; t <= 40'000; t += 1000) h.add(t, done += 5);
  auto chart = h.chart();
  ASSERT_EQ(chart.size(), 40U);
  EXPECT_EQ(chart.front().first, 1000);
  EXPECT_DOUBLE_EQ(chart.front().second, 1.0);
  EXPECT_DOUBLE_EQ(chart[19].second, 1.0);  // t = 20 s
  EXPECT_EQ(chart.back().first, 40'000);
  EXPECT_DOUBLE_EQ(chart.back().second, 5.0);
}

TEST(RateHistory, ChartWithRefreshesSlowerThanItsWindow) {
  RateHistory h;
  h.add(0, 0);
  h.add(30'000, 60);
  auto chart = h.chart();
  ASSERT_EQ(chart.size(), 1U);
  EXPECT_DOUBLE_EQ(chart[0].second, 2.0);
}

TEST(Eta, RemainingOverRate) {
  EXPECT_DOUBLE_EQ(*eta_seconds(100, 4.0), 25.0);
  EXPECT_DOUBLE_EQ(*eta_seconds(0, std::nullopt), 0.0);
  EXPECT_DOUBLE_EQ(*eta_seconds(-3, 1.0), 0.0);
  EXPECT_FALSE(eta_seconds(10, std::nullopt));
  EXPECT_FALSE(eta_seconds(10, 0.0));
}

}  // namespace
}  // namespace ttg::serve

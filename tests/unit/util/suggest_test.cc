#include "util/suggest.h"

#include <gtest/gtest.h>

namespace ttg::util {
namespace {

TEST(SuggestTest, EditDistanceCountsEditsAndSwaps) {
  struct Case {
    std::string a, b;
    size_t distance;
  };
  const Case cases[] = {
      {"", "", 0},          {"abc", "", 3},          {"", "abc", 3},
      {"gama", "gamma", 1}, {"sumbit", "submit", 1}, {"--parms", "--params", 1},
      {"sri", "sir", 1},    {"Submit", "submit", 0}, {"kitten", "sitting", 3},
      {"bogus", "jobs", 3}, {"ca", "abc", 3},        {"chunksize", "chunk_size", 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(edit_distance(c.a, c.b), c.distance) << c.a << " -> " << c.b;
    EXPECT_EQ(edit_distance(c.b, c.a), c.distance) << c.b << " -> " << c.a;
  }
}

TEST(SuggestTest, ClosestMatchSuggestsLikelyTyposOnly) {
  const std::vector<std::string> commands = {"demo",    "submit",  "worker", "status",
                                             "jobs",    "results", "cancel", "cleanup",
                                             "recover", "kernels", "config"};
  struct Case {
    std::string word;
    std::optional<std::string> want;
  };
  const Case cases[] = {
      {"sumbit", "submit"},   {"wroker", "worker"},   {"stauts", "status"},
      {"job", "jobs"},        {"resutls", "results"}, {"kernel", "kernels"},
      {"sub", "submit"},      {"clean", "cleanup"},   {"frobnicate", std::nullopt},
      {"live", std::nullopt}, {"x", std::nullopt},    {"c", std::nullopt},
      {"co", std::nullopt},   {"SUBMIT", "submit"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(closest_match(c.word, commands), c.want) << c.word;
  }
  EXPECT_EQ(closest_match("anything", {}), std::nullopt);
  // A prefix of two candidates is ambiguous.
  EXPECT_EQ(closest_match("cle", {"clean", "clear"}), std::nullopt);
}

TEST(SuggestTest, DidYouMeanEndsAMessage) {
  EXPECT_EQ(did_you_mean("gama", {"beta", "gamma"}), " (did you mean 'gamma'?)");
  EXPECT_EQ(did_you_mean("omega", {"beta", "gamma"}), "");
}

}  // namespace
}  // namespace ttg::util

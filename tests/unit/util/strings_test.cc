#include "util/strings.h"

#include <gtest/gtest.h>

#include <limits>

namespace ttg::util {
namespace {

TEST(StringsTest, ParseIntAcceptsOnlyWholeIntegers) {
  struct Case {
    const char* text;
    std::optional<int64_t> want;
  } cases[] = {
      {"0", 0},
      {"42", 42},
      {"-7", -7},
      {"+5", 5},
      {"", std::nullopt},
      {"4x", std::nullopt},
      {" 4", std::nullopt},
      {"99999999999999999999", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_int(c.text), c.want) << "input: '" << c.text << "'";
}

TEST(StringsTest, ParseNumberSaturatesOutOfRangeNumbers) {
  EXPECT_EQ(parse_number("2.5"), 2.5);
  EXPECT_EQ(parse_number("-1e3"), -1000.0);
  EXPECT_EQ(parse_number("1e999"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_number("-1e999"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_number("1e-999"), 0.0);
  EXPECT_EQ(parse_double("1e999"), std::nullopt);
  for (const char* junk : {"", "x", " 1e999", "1e999x", "1e"}) {
    EXPECT_EQ(parse_number(junk), std::nullopt) << junk;
  }
}

TEST(StringsTest, PercentDecodeRejectsMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%40b"), "a@b");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
}

}  // namespace
}  // namespace ttg::util

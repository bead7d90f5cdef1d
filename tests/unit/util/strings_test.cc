#include "util/strings.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

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
      {"9223372036854775807", INT64_MAX},
      {"-9223372036854775808", INT64_MIN},
      {"+", std::nullopt},
      {"-", std::nullopt},
      {"+-5", std::nullopt},
      {"++5", std::nullopt},
      {"--5", std::nullopt},
      {"0x10", std::nullopt},
      {"1e3", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_int(c.text), c.want) << "input: '" << c.text << "'";
}

TEST(StringsTest, ClipCutsLongTextsForMessages) {
  EXPECT_EQ(clip(""), "");
  EXPECT_EQ(clip(std::string(200, 'a')), std::string(200, 'a'));
  EXPECT_EQ(clip(std::string(201, 'a')), std::string(200, 'a') + "...");
  EXPECT_EQ(clip("abcdef", 3), "abc...");
}

TEST(StringsTest, FindInvalidUtf8) {
  struct Case {
    std::string text;
    std::optional<size_t> want;
  } cases[] = {
      {"", std::nullopt},
      {"plain ascii\n\t\x01", std::nullopt},
      {std::string("nul\0inside", 10), std::nullopt},
      {"\xC3\xA9t\xC3\xA9", std::nullopt},              // U+00E9
      {"\xE2\x82\xAC \xF0\x9F\x98\x80", std::nullopt},  // U+20AC, U+1F600
      {"\xEF\xBF\xBF\xF4\x8F\xBF\xBF", std::nullopt},   // U+FFFF, U+10FFFF
      {"ab\xFF", 2},                                    // never in UTF-8
      {"\x80", 0},                                      // a lone continuation byte
      {"x\xC3", 1},                                     // cut short
      {"\xE2\x82", 0},
      {"\xC3(", 0},             // not a continuation byte
      {"\xC0\xAF", 0},          // overlong '/'
      {"\xE0\x80\xAF", 0},      // overlong
      {"\xF0\x8F\xBF\xBF", 0},  // overlong
      {"ok\xED\xA0\x80", 2},    // surrogate U+D800
      {"\xF4\x90\x80\x80", 0},  // past U+10FFFF
      {"\xF5\x80\x80\x80", 0},
      {"\xE2\x82\xAC\xE2\x28\xAC", 3},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(find_invalid_utf8(c.text), c.want) << c.text;
  }
}

TEST(StringsTest, ParseDoubleAcceptsOnlyWholeNumbers) {
  struct Case {
    const char* text;
    std::optional<double> want;
  } cases[] = {
      {"0", 0.0},           {"1.5", 1.5},          {"-2.25", -2.25},
      {"+3", 3.0},          {"1e3", 1e3},          {"", std::nullopt},
      {"+", std::nullopt},  {"+-1", std::nullopt}, {"1.5x", std::nullopt},
      {" 1", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_double(c.text), c.want) << "input: '" << c.text << "'";
  }
}

TEST(StringsTest, PercentDecode) {
  struct Case {
    std::string text;
    std::optional<std::string> want;
  } cases[] = {
      {"", ""},
      {"plain", "plain"},
      {"a%40b", "a@b"},
      {"%3a%3A", "::"},
      {"%25", "%"},
      {"%2525", "%25"},
      {"%00", std::string(1, '\0')},
      {"%ff", "\xff"},
      {"%", std::nullopt},
      {"%4", std::nullopt},
      {"a%", std::nullopt},
      {"%zz", std::nullopt},
      {"%4g", std::nullopt},
      {"%g4", std::nullopt},
      // Signs are not hex digits.
      {"%-1", std::nullopt},
      {"%+1", std::nullopt},
      {"% 1", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(percent_decode(c.text), c.want) << "input: '" << c.text << "'";
  }
}

TEST(StringsTest, SplitTrimStartsWithToLower) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(split(",", ','), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(trim("  a b \t\n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(starts_with("NOSCRIPT x", "NOSCRIPT"));
  EXPECT_TRUE(starts_with("x", ""));
  EXPECT_FALSE(starts_with("NO", "NOSCRIPT"));
  EXPECT_EQ(to_lower("AbC-1"), "abc-1");
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

}  // namespace
}  // namespace ttg::util

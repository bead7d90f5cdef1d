#include "core/param_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ttg {
namespace {

using nlohmann::json;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Dimension must(Result<Dimension> d) {
  EXPECT_TRUE(d) << d.error().message;
  return std::move(*d);
}

ParamSpace must(Result<ParamSpace> s) {
  EXPECT_TRUE(s) << s.error().message;
  return std::move(*s);
}

std::vector<json> values_of(const Dimension& d) {
  std::vector<json> out;
  for (int64_t i = 0; i < d.size(); ++i) out.push_back(d.value(i));
  return out;
}

// Expects `r` to fail with kInvalidArgument and a message containing `want`.
template <class T>
void expect_invalid(const Result<T>& r, const std::string& want, const std::string& label = "") {
  ASSERT_FALSE(r) << label << ": expected an error containing '" << want << "'";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << label;
  EXPECT_NE(r.error().message.find(want), std::string::npos)
      << label << ": got '" << r.error().message << "', want '" << want << "'";
}

std::vector<Dimension> dims_of(std::vector<Result<Dimension>> made) {
  std::vector<Dimension> out;
  for (auto& d : made) out.push_back(must(std::move(d)));
  return out;
}

TEST(ParamSpaceTest, ProductVariesTheLastDimensionFastest) {
  auto space = must(ParamSpace::grid(
      dims_of({Dimension::list("a", {1, 2, 3}), Dimension::list("b", {"x", "y"})})));
  EXPECT_EQ(space.size(), 6);
  EXPECT_EQ(space.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(space.point(0), (json{{"a", 1}, {"b", "x"}}));
  EXPECT_EQ(space.point(1), (json{{"a", 1}, {"b", "y"}}));
  EXPECT_EQ(space.point(2), (json{{"a", 2}, {"b", "x"}}));
  EXPECT_EQ(space.point(5), (json{{"a", 3}, {"b", "y"}}));
  EXPECT_EQ(space.describe(), "a[3] x b[2]");
}

TEST(ParamSpaceTest, ZippedDimensionsVaryTogetherWhereTheFirstIsDeclared) {
  // b, a, c with a and c zipped: the axes are b[2] x (a, c)[3].
  auto space = must(
      ParamSpace::grid(dims_of({Dimension::list("b", {10, 20}), Dimension::list("a", {1, 2, 3}),
                                Dimension::list("c", {"p", "q", "r"})}),
                       {{"c", "a"}}));
  EXPECT_EQ(space.size(), 6);
  EXPECT_EQ(space.describe(), "b[2] x (a, c)[3]");
  EXPECT_EQ(space.point(0), (json{{"a", 1}, {"b", 10}, {"c", "p"}}));
  EXPECT_EQ(space.point(1), (json{{"a", 2}, {"b", 10}, {"c", "q"}}));
  EXPECT_EQ(space.point(4), (json{{"a", 2}, {"b", 20}, {"c", "q"}}));
  EXPECT_EQ(space.point(5), (json{{"a", 3}, {"b", 20}, {"c", "r"}}));
  EXPECT_EQ(space.zip_groups(), (std::vector<std::vector<std::string>>{{"c", "a"}}));
}

TEST(ParamSpaceTest, ZipErrors) {
  auto dims = [] {
    return dims_of({Dimension::list("a", {1, 2}), Dimension::list("b", {1, 2}),
                    Dimension::list("c", {1, 2, 3})});
  };
  expect_invalid(ParamSpace::grid(dims(), {{"a", "c"}}),
                 "zip: dimensions 'a' (2 values) and 'c' (3 values) differ in length");
  expect_invalid(ParamSpace::grid(dims(), {{"a", "x"}}), "zip: no dimension 'x'");
  expect_invalid(ParamSpace::grid(dims(), {{"a", "b"}, {"b"}}),
                 "zip: dimension 'b' appears more than once");
  expect_invalid(ParamSpace::grid(dims(), {{"a", "a"}}), "appears more than once");
  expect_invalid(ParamSpace::grid(dims(), {{}}), "zip group 1 is empty");
}

TEST(ParamSpaceTest, GridErrors) {
  expect_invalid(ParamSpace::grid({}), "no dimensions");
  expect_invalid(ParamSpace::grid(dims_of({Dimension::list("a", {1}), Dimension::list("a", {2})})),
                 "duplicate dimension 'a'");
}

TEST(ParamSpaceTest, IntegerRanges) {
  struct Case {
    int64_t start, stop, step;
    std::vector<int64_t> want;
  } cases[] = {
      {0, 10, 3, {0, 3, 6, 9}},
      {0, 9, 3, {0, 3, 6}},
      {10, 0, -3, {10, 7, 4, 1}},
      {-2, 2, 1, {-2, -1, 0, 1}},
      {5, 6, 100, {5}},
      {kMax - 2, kMax, 1, {kMax - 2, kMax - 1}},
      {kMin + 1, kMin, -1, {kMin + 1}},
  };
  for (const auto& c : cases) {
    auto d = must(Dimension::int_range("n", c.start, c.stop, c.step));
    std::vector<json> want(c.want.begin(), c.want.end());
    EXPECT_EQ(values_of(d), want) << c.start << " " << c.stop << " " << c.step;
    EXPECT_TRUE(d.integer());
    EXPECT_TRUE(d.value(0).is_number_integer());
  }
}

TEST(ParamSpaceTest, IntegerRangesAtTheLimits) {
  // Every int64: 2^64 - 1 values.
  expect_invalid(Dimension::int_range("n", kMin, kMax, 1), "more than 2^63 - 1 values");
  // 2^63 values.
  expect_invalid(Dimension::int_range("n", kMin, kMax, 2), "more than 2^63 - 1 values");
  auto d = must(Dimension::int_range("n", kMin, kMax, 3));
  EXPECT_EQ(d.size(), 6148914691236517205);
  EXPECT_EQ(d.value(0), kMin);
  EXPECT_EQ(d.value(d.size() - 1), kMax - 3);
  auto down = must(Dimension::int_range("n", kMax, kMin, -kMax));
  EXPECT_EQ(values_of(down), (std::vector<json>{kMax, 0, -kMax}));
}

TEST(ParamSpaceTest, RangeErrors) {
  expect_invalid(Dimension::int_range("n", 0, 10, 0), "dimension 'n': range step must not be 0");
  expect_invalid(Dimension::int_range("n", 5, 0, 1),
                 "dimension 'n': range from 5 to 0 by 1 is empty");
  expect_invalid(Dimension::int_range("n", 0, 5, -1), "is empty");
  expect_invalid(Dimension::int_range("n", 3, 3, 1), "is empty");
  expect_invalid(Dimension::float_range("x", 0, 1, 0), "range step must not be 0");
  expect_invalid(Dimension::float_range("x", 1, 0, 0.5), "is empty");
  expect_invalid(Dimension::float_range("x", 0, NAN, 1), "NaN or infinity is not allowed");
  expect_invalid(Dimension::float_range("x", 0, INFINITY, 1), "NaN or infinity is not allowed");
  expect_invalid(Dimension::float_range("x", 0, 1, 1e-300), "more than 2^63 - 1 values");
}

TEST(ParamSpaceTest, FloatRangesExcludeStop) {
  struct Case {
    double start, stop, step;
    std::vector<double> want;
  } cases[] = {
      {0, 1, 0.25, {0, 0.25, 0.5, 0.75}},
      {1, 0, -0.25, {1, 0.75, 0.5, 0.25}},
      {0, 1, 0.5, {0, 0.5}},
      {0.5, 2, 1, {0.5, 1.5}},
  };
  for (const auto& c : cases) {
    auto d = must(Dimension::float_range("x", c.start, c.stop, c.step));
    EXPECT_FALSE(d.integer());
    std::vector<json> want(c.want.begin(), c.want.end());
    EXPECT_EQ(values_of(d), want) << c.start << " " << c.stop << " " << c.step;
    EXPECT_TRUE(d.value(0).is_number_float());
  }
  // Rounding must not let a value reach `stop`: (1.3 - 1) / 0.1 is
  // 2.9999999999999996, and 0.3 / 0.1 is 2.9999999999999996 too.
  for (auto [start, stop, step] : {std::tuple{1.0, 1.3, 0.1}, std::tuple{0.0, 0.3, 0.1},
                                   std::tuple{0.0, 1.0, 0.1}, std::tuple{0.0, 0.7, 0.1}}) {
    auto d = must(Dimension::float_range("x", start, stop, step));
    EXPECT_LT(d.value(d.size() - 1).get<double>(), stop) << start << " " << stop << " " << step;
  }
  EXPECT_EQ(must(Dimension::float_range("x", 0, 1, 0.1)).size(), 10);
  EXPECT_EQ(must(Dimension::float_range("x", 1, 1.3, 0.1)).size(), 3);
}

TEST(ParamSpaceTest, LinspaceIncludesBothEnds) {
  auto d = must(Dimension::linspace("x", 0, 1, 5));
  EXPECT_EQ(values_of(d), (std::vector<json>{0.0, 0.25, 0.5, 0.75, 1.0}));
  EXPECT_FALSE(d.integer());
  // The last value is `stop` exactly, whatever the rounding of the step.
  auto sir = must(Dimension::linspace("beta", 0.1, 0.5, 20));
  EXPECT_EQ(sir.size(), 20);
  EXPECT_EQ(sir.value(0).get<double>(), 0.1);
  EXPECT_EQ(sir.value(19).get<double>(), 0.5);
  for (int64_t i = 1; i < sir.size(); ++i) {
    EXPECT_LT(sir.value(i - 1).get<double>(), sir.value(i).get<double>());
  }
  // Decreasing, and numpy's i * step + start in between.
  auto down = must(Dimension::linspace("x", 1, -1, 3));
  EXPECT_EQ(values_of(down), (std::vector<json>{1.0, 0.0, -1.0}));
  EXPECT_EQ(must(Dimension::linspace("x", 0.1, 0.5, 5)).value(2).get<double>(), 2 * 0.1 + 0.1);
  // Integer ends still give floats.
  EXPECT_TRUE(must(Dimension::linspace("x", 0, 10, 11)).value(3).is_number_float());
  EXPECT_EQ(must(Dimension::linspace("x", 0, 10, 11)).value(3), json(3.0));
  // One value: start.
  EXPECT_EQ(values_of(must(Dimension::linspace("x", 7, 9, 1))), (std::vector<json>{7.0}));
  // start == stop.
  EXPECT_EQ(values_of(must(Dimension::linspace("x", 2, 2, 3))), (std::vector<json>{2.0, 2.0, 2.0}));
}

TEST(ParamSpaceTest, LinspaceErrors) {
  expect_invalid(Dimension::linspace("x", 0, 1, 0), "linspace num must be at least 1, got 0");
  expect_invalid(Dimension::linspace("x", 0, 1, -3), "at least 1");
  expect_invalid(Dimension::linspace("x", NAN, 1, 3), "NaN or infinity is not allowed");
  expect_invalid(Dimension::linspace("x", 0, -INFINITY, 3), "NaN or infinity is not allowed");
  expect_invalid(Dimension::linspace("x", -1.7e308, 1.7e308, 3), "stop - start is not finite");
}

TEST(ParamSpaceTest, LogspaceIsTenToTheLinspace) {
  auto d = must(Dimension::logspace("x", -2, 0, 3));
  EXPECT_EQ(d.kind(), DimensionKind::kLogspace);
  ASSERT_EQ(d.size(), 3);
  EXPECT_DOUBLE_EQ(d.value(0).get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(d.value(1).get<double>(), 0.1);
  EXPECT_EQ(d.value(2).get<double>(), 1.0);
  auto big = must(Dimension::logspace("x", 3, 6, 4));
  EXPECT_EQ(values_of(big), (std::vector<json>{1e3, 1e4, 1e5, 1e6}));
  expect_invalid(Dimension::logspace("x", 0, 400, 2),
                 "dimension 'x': 10^400.0 is not a finite number");
  expect_invalid(Dimension::logspace("x", 0, 1, 0), "at least 1");
}

TEST(ParamSpaceTest, ListsHoldNumbersStringsAndBooleans) {
  auto d = must(Dimension::list("v", {1, 2.5, "s", true}));
  EXPECT_EQ(values_of(d), (std::vector<json>{1, 2.5, "s", true}));
  EXPECT_FALSE(d.integer());
  EXPECT_TRUE(must(Dimension::list("v", {1, -2})).integer());
  expect_invalid(Dimension::list("v", {}), "dimension 'v': no values");
  expect_invalid(Dimension::list("v", {1, NAN}), "value 2: NaN or infinity is not allowed");
  expect_invalid(Dimension::list("v", {INFINITY}), "NaN or infinity is not allowed");
  expect_invalid(Dimension::list("v", {nullptr}), "expected a number, string or boolean, got null");
  expect_invalid(Dimension::list("v", {json::array({1})}), "got array");
}

TEST(ParamSpaceTest, Names) {
  for (const std::string& good :
       std::vector<std::string>{"a", "beta", "_x", "R0", "a.b", "max-iter", std::string(64, 'n')}) {
    EXPECT_TRUE(validate_param_name(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"", "1a", "-a", ".a", "a b", "a,b", "a:b",
                                                         "é", std::string(65, 'n')}) {
    EXPECT_FALSE(validate_param_name(bad)) << bad;
    expect_invalid(Dimension::list(bad, {1}), "bad name", bad);
  }
}

TEST(ParamSpaceTest, CountIsTheIntegersNamedParam) {
  auto space = must(ParamSpace::count(1000));
  EXPECT_EQ(space.size(), 1000);
  EXPECT_EQ(space.names(), (std::vector<std::string>{"param"}));
  EXPECT_EQ(space.point(0), (json{{"param", 0}}));
  EXPECT_EQ(space.point(999), (json{{"param", 999}}));
  EXPECT_EQ(space.describe(), "param[1000]");
  expect_invalid(ParamSpace::count(0), "at least 1");
  expect_invalid(ParamSpace::count(-1), "at least 1");
  EXPECT_EQ(must(ParamSpace::count(kMax)).point(kMax - 1), (json{{"param", kMax - 1}}));
}

TEST(ParamSpaceTest, HugeSpacesComputePointsFromTheIndex) {
  // 10^18 points; nothing is materialised.
  auto space = must(ParamSpace::grid(
      dims_of({Dimension::int_range("a", 0, 1000000, 1), Dimension::linspace("b", 0, 1, 1000000),
               Dimension::int_range("c", 0, 1000000, 1)})));
  EXPECT_EQ(space.size(), 1000000000000000000);
  int64_t index = 123456789012345678;
  json p = space.point(index);
  EXPECT_EQ(p["a"], 123456);
  EXPECT_EQ(p["b"], must(Dimension::linspace("b", 0, 1, 1000000)).value(789012));
  EXPECT_EQ(p["c"], 345678);
  EXPECT_EQ(space.point(space.size() - 1), (json{{"a", 999999}, {"b", 1.0}, {"c", 999999}}));
}

TEST(ParamSpaceTest, ProductsUpToTwoToTheSixtyThreeMinusOne) {
  // 2^63 - 1 = 7^2 * 73 * 127 * 337 * 92737 * 649657: the largest product.
  std::vector<int64_t> factors = {49, 73, 127, 337, 92737, 649657};
  std::vector<Dimension> dims;
  for (size_t i = 0; i < factors.size(); ++i) {
    dims.push_back(must(Dimension::int_range("d" + std::to_string(i), 0, factors[i], 1)));
  }
  auto space = must(ParamSpace::grid(dims));
  EXPECT_EQ(space.size(), kMax);
  json last = space.point(kMax - 1);
  for (size_t i = 0; i < factors.size(); ++i) {
    EXPECT_EQ(last["d" + std::to_string(i)], factors[i] - 1);
  }
  // One more value anywhere overflows.
  dims.push_back(must(Dimension::list("more", {1, 2})));
  expect_invalid(ParamSpace::grid(dims), "the space has more than 2^63 - 1 points: d0[49] x ");
  std::vector<Dimension> big;
  for (int i = 0; i < 4; ++i) {
    big.push_back(must(Dimension::int_range("e" + std::to_string(i), 0, 1000000, 1)));
  }
  expect_invalid(ParamSpace::grid(big), "more than 2^63 - 1 points");
  // Zipped dimensions count once.
  auto zipped = must(ParamSpace::grid(big, {{"e0", "e1", "e2", "e3"}}));
  EXPECT_EQ(zipped.size(), 1000000);
}

TEST(ParamSpaceTest, GridJsonRoundTrip) {
  auto space = must(ParamSpace::grid(
      dims_of({Dimension::list("model", {"sir", "seir"}), Dimension::int_range("seed", 0, 10, 3),
               Dimension::float_range("dt", 0.5, 0.1, -0.1),
               Dimension::linspace("beta", 0.1, 0.5, 7), Dimension::logspace("pop", 3, 6, 4),
               Dimension::list("r0", {1.5, 2, 2.5, 3}),
               Dimension::int_range("big", kMax - 5, kMax, 1)}),
      {{"r0", "pop"}}));
  // As stored in Redis: a string.
  std::string text = space.to_json().dump();
  auto back = must(ParamSpace::from_json(json::parse(text)));
  EXPECT_EQ(back.to_json().dump(), text);
  EXPECT_EQ(back.size(), space.size());
  EXPECT_EQ(back.names(), space.names());
  EXPECT_EQ(back.describe(), space.describe());
  for (int64_t i = 0; i < space.size(); i += 7) {
    // dump() compares doubles bit for bit (shortest round-trip form).
    ASSERT_EQ(back.point(i).dump(), space.point(i).dump()) << i;
  }
  EXPECT_EQ(back.point(space.size() - 1).dump(), space.point(space.size() - 1).dump());
  auto j = space.to_json();
  EXPECT_EQ(j["dims"][1],
            (json{{"name", "seed"}, {"range", {{"start", 0}, {"stop", 10}, {"step", 3}}}}));
  EXPECT_EQ(j["zip"], json::array({json::array({"r0", "pop"})}));
}

TEST(ParamSpaceTest, FromJsonErrors) {
  struct Case {
    std::string text;
    std::string want;
  } cases[] = {
      {R"([])", "param space: expected an object"},
      {R"({"dims": []})", "param space: no dimensions"},
      {R"({"dims": {}})", "param space: 'dims' must be an array"},
      {R"({"dims": [{"name": "a", "values": [1]}], "extra": 1})", "unknown key 'extra'"},
      {R"({"dims": [{"name": "a"}]})", "expected 'name' and one of"},
      {R"({"dims": [{"name": "a", "values": 1}]})", "'values' must be an array"},
      {R"({"dims": [{"name": "a", "range": {"start": 0, "stop": 3}}]})", "range: missing 'step'"},
      {R"({"dims": [{"name": "a", "range": {"start": 0, "stop": 3, "step": 0}}]})",
       "step must not be 0"},
      {R"({"dims": [{"name": "a", "range": {"start": "0", "stop": 3, "step": 1}}]})",
       "range start: expected a number"},
      {R"({"dims": [{"name": "a", "linspace": {"start": 0, "stop": 1, "num": 2.5}}]})",
       "linspace: num: expected an integer"},
      {R"({"dims": [{"name": "a", "values": [1]}], "zip": [["b"]]})", "zip: no dimension 'b'"},
      {R"({"dims": [{"name": "a", "values": [1]}], "zip": "a"})", "'zip' must be an array"},
      {R"({"table": {"columns": ["a"], "rows": []}})", "param space: table: no rows"},
      {R"({"table": {"columns": ["a"], "rows": [[1, 2]]}})", "row 1 has 2 values, expected 1"},
      {R"({"table": {"columns": ["a", "a"], "rows": [[1, 2]]}})", "duplicate column 'a'"},
      {R"({"table": {"columns": ["a"], "rows": [[1]]}, "dims": []})", "cannot be combined"},
  };
  for (const auto& c : cases) {
    expect_invalid(ParamSpace::from_json(json::parse(c.text)), c.want, c.text);
  }
}

TEST(ParamSpaceTest, TableFromCsv) {
  auto space =
      must(ParamSpace::from_csv("\xEF\xBB\xBF"
                                "beta, gamma ,label,code\r\n"
                                "0.3,0.1,baseline,7\r\n"
                                "\r\n"
                                "0.45, 1e-3 ,\"fast, \"\"very\"\"\",\"007\"\n"
                                "1,2,\"two\nlines\",-4\n",
                                "points.csv"));
  EXPECT_TRUE(space.is_table());
  EXPECT_EQ(space.size(), 3);
  EXPECT_EQ(space.names(), (std::vector<std::string>{"beta", "gamma", "label", "code"}));
  EXPECT_EQ(space.point(0),
            (json{{"beta", 0.3}, {"gamma", 0.1}, {"label", "baseline"}, {"code", 7}}));
  EXPECT_EQ(space.point(1),
            (json{{"beta", 0.45}, {"gamma", 0.001}, {"label", "fast, \"very\""}, {"code", "007"}}));
  EXPECT_EQ(space.point(2),
            (json{{"beta", 1}, {"gamma", 2}, {"label", "two\nlines"}, {"code", -4}}));
  EXPECT_TRUE(space.point(2)["beta"].is_number_integer());
  EXPECT_EQ(space.describe(), "table of 3 rows: beta, gamma, label, code");
  // No trailing newline.
  EXPECT_EQ(must(ParamSpace::from_csv("a\n1\n2", "t.csv")).size(), 2);
}

TEST(ParamSpaceTest, CsvErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string want;  // the whole message
  } cases[] = {
      {"", "t.csv:1: empty file: expected a header of column names"},
      {"\n\n", "t.csv:1: empty file: expected a header of column names"},
      {"a,b\n", "t.csv:1: no rows after the header"},
      {"a,b\n1,2\n3\n", "t.csv:3: row has 1 field, the header has 2"},
      {"a,b\n1,2\n\n3,4,5\n", "t.csv:4: row has 3 fields, the header has 2"},
      {"a,a\n1,2\n", "t.csv:1: duplicate column 'a'"},
      {"a,\n1,2\n",
       "t.csv:1: column 2: bad name '': use 1 to 64 letters, digits, '_', '.' or '-', "
       "starting with a letter or '_'"},
      {"a,b c\n1,2\n",
       "t.csv:1: column 2: bad name 'b c': use 1 to 64 letters, digits, '_', '.' "
       "or '-', starting with a letter or '_'"},
      {"a,b\n1,\n", "t.csv:2: column 'b' is empty"},
      {"a,b\n1,nan\n", "t.csv:2: column 'b': 'nan' is not a finite number (quote it for a string)"},
      {"a,b\n1,inf\n", "t.csv:2: column 'b': 'inf' is not a finite number (quote it for a string)"},
      {"a,b\n1,\"x\n2,3\n", "t.csv:2: quoted field is not closed"},
      {"a,b\n1,\"x\"y\n", "t.csv:2: text after a closing quote"},
      {"a,b\n1,x\"y\"\n", "t.csv:2: quote inside a field"},
      {"a,b\n\"multi\nline\",2\n5\n", "t.csv:4: row has 1 field, the header has 2"},
      {"a,b\n1,\"\xB0\"\n", "t.csv:2: column 'b': not valid UTF-8 (byte 1 of the text)"},
      {"a\nx\xE9y\n", "t.csv:2: column 'a': not valid UTF-8 (byte 2 of the text)"},
  };
  for (const auto& c : cases) {
    auto r = ParamSpace::from_csv(c.text, "t.csv");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, c.want) << c.text;
  }
  // Quoted, the same texts are strings.
  EXPECT_EQ(must(ParamSpace::from_csv("a,b\n\"\",\"nan\"\n", "t.csv")).point(0),
            (json{{"a", ""}, {"b", "nan"}}));
}

TEST(ParamSpaceTest, TableFromJsonLines) {
  auto space =
      must(ParamSpace::from_jsonl("{\"z\": 1, \"a\": \"x\", \"m\": true}\n"
                                  "\n"
                                  "{\"m\": false, \"a\": \"y\", \"z\": 2.5}\r\n",
                                  "points.jsonl"));
  EXPECT_EQ(space.size(), 2);
  // Columns in the order of the first line.
  EXPECT_EQ(space.names(), (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(space.point(1), (json{{"z", 2.5}, {"a", "y"}, {"m", false}}));
}

TEST(ParamSpaceTest, JsonLinesErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string want;
  } cases[] = {
      {"", "t.jsonl:1: empty file: expected one JSON object per line"},
      {"{\"a\": 1}\n[1]\n", "t.jsonl:2: expected a JSON object, got array"},
      {"{\"a\": 1}\n\n5\n", "t.jsonl:3: expected a JSON object, got number"},
      {"{\"a\": 1, \"b\": 2}\n{\"a\": 1}\n", "t.jsonl:2: keys differ from line 1: missing 'b'"},
      {"\n{\"a\": 1}\n{\"a\": 1, \"c\": 2}\n",
       "t.jsonl:3: keys differ from line 2: unexpected 'c'"},
      {"{\"a\": 1, \"a\": 2}\n", "t.jsonl:1: duplicate key 'a'"},
      {"{\"a\": 1}\n{\"a\": 1,\n", "t.jsonl:2: the '{' on this line is never closed (add '}')"},
      // Strict JSON.
      {"{\"a\": 1}\n{\"a\": 1,}\n",
       "t.jsonl:2: a comma before '}': JSON allows none after the last member"},
      {"{\"a\": 1, \"b\": [1, 2,]}\n",
       "t.jsonl:1: a comma before ']': JSON allows none after the last value"},
      {"{'a': 1}\n", "t.jsonl:1: names take double quotes (\"), not single"},
      {"{\"a\": 1} // one\n", "t.jsonl:1: a comment: JSON has none"},
      {"{\"a\": [1]}\n", "t.jsonl:1: 'a': expected a number, string or boolean, got array"},
      {"{\"a\": null}\n", "t.jsonl:1: 'a': expected a number, string or boolean, got null"},
      {"{\"a b\": 1}\n",
       "t.jsonl:1: key 1: bad name 'a b': use 1 to 64 letters, digits, '_', "
       "'.' or '-', starting with a letter or '_'"},
      {"{}\n", "t.jsonl:1: empty object: no columns"},
      {"{\"a\": 1e999}\n", "t.jsonl:1: not valid JSON: number overflow parsing '1e999'"},
  };
  for (const auto& c : cases) {
    auto r = ParamSpace::from_jsonl(c.text, "t.jsonl");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, c.want) << c.text;
  }
}

TEST(ParamSpaceTest, TableJsonRoundTrip) {
  auto space = must(ParamSpace::from_csv("a,b\n1,x\n2.5,\"y\"\n", "t.csv"));
  std::string text = space.to_json().dump();
  EXPECT_EQ(text, R"({"table":{"columns":["a","b"],"rows":[[1,"x"],[2.5,"y"]]}})");
  auto back = must(ParamSpace::from_json(json::parse(text)));
  EXPECT_TRUE(back.is_table());
  EXPECT_EQ(back.point(1), space.point(1));
  EXPECT_EQ(back.to_json().dump(), text);
}

TEST(ParamSpaceTest, CopiesShareState) {
  auto space = must(ParamSpace::count(10));
  ParamSpace copy = space;
  EXPECT_EQ(&copy.names(), &space.names());
}

}  // namespace
}  // namespace ttg

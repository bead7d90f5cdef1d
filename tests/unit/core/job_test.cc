#include "core/job.h"

#include <gtest/gtest.h>

#include <limits>

namespace ttg {
namespace {

using nlohmann::json;

ParamSpace two_d() {
  std::vector<Dimension> dims;
  dims.push_back(*Dimension::linspace("beta", 0.1, 0.5, 5));
  dims.push_back(*Dimension::list("model", {"sir", "seir"}));
  return *ParamSpace::grid(std::move(dims));
}

TEST(JobSpecTest, SpecsWithOnlyTotalParamsAreIntegerPoints) {
  // As written before parameter spaces existed.
  json stored = json::parse(
      R"({"kernel":"simulate","args":{"work_ms":5},"total_params":50,"chunk_size":7,"max_attempts":2})");
  auto spec = JobSpec::from_json(stored);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_FALSE(spec->space.has_value());
  EXPECT_EQ(spec->total_params, 50);
  EXPECT_EQ(spec->total_chunks(), 8);
  EXPECT_EQ(spec->point(0), (json{{"param", 0}}));
  EXPECT_EQ(spec->point(49), (json{{"param", 49}}));
  EXPECT_EQ(spec->param_names(), (std::vector<std::string>{"param"}));
  auto space = spec->param_space();
  ASSERT_TRUE(space);
  EXPECT_EQ(space->size(), 50);
  EXPECT_EQ(space->point(17), spec->point(17));
  // And they are written back unchanged.
  EXPECT_EQ(spec->to_json(), stored);
}

TEST(JobSpecTest, SpaceRoundTripDerivesTotalParams) {
  JobSpec spec;
  spec.kernel = "noop";
  spec.args = json::object();
  spec.chunk_size = 3;
  spec.set_space(two_d());
  spec.outputs = {"peak", "total"};
  EXPECT_EQ(spec.total_params, 10);
  EXPECT_EQ(spec.total_chunks(), 4);
  ASSERT_TRUE(spec.validate());
  std::string text = spec.to_json().dump();
  auto back = JobSpec::from_json(json::parse(text));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->to_json().dump(), text);
  EXPECT_EQ(back->total_params, 10);
  EXPECT_EQ(back->outputs, spec.outputs);
  EXPECT_EQ(back->param_names(), (std::vector<std::string>{"beta", "model"}));
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(back->point(i).dump(), spec.point(i).dump()) << i;
  // Index 3 = beta's second value, model's second value.
  EXPECT_EQ(back->point(3), (json{{"beta", two_d().dimensions()[0].value(1)}, {"model", "seir"}}));

  // Without total_params, the space's size is taken.
  json j = spec.to_json();
  j.erase("total_params");
  auto derived = JobSpec::from_json(j);
  ASSERT_TRUE(derived) << derived.error().message;
  EXPECT_EQ(derived->total_params, 10);
}

TEST(JobSpecTest, Errors) {
  json j = JobSpec{}.to_json();
  j["space"] = two_d().to_json();
  j["total_params"] = 11;
  auto r = JobSpec::from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "job spec: 'total_params' is 11 but the space has 10 points");

  j.erase("total_params");
  j["space"] = json{{"dims", json::array()}};
  r = JobSpec::from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "job spec: param space: no dimensions");

  j.erase("space");
  j["outputs"] = json::array({"a", 1});
  r = JobSpec::from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "job spec: 'outputs' must be an array of strings");
  j["outputs"] = json::array({"a", "a"});
  r = JobSpec::from_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "outputs: 'a' is listed twice");

  JobSpec spec;
  spec.set_space(two_d());
  spec.total_params = 3;  // out of step with the space
  auto st = spec.validate();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "total params is 3 but the parameter space has 10 points");
}

TEST(JobSpecTest, ChunksOfTheLargestSpaceDoNotOverflow) {
  JobSpec spec;
  spec.total_params = std::numeric_limits<int64_t>::max();
  spec.chunk_size = 10000;
  int64_t chunks = spec.total_chunks();
  EXPECT_EQ(chunks, std::numeric_limits<int64_t>::max() / 10000 + 1);
  EXPECT_EQ(spec.chunk_begin(chunks - 1), (chunks - 1) * 10000);
  EXPECT_EQ(spec.chunk_end(chunks - 1), spec.total_params);
  EXPECT_EQ(spec.chunk_end(chunks - 2), (chunks - 1) * 10000);
  spec.chunk_size = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(spec.total_chunks(), 1);
  EXPECT_EQ(spec.chunk_end(0), spec.total_params);
}

TEST(ChunkListTest, ParsesNumbersAndRanges) {
  struct Case {
    std::string text;
    std::vector<int64_t> want;
  };
  for (const Case& c : std::vector<Case>{{"3,5-7", {3, 5, 6, 7}},
                                         {"7", {7}},
                                         {"0-2", {0, 1, 2}},
                                         {" 9 , 1 - 2 ,1", {1, 2, 9}},
                                         {"4-4", {4}},
                                         {"5-7,6", {5, 6, 7}}}) {
    SCOPED_TRACE(c.text);
    auto r = parse_chunk_list(c.text);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, c.want);
  }
}

TEST(ChunkListTest, BadListsSayWhatIsWrong) {
  struct Case {
    std::string text;
    std::string want;  // in the message
  };
  for (const Case& c : std::vector<Case>{
           {"", "it is empty"},
           {" ", "it is empty"},
           {"3,,5", "an empty part"},
           {"3,", "an empty part"},
           {"x", "'x' is not a chunk number"},
           {"3,x", "'x' is not a chunk number"},
           {"-3", "'-3' is not a chunk number"},
           {"1.5", "'1.5' is not a chunk number"},
           {"5-", "'5-' is not a range of chunks such as 5-7"},
           {"5-x", "'5-x' is not a range"},
           {"3--5", "'3--5' is not a range"},
           {"7-3", "the range '7-3' ends before it starts"},
           {"0-1000000", "more than 1000000 chunks"},
           {"0-9223372036854775807", "more than 1000000 chunks"},
       }) {
    SCOPED_TRACE(c.text);
    auto r = parse_chunk_list(c.text);
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("is not a list of chunks such as 3,5-7"), std::string::npos)
        << r.error().message;
  }
  EXPECT_TRUE(parse_chunk_list("0-999999")) << "exactly the limit";
}

TEST(ChunkListTest, FormatsWhatItParses) {
  EXPECT_EQ(format_chunk_list({3, 5, 6}), "3, 5, 6");
  EXPECT_EQ(format_chunk_list({3, 5, 6, 7, 9}), "3, 5-7, 9");
  EXPECT_EQ(format_chunk_list({0, 1, 2, 3}, ","), "0-3");
  EXPECT_EQ(format_chunk_list({}), "");
  std::vector<int64_t> chunks = {1, 2, 4, 5, 6, 10, 12, 13, 14, 15};
  auto back = parse_chunk_list(format_chunk_list(chunks));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, chunks);
}

TEST(Iso8601Test, ParsesWhatItPrints) {
  for (int64_t ms : {int64_t{0}, int64_t{951782400123}, int64_t{1796000000999},
                     int64_t{4102444799000}, int64_t{1709164800000}}) {
    auto back = parse_iso8601(iso8601(ms));
    ASSERT_TRUE(back.has_value()) << iso8601(ms);
    EXPECT_EQ(*back, ms) << iso8601(ms);
  }
}

TEST(Iso8601Test, RefusesOtherText) {
  for (const char* text : {"", "2026-11-29T18:12:34Z", "2026-11-29 18:12:34.123Z",
                           "2026-13-29T18:12:34.123Z", "2026-11-29T18:12:34.123", "x"}) {
    EXPECT_FALSE(parse_iso8601(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace ttg

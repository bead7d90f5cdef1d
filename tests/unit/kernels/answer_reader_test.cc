// The exec kernel's reading side: output cut into lines with a limit, and
// the check of one answer line.

#include "kernels/answer_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ttg::kernels {
namespace {

// Every line `buffer` has complete, in order.
std::vector<std::string> drain(LineBuffer& buffer) {
  std::vector<std::string> lines;
  for (;;) {
    auto line = buffer.next_line();
    EXPECT_TRUE(line.has_value()) << line.error().message;
    if (!line || !*line) return lines;
    lines.push_back(**line);
  }
}

TEST(LineBufferTest, CutsLinesWhereverTheReadsSplitThem) {
  const std::string output = "{\"y\": 1}\n\n{\"y\": 2}\r\nrest";
  for (size_t piece = 1; piece <= output.size(); ++piece) {
    LineBuffer buffer;
    std::vector<std::string> lines;
    for (size_t i = 0; i < output.size(); i += piece) {
      buffer.append(std::string_view(output).substr(i, piece));
      for (auto& l : drain(buffer)) lines.push_back(l);
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"{\"y\": 1}", "", "{\"y\": 2}\r"}))
        << "pieces of " << piece;
    EXPECT_EQ(buffer.size(), 4u) << "pieces of " << piece;
  }
}

TEST(LineBufferTest, NoLineUntilTheNewline) {
  LineBuffer buffer;
  buffer.append("{\"y\":");
  auto line = buffer.next_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_FALSE(line->has_value());
  buffer.append(" 3}\n");
  line = buffer.next_line();
  ASSERT_TRUE(line && *line);
  EXPECT_EQ(**line, "{\"y\": 3}");
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(LineBufferTest, LimitsTheLineLength) {
  struct Case {
    size_t max_line;
    std::string output;
    bool ok;  // the first next_line() succeeds
  };
  const Case cases[] = {
      {4, "abcd\n", true},    // exactly the limit
      {4, "abcde\n", false},  // one over, complete
      {4, "abcd", true},      // partial, within the limit: no line yet
      {4, "abcde", false},    // partial, over the limit
      {1, "\n", true},
  };
  for (const auto& c : cases) {
    LineBuffer buffer(c.max_line);
    buffer.append(c.output);
    auto line = buffer.next_line();
    EXPECT_EQ(line.has_value(), c.ok) << c.max_line << " '" << c.output << "'";
    if (!line) {
      EXPECT_EQ(line.error().code, ErrorCode::kKernelFailed);
      EXPECT_EQ(line.error().message,
                "it wrote more than " + std::to_string(c.max_line) + " bytes without a newline");
      EXPECT_EQ(buffer.size(), c.output.size()) << "left as it was";
    }
  }
}

TEST(LineBufferTest, TheDefaultLimitIs16MiB) {
  LineBuffer buffer;
  EXPECT_EQ(buffer.max_line(), size_t{16} << 20);
  buffer.append(std::string(kMaxAnswerLine, 'x'));
  EXPECT_TRUE(buffer.check_limit().has_value());
  auto line = buffer.next_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_FALSE(line->has_value());
  buffer.append("x");
  auto st = buffer.check_limit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message, "it wrote more than 16 MiB without a newline");
  line = buffer.next_line();
  ASSERT_FALSE(line.has_value());
  EXPECT_EQ(line.error().message, "it wrote more than 16 MiB without a newline");
}

TEST(LineBufferTest, CheckLimitCountsCompleteLinesToo) {
  // A reader still writing its request takes no lines: the buffer must not
  // grow without bound meanwhile.
  LineBuffer buffer(8);
  buffer.append("1\n2\n3\n4\n");
  EXPECT_TRUE(buffer.check_limit().has_value());
  buffer.append("5");
  EXPECT_FALSE(buffer.check_limit().has_value());
  buffer.clear();
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_TRUE(buffer.check_limit().has_value());
}

TEST(ParseAnswerTest, AcceptsAnObjectWithTheOutputs) {
  auto answer = parse_answer(R"({"y": 4, "z": "a"})", {"y", "z"});
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(*answer, (nlohmann::json{{"y", 4}, {"z", "a"}}));
  EXPECT_TRUE(parse_answer("{}", {}).has_value());
  EXPECT_TRUE(parse_answer("  {\"y\": null}  \r", {"y"}).has_value());
}

TEST(ParseAnswerTest, LimitsTheNesting) {
  // kMaxAnswerDepth levels of arrays and objects, the answer's own included.
  auto nested = [](int levels) {
    return "{\"y\": " + std::string(levels - 1, '[') + "1" + std::string(levels - 1, ']') + "}";
  };
  EXPECT_TRUE(parse_answer(nested(kMaxAnswerDepth), {"y"}).has_value());
  auto deep = parse_answer(nested(kMaxAnswerDepth + 1), {"y"});
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().message,
            "its answer is nested more than 1000 deep: {\"y\": " + std::string(194, '[') + "...");
  // Far deeper than any stack: rejected, not crashed on.
  EXPECT_FALSE(parse_answer(nested(1'000'000), {"y"}).has_value());
}

TEST(ParseAnswerTest, ErrorsNameWhatIsWrongAndQuoteTheLine) {
  struct Case {
    std::string line;
    std::vector<std::string> outputs;
    std::string message;
  };
  const Case cases[] = {
      {"hello", {}, "its answer is not JSON: hello"},
      {"", {}, "its answer is not JSON: "},
      {"{\"y\": 1", {}, "its answer is not JSON: {\"y\": 1"},
      {"{\"y\": 1}\n{}", {}, "its answer is not JSON: {\"y\": 1}\n{}"},
      {"[1, 2]", {}, "its answer is not a JSON object: [1, 2]"},
      {"42", {"y"}, "its answer is not a JSON object: 42"},
      {"{\"x\": 1}", {"y"}, "its answer has no output 'y': {\"x\": 1}"},
      {"{\"y\": 1}", {"y", "z"}, "its answer has no output 'z': {\"y\": 1}"},
      {"\"\xff\"", {}, "its answer is not JSON: \"\xff\""},
      {std::string(300, 'x'), {}, "its answer is not JSON: " + std::string(200, 'x') + "..."},
      {std::string(200, '1'), {}, "its answer is not a JSON object: " + std::string(200, '1')},
  };
  for (const auto& c : cases) {
    auto answer = parse_answer(c.line, c.outputs);
    ASSERT_FALSE(answer.has_value()) << c.line;
    EXPECT_EQ(answer.error().code, ErrorCode::kKernelFailed) << c.line;
    EXPECT_EQ(answer.error().message, c.message) << c.line;
  }
}

}  // namespace
}  // namespace ttg::kernels

#include "obs/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ttg::obs {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Each test logs into its own stream and puts logging back afterwards.
class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { reset_logging(); }

  void init(std::string level, LogFormat format) {
    auto st = init_logging({std::move(level), format, &out_});
    ASSERT_TRUE(st) << st.error().message;
  }

  std::ostringstream out_;
};

TEST_F(LogTest, JsonLineHoldsTsLevelMsgAndFieldsInOrder) {
  init("info", LogFormat::kJson);
  log_info("claimed chunk", {{"job", "j1"}, {"chunk", "37"}, {"worker", "w2"}});
  auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u) << out_.str();
  auto doc = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& item : doc.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"ts", "level", "msg", "job", "chunk", "worker"}));
  EXPECT_TRUE(std::regex_match(doc["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << doc["ts"];
  EXPECT_EQ(doc["level"], "info");
  EXPECT_EQ(doc["msg"], "claimed chunk");
  EXPECT_EQ(doc["job"], "j1");
  EXPECT_EQ(doc["chunk"], "37");
  EXPECT_EQ(doc["worker"], "w2");
}

TEST_F(LogTest, JsonEscapesEverything) {
  init("trace", LogFormat::kJson);
  std::string nasty = "quote\" back\\slash\nnew line\ttab {} %s \x01 \xff";
  log_warn(nasty, {{"k\"ey", nasty}, {"msg", "shadow"}, {"ts", "x"}, {"level", "y"}});
  auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u) << out_.str();
  auto doc = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(doc["level"], "warn");
  // Invalid UTF-8 is replaced, everything else survives.
  std::string expected = "quote\" back\\slash\nnew line\ttab {} %s \x01 \xEF\xBF\xBD";
  EXPECT_EQ(doc["msg"], expected);
  EXPECT_EQ(doc["k\"ey"], expected);
  EXPECT_EQ(doc["field.msg"], "shadow");
  EXPECT_EQ(doc["field.ts"], "x");
  EXPECT_EQ(doc["field.level"], "y");
}

TEST_F(LogTest, TextLineForPeople) {
  init("info", LogFormat::kText);
  log_info("msg", {{"job", "j1"}, {"chunk", "37"}});
  log_error("failed", {{"error", "connection refused"}, {"empty", ""}});
  log_warn("two\nlines");
  auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  const std::string ts = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(ts + " INFO  msg job=j1 chunk=37")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex(ts + R"( ERROR failed error="connection refused" empty="")")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex(ts + R"( WARN  two\\nlines)"))) << lines[2];
}

TEST_F(LogTest, LevelFiltering) {
  struct Case {
    std::string level;
    std::vector<std::string> written;
  };
  const std::vector<Case> cases = {
      {"trace", {"trace", "debug", "info", "warn", "error"}},
      {"debug", {"debug", "info", "warn", "error"}},
      {"info", {"info", "warn", "error"}},
      {"WARNING", {"warn", "error"}},
      {"error", {"error"}},
      {"off", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("level " + c.level);
    out_.str("");
    init(c.level, LogFormat::kJson);
    log_trace("trace");
    log_debug("debug");
    log_info("info");
    log_warn("warn");
    log_error("error");
    log(LogLevel::kOff, "never");
    std::vector<std::string> got;
    for (const auto& line : lines_of(out_.str())) {
      got.push_back(nlohmann::json::parse(line)["msg"].get<std::string>());
    }
    EXPECT_EQ(got, c.written);
    EXPECT_EQ(log_enabled(LogLevel::kError), !c.written.empty());
    EXPECT_EQ(log_enabled(LogLevel::kDebug), c.written.size() >= 4);
    EXPECT_FALSE(log_enabled(LogLevel::kOff));
  }
}

TEST_F(LogTest, BadLevelIsRejectedAndKeepsTheOldConfiguration) {
  init("warn", LogFormat::kText);
  auto st = init_logging({"verbose", LogFormat::kJson, nullptr});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("'verbose'"), std::string::npos) << st.error().message;
  log_info("dropped");
  log_warn("kept");
  auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u) << out_.str();
  EXPECT_NE(lines[0].find(" WARN  kept"), std::string::npos) << lines[0];
}

TEST(LogNamesTest, ParseLevelsAndFormats) {
  EXPECT_EQ(parse_log_level("Info").value(), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level("WARNING").value(), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("off").value(), LogLevel::kOff);
  EXPECT_FALSE(parse_log_level("loud"));
  EXPECT_EQ(parse_log_format("JSON").value(), LogFormat::kJson);
  EXPECT_EQ(parse_log_format("text").value(), LogFormat::kText);
  auto bad = parse_log_format("xml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log_level_name(LogLevel::kWarn), "warn");
  EXPECT_EQ(log_format_name(LogFormat::kJson), "json");
}

TEST_F(LogTest, ConcurrentRecordsStayWhole) {
  init("info", LogFormat::kJson);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        log_info("tick", {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  for (const auto& line : lines) {
    auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(doc.is_discarded()) << line;
    EXPECT_EQ(doc["msg"], "tick");
  }
}

}  // namespace
}  // namespace ttg::obs

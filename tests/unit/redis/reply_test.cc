#include "redis/reply.h"

#include <gtest/gtest.h>

#include <string>

#include "redis/connection.h"

namespace ttg::redis {
namespace {

TEST(ReplyTest, DefaultIsNil) {
  Reply r;
  EXPECT_TRUE(r.is_nil());
  EXPECT_EQ(r.type(), Reply::Type::kNil);
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.integer(), 0);
  EXPECT_EQ(r.size(), 0u);
}

TEST(ReplyTest, FactoriesSetTypeAndValue) {
  EXPECT_TRUE(Reply::string("a").is_string());
  EXPECT_TRUE(Reply::status("OK").is_status());
  EXPECT_TRUE(Reply::error("ERR x").is_error());
  EXPECT_TRUE(Reply::integer(7).is_integer());
  EXPECT_TRUE(Reply::array({}).is_array());
  EXPECT_EQ(Reply::integer(-9).integer(), -9);
  EXPECT_EQ(Reply::string(std::string("a\0b", 3)).str(), std::string("a\0b", 3));
  auto arr = Reply::array({Reply::string("x"), Reply::integer(2)});
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0].str(), "x");
  EXPECT_EQ(arr[1].integer(), 2);
}

TEST(ReplyTest, DebugString) {
  struct Case {
    Reply reply;
    std::string want;
  };
  const Case cases[] = {
      {Reply::nil(), "nil"},
      {Reply::string("a"), "\"a\""},
      {Reply::string(""), "\"\""},
      {Reply::status("OK"), "OK"},
      {Reply::error("ERR bad"), "(error) ERR bad"},
      {Reply::integer(42), "42"},
      {Reply::integer(-1), "-1"},
      {Reply::array({}), "[]"},
      {Reply::array({Reply::string("a"), Reply::integer(1), Reply::nil()}), "[\"a\", 1, nil]"},
      {Reply::array({Reply::array({Reply::string("id"), Reply::array({Reply::string("f")})}),
                     Reply::status("QUEUED")}),
       "[[\"id\", [\"f\"]], QUEUED]"},
      // Bytes that would break a log line or the quoting are escaped.
      {Reply::string(std::string("a\0b", 3)), "\"a\\x00b\""},
      {Reply::string("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\""},
      {Reply::string("back\\slash\t\r"), "\"back\\\\slash\\t\\r\""},
      {Reply::string("\x7f\xff"), "\"\\x7f\\xff\""},
      {Reply::error("ERR x\ny"), "(error) ERR x\\ny"},
      {Reply::string("%s %d"), "\"%s %d\""},
  };
  for (const auto& c : cases) EXPECT_EQ(c.reply.debug_string(), c.want) << "want: " << c.want;
}

TEST(ReplyTest, AsInt) {
  struct Case {
    Reply reply;
    std::optional<int64_t> want;
  };
  const Case cases[] = {
      {Reply::integer(0), 0},
      {Reply::integer(-5), -5},
      {Reply::integer(INT64_MAX), INT64_MAX},
      {Reply::string("42"), 42},
      {Reply::string("-42"), -42},
      {Reply::string("9223372036854775807"), INT64_MAX},
      {Reply::status("17"), 17},
      {Reply::string(""), std::nullopt},
      {Reply::string("4x"), std::nullopt},
      {Reply::string(" 4"), std::nullopt},
      {Reply::string("1.5"), std::nullopt},
      {Reply::string("9223372036854775808"), std::nullopt},
      {Reply::status("OK"), std::nullopt},
      {Reply::error("12"), std::nullopt},
      {Reply::nil(), std::nullopt},
      {Reply::array({Reply::integer(1)}), std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.reply.as_int(), c.want) << "reply: " << c.reply.debug_string();
  }
}

TEST(ClassifyErrorReplyTest, MapsPrefixesToCodes) {
  struct Case {
    const char* message;
    ErrorCode want;
  };
  const Case cases[] = {
      {"NOSCRIPT No matching script. Please use EVAL.", ErrorCode::kNoScript},
      {"BUSYGROUP Consumer Group name already exists", ErrorCode::kBusyGroup},
      {"NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option",
       ErrorCode::kNoGroup},
      {"NOAUTH Authentication required.", ErrorCode::kNoAuth},
      // An ACL user without the right: refused like a missing login.
      {"NOPERM this user has no permissions to run the 'set' command", ErrorCode::kNoAuth},
      {"WRONGPASS invalid username-password pair or user is disabled.", ErrorCode::kWrongPass},
      {"ERR invalid password", ErrorCode::kWrongPass},
      {"ERR AUTH <password> called without any password configured for the default user.",
       ErrorCode::kWrongPass},
      {"ERR Client sent AUTH, but no password is set", ErrorCode::kWrongPass},
      {"ERR unknown command 'FOO'", ErrorCode::kRedisReply},
      {"ERR value is not an integer or out of range", ErrorCode::kRedisReply},
      {"WRONGTYPE Operation against a key holding the wrong kind of value", ErrorCode::kRedisReply},
      // Transient: retried like a dropped connection.
      {"LOADING Redis is loading the dataset in memory", ErrorCode::kConnection},
      {"BUSY Redis is busy running a script.", ErrorCode::kConnection},
      // TTG's own scripts: the job is gone, or its run is over.
      {"NOJOB job does not exist", ErrorCode::kNotFound},
      {"STALE job was submitted again under a new run", ErrorCode::kStale},
      {"", ErrorCode::kRedisReply},
      // Prefixes are matched at the start only, case-sensitively.
      {"ERR NOSCRIPT", ErrorCode::kRedisReply},
      {"noscript lower case", ErrorCode::kRedisReply},
  };
  for (const auto& c : cases) {
    Error e = classify_error_reply(c.message);
    EXPECT_EQ(e.code, c.want) << "message: '" << c.message << "' got " << error_code_name(e.code);
    EXPECT_EQ(e.message, c.message);
  }
}

}  // namespace
}  // namespace ttg::redis

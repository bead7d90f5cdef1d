#include "redis/connection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/redis_fixture.h"

namespace ttg::redis {
namespace {

using ttg::testing::RedisTest;

TEST_F(RedisTest, RoundTripSetGet) {
  auto conn = connect();
  ASSERT_TRUE(conn.command({"SET", "k", std::string("a\0b", 3)}));
  auto got = conn.command({"GET", "k"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->str(), std::string("a\0b", 3));
}

using ConnectionTest = RedisTest;

TEST_F(ConnectionTest, ValuesAreBinarySafe) {
  auto conn = connect();
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  // Arguments are sent as an argv array: nothing is parsed as a format.
  const std::string values[] = {
      "",
      std::string("a\0b", 3),
      std::string("\0", 1),
      "%s %d %n %b %%",
      "line\r\nbreak",
      "*1\r\n$4\r\nPING\r\n",
      all_bytes,
      std::string(1 << 20, 'x'),
  };
  for (size_t i = 0; i < std::size(values); ++i) {
    SCOPED_TRACE("value " + std::to_string(i));
    // Keys are binary-safe too.
    std::string key = "key %s " + values[i].substr(0, 64);
    auto set = conn.command({"SET", key, values[i]});
    ASSERT_TRUE(set) << set.error().message;
    EXPECT_TRUE(set->is_status());
    EXPECT_EQ(set->str(), "OK");
    auto got = conn.command({"GET", key});
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->is_string()) << got->debug_string().substr(0, 200);
    EXPECT_EQ(got->str().size(), values[i].size());
    EXPECT_TRUE(got->str() == values[i]);
    auto len = conn.command({"STRLEN", key});
    ASSERT_TRUE(len) << len.error().message;
    EXPECT_EQ(len->as_int(), static_cast<int64_t>(values[i].size()));
  }
}

TEST_F(ConnectionTest, ReplyTypes) {
  auto conn = connect();
  auto nil = conn.command({"GET", "missing"});
  ASSERT_TRUE(nil) << nil.error().message;
  EXPECT_TRUE(nil->is_nil()) << nil->debug_string();

  auto status = conn.command({"PING"});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(status->is_status());
  EXPECT_EQ(status->str(), "PONG");

  auto echo = conn.command({"PING", "hello"});
  ASSERT_TRUE(echo) << echo.error().message;
  EXPECT_TRUE(echo->is_string());
  EXPECT_EQ(echo->str(), "hello");

  auto incr = conn.command({"INCRBY", "n", "-5"});
  ASSERT_TRUE(incr) << incr.error().message;
  EXPECT_TRUE(incr->is_integer());
  EXPECT_EQ(incr->integer(), -5);
  auto big = conn.command({"INCRBY", "n", "9223372036854775807"});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->integer(), INT64_MAX - 5);

  ASSERT_TRUE(conn.command({"RPUSH", "l", "a", "", "c"}));
  auto range = conn.command({"LRANGE", "l", "0", "-1"});
  ASSERT_TRUE(range) << range.error().message;
  EXPECT_EQ(range->debug_string(), R"(["a", "", "c"])");

  ASSERT_TRUE(conn.command({"SET", "x", "1"}));
  auto mget = conn.command({"MGET", "x", "missing", "x"});
  ASSERT_TRUE(mget) << mget.error().message;
  EXPECT_EQ(mget->debug_string(), R"(["1", nil, "1"])");

  auto empty = conn.command({"LRANGE", "missing", "0", "-1"});
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->is_array());
  EXPECT_EQ(empty->size(), 0u);

  // Nested arrays: a stream entry is [id, [field, value, ...]].
  auto id = conn.command({"XADD", "s", "1-1", "f", "v"});
  ASSERT_TRUE(id) << id.error().message;
  auto entries = conn.command({"XRANGE", "s", "-", "+"});
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_EQ(entries->debug_string(), R"([["1-1", ["f", "v"]]])");
}

TEST_F(ConnectionTest, ErrorRepliesAreClassified) {
  auto conn = connect();
  struct Case {
    Command argv;
    ErrorCode want;
  };
  const Case cases[] = {
      {{"NOSUCHCOMMAND", "x"}, ErrorCode::kRedisReply},
      {{"EVALSHA", std::string(40, 'a'), "0"}, ErrorCode::kNoScript},
      {{"XREADGROUP", "GROUP", "nogroup", "c", "COUNT", "1", "STREAMS", "nostream", ">"},
       ErrorCode::kNoGroup},
  };
  for (const auto& c : cases) {
    auto r = conn.command(c.argv);
    ASSERT_FALSE(r) << c.argv[0] << " returned " << r->debug_string();
    EXPECT_EQ(r.error().code, c.want) << c.argv[0] << ": " << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
  // Error replies do not break the connection.
  EXPECT_TRUE(conn.usable());
  EXPECT_TRUE(conn.command({"PING"}));
}

TEST_F(ConnectionTest, ConsumerGroupErrors) {
  auto conn = connect();
  auto create = conn.command({"XGROUP", "CREATE", "tasks", "workers", "$", "MKSTREAM"});
  ASSERT_TRUE(create) << create.error().message;
  auto again = conn.command({"XGROUP", "CREATE", "tasks", "workers", "$", "MKSTREAM"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kBusyGroup) << again.error().message;
  EXPECT_NE(again.error().message.find("BUSYGROUP"), std::string::npos);

  // Stream exists, group does not.
  auto missing_group =
      conn.command({"XREADGROUP", "GROUP", "other", "c1", "COUNT", "1", "STREAMS", "tasks", ">"});
  ASSERT_FALSE(missing_group);
  EXPECT_EQ(missing_group.error().code, ErrorCode::kNoGroup) << missing_group.error().message;

  auto missing_ack = conn.command({"XACK", "tasks", "workers", "0-1"});
  ASSERT_TRUE(missing_ack) << missing_ack.error().message;
  EXPECT_EQ(missing_ack->integer(), 0);
}

TEST_F(ConnectionTest, EmptyCommandIsRejected) {
  auto conn = connect();
  auto r = conn.command({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().message;
  // Nothing was sent: the connection still works and is in step.
  auto pong = conn.command({"PING"});
  ASSERT_TRUE(pong) << pong.error().message;
  EXPECT_EQ(pong->str(), "PONG");

  auto p = conn.pipeline({{"PING"}, {}, {"PING"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument) << p.error().message;
  auto echo = conn.command({"ECHO", "in step"});
  ASSERT_TRUE(echo) << echo.error().message;
  EXPECT_EQ(echo->str(), "in step");
}

TEST_F(ConnectionTest, PipelineKeepsAFailingCommandInPlace) {
  auto conn = connect();
  constexpr int kN = 101;
  constexpr int kBad = 50;
  std::vector<Command> commands;
  for (int i = 0; i < kN; ++i) {
    if (i == kBad) {
      commands.push_back({"INCR", "text"});  // fails: the value is not an integer
    } else {
      commands.push_back({"RPUSH", "list", std::to_string(i)});
    }
  }
  ASSERT_TRUE(conn.command({"SET", "text", "not a number"}));
  auto replies = conn.pipeline(commands);
  ASSERT_TRUE(replies) << replies.error().message;
  ASSERT_EQ(replies->size(), static_cast<size_t>(kN));
  int64_t want_len = 0;
  for (int i = 0; i < kN; ++i) {
    const Reply& r = (*replies)[i];
    if (i == kBad) {
      ASSERT_TRUE(r.is_error()) << "reply " << i << ": " << r.debug_string();
      EXPECT_NE(r.str().find("not an integer"), std::string::npos) << r.str();
      EXPECT_EQ(classify_error_reply(r.str()).code, ErrorCode::kRedisReply);
    } else {
      ASSERT_TRUE(r.is_integer()) << "reply " << i << ": " << r.debug_string();
      EXPECT_EQ(r.integer(), ++want_len) << "reply " << i;
    }
  }
  // The list holds every element but the failed command's, in order.
  auto range = conn.command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range) << range.error().message;
  ASSERT_EQ(range->size(), static_cast<size_t>(kN - 1));
  EXPECT_EQ((*range)[kBad - 1].str(), std::to_string(kBad - 1));
  EXPECT_EQ((*range)[kBad].str(), std::to_string(kBad + 1));
  EXPECT_TRUE(conn.usable());
}

TEST_F(ConnectionTest, EmptyPipeline) {
  auto conn = connect();
  auto replies = conn.pipeline({});
  ASSERT_TRUE(replies) << replies.error().message;
  EXPECT_TRUE(replies->empty());
  EXPECT_TRUE(conn.command({"PING"}));
}

TEST_F(ConnectionTest, ScriptReloadsAfterScriptFlush) {
  auto conn = connect();
  Script script("redis.call('INCRBY', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[2]}");
  EXPECT_EQ(script.sha(), "");
  auto first = conn.eval(script, {"counter"}, {"2", "%s"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->debug_string(), R"(["counter", "%s"])");
  const std::string sha = script.sha();
  EXPECT_EQ(sha.size(), 40u) << sha;

  auto flush = conn.command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(flush) << flush.error().message;
  auto exists = conn.command({"SCRIPT", "EXISTS", sha});
  ASSERT_TRUE(exists) << exists.error().message;
  ASSERT_EQ(exists->debug_string(), "[0]") << "SCRIPT FLUSH did not drop the script";

  auto second = conn.eval(script, {"counter"}, {"3", "again"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->debug_string(), R"(["counter", "again"])");
  EXPECT_EQ(script.sha(), sha);
  auto counter = conn.command({"GET", "counter"});
  ASSERT_TRUE(counter) << counter.error().message;
  EXPECT_EQ(counter->as_int(), 5);  // both runs ran exactly once
}

TEST_F(ConnectionTest, ScriptSharedByConnections) {
  auto a = connect();
  auto b = connect();
  Script script("return ARGV[1] .. ARGV[1]");
  auto ra = a.eval(script, {}, {"ab"});
  ASSERT_TRUE(ra) << ra.error().message;
  EXPECT_EQ(ra->str(), "abab");
  auto rb = b.eval(script, {}, {std::string("\0", 1)});
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(rb->str(), std::string("\0\0", 2));
  // The loaded script can run in a pipeline.
  auto replies = b.pipeline({Connection::evalsha_command(script, {}, {"x"}), {"PING"}});
  ASSERT_TRUE(replies) << replies.error().message;
  EXPECT_EQ((*replies)[0].str(), "xx");
}

TEST_F(ConnectionTest, ScriptErrorsAreReplies) {
  auto conn = connect();
  Script bad_syntax("return (");
  auto r = conn.eval(bad_syntax, {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRedisReply) << r.error().message;

  Script raises("return redis.error_reply('NOGROUP made up')");
  auto r2 = conn.eval(raises, {}, {});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kNoGroup) << r2.error().message;
  EXPECT_TRUE(conn.usable());
}

TEST_F(ConnectionTest, SelectDatabase) {
  Options db2 = server_->options();
  db2.db = 2;
  auto in2 = Connection::connect(db2);
  ASSERT_TRUE(in2) << in2.error().message;
  ASSERT_TRUE(in2->command({"SET", "only-in-2", "v"}));

  auto in0 = connect();
  auto got0 = in0.command({"GET", "only-in-2"});
  ASSERT_TRUE(got0) << got0.error().message;
  EXPECT_TRUE(got0->is_nil()) << "db 0 sees " << got0->debug_string();

  auto again2 = Connection::connect(db2);
  ASSERT_TRUE(again2) << again2.error().message;
  auto got2 = again2->command({"GET", "only-in-2"});
  ASSERT_TRUE(got2) << got2.error().message;
  EXPECT_EQ(got2->str(), "v");

  Options bad = server_->options();
  bad.db = 999;  // the server has 16 databases
  auto out_of_range = Connection::connect(bad);
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().code, ErrorCode::kRedisReply) << out_of_range.error().message;
  EXPECT_NE(out_of_range.error().message.find("SELECT"), std::string::npos)
      << out_of_range.error().message;
}

TEST_F(ConnectionTest, ConnectsByUrl) {
  auto options = parse_url(server_->url() + "/3");
  ASSERT_TRUE(options) << options.error().message;
  auto conn = Connection::connect(*options);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(conn->options().db, 3);
  EXPECT_TRUE(conn->command({"PING"}));
}

TEST_F(ConnectionTest, ClientRunsCommandsPipelinesAndScripts) {
  Client client(server_->options());
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.connects(), 0);
  auto set = client.command({"SET", "k", "v"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.connects(), 1);
  auto replies = client.pipeline({{"GET", "k"}, {"NOSUCH"}, {"GET", "k"}});
  ASSERT_TRUE(replies) << replies.error().message;
  EXPECT_EQ((*replies)[0].str(), "v");
  EXPECT_TRUE((*replies)[1].is_error());
  EXPECT_EQ((*replies)[2].str(), "v");
  Script script("return redis.call('GET', KEYS[1])");
  auto r = client.eval(script, {"k"}, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->str(), "v");
  // An error reply leaves the connection in place.
  auto bad = client.command({"INCR", "k"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kRedisReply);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.connects(), 1);

  client.disconnect();
  EXPECT_FALSE(client.connected());
  ASSERT_TRUE(client.command({"PING"}));
  EXPECT_EQ(client.connects(), 2);
}

}  // namespace
}  // namespace ttg::redis

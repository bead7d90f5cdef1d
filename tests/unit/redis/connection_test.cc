// Connection checks that need no server: options are validated before any
// connection is attempted.

#include "redis/connection.h"

#include <gtest/gtest.h>

#include <string>

namespace ttg::redis {
namespace {

TEST(ConnectTest, RejectsOptionsOutOfRangeBeforeConnecting) {
  struct Case {
    const char* name;
    void (*edit)(Options&);
  };
  const Case cases[] = {
      {"zero command time-out", [](Options& o) { o.command_timeout = {}; }},
      {"negative command time-out",
       [](Options& o) { o.command_timeout = std::chrono::milliseconds(-5); }},
      {"zero connect time-out", [](Options& o) { o.connect_timeout = {}; }},
      {"negative connect time-out",
       [](Options& o) { o.connect_timeout = std::chrono::milliseconds(-1); }},
      {"port 0", [](Options& o) { o.port = 0; }},
      {"port 70000", [](Options& o) { o.port = 70000; }},
      {"negative db", [](Options& o) { o.db = -1; }},
      {"zero time-out on a unix socket",
       [](Options& o) {
         o.unix_socket = "/nonexistent/redis.sock";
         o.command_timeout = {};
       }},
  };
  for (const auto& c : cases) {
    Options o;
    // A host that cannot be resolved: reaching the network would fail with
    // kConnection, not kInvalidArgument.
    o.host = "host.invalid";
    o.password = "Sekr1tPw";
    c.edit(o);
    auto conn = Connection::connect(o);
    ASSERT_FALSE(conn) << c.name;
    EXPECT_EQ(conn.error().code, ErrorCode::kInvalidArgument)
        << c.name << ": " << conn.error().message;
    EXPECT_EQ(conn.error().message.find("Sekr1tPw"), std::string::npos) << conn.error().message;
  }
}

TEST(ConnectTest, PortRangeIgnoredForUnixSockets) {
  Options o;
  o.unix_socket = "/nonexistent/ttg/redis.sock";
  o.port = 0;
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kConnection) << conn.error().message;
}

}  // namespace
}  // namespace ttg::redis

// The shared HTTP server's start-up checks (http/server.h): what it refuses
// before it listens. Serving itself is tested over loopback in
// tests/integration/ (serve/, worker/).

#include "http/server.h"

#include <gtest/gtest.h>

namespace ttg::http {
namespace {

TEST(HttpServerTest, AnAddressThatIsNotIpv4IsRefusedNamingAddressAndPort) {
  for (const char* bad : {"localhost", "::1", "1.2.3", ""}) {
    ServerOptions o;
    o.bind = bad;
    o.port = 9100;
    o.what = "metrics";
    auto s = Server::start(o);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("cannot serve metrics on " + std::string(bad) + ":9100"),
              std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("IPv4"), std::string::npos) << s.error().message;
  }
}

TEST(HttpServerTest, APortOutOfRangeIsRefused) {
  for (int port : {-1, 65536}) {
    ServerOptions o;
    o.port = port;
    auto s = Server::start(o);
    ASSERT_FALSE(s) << port;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("cannot serve on 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << s.error().message;
  }
}

}  // namespace
}  // namespace ttg::http

#include "redis/options.h"

#include <gtest/gtest.h>

#include <string>

namespace ttg::redis {
namespace {

struct GoodUrl {
  const char* url;
  std::string host;
  int port;
  std::string unix_socket;
  std::string user;
  std::string password;
  int db;
  bool tls = false;
};

TEST(ParseUrlTest, AcceptsGoodUrls) {
  const GoodUrl cases[] = {
      {"redis://example.com", "example.com", 6379, "", "", "", 0},
      {"redis://example.com/", "example.com", 6379, "", "", "", 0},
      {"redis://10.0.0.7:6380", "10.0.0.7", 6380, "", "", "", 0},
      {"redis://host:1", "host", 1, "", "", "", 0},
      {"redis://host:65535", "host", 65535, "", "", "", 0},
      {"redis://user:pass@host:6390/3", "host", 6390, "", "user", "pass", 3},
      {"redis://user@host", "host", 6379, "", "user", "", 0},
      {"redis://:pass@host", "host", 6379, "", "", "pass", 0},
      {"redis://al%69ce:p%40ss%3Aw%2Fd%25@host/1", "host", 6379, "", "alice", "p@ss:w/d%", 1},
      {"redis://u:pa:ss@host", "host", 6379, "", "u", "pa:ss", 0},
      {"redis://u:p@ss@host:7000", "host", 7000, "", "u", "p@ss", 0},
      {"redis://[::1]:6380", "::1", 6380, "", "", "", 0},
      {"redis://[::1]", "::1", 6379, "", "", "", 0},
      {"redis://u:pw@[fe80::1]:7/2", "fe80::1", 7, "", "u", "pw", 2},
      {"unix:///tmp/x.sock", "127.0.0.1", 6379, "/tmp/x.sock", "", "", 0},
      {"unix:///tmp/x.sock?db=2", "127.0.0.1", 6379, "/tmp/x.sock", "", "", 2},
      {"rediss://example.com", "example.com", 6379, "", "", "", 0, true},
      {"rediss://u:p%40ss@10.0.0.7:6380/2", "10.0.0.7", 6380, "", "u", "p@ss", 2, true},
      {"rediss://[::1]:7000", "::1", 7000, "", "", "", 0, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto got = parse_url(c.url);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->host, c.host);
    EXPECT_EQ(got->port, c.port);
    EXPECT_EQ(got->unix_socket, c.unix_socket);
    EXPECT_EQ(got->user, c.user);
    EXPECT_EQ(got->password, c.password);
    EXPECT_EQ(got->db, c.db);
    EXPECT_EQ(got->tls, c.tls);
    // Timeouts and TLS files are not part of a URL.
    EXPECT_TRUE(got->tls_ca_file.empty());
    EXPECT_TRUE(got->tls_cert_file.empty());
    EXPECT_TRUE(got->tls_key_file.empty());
    EXPECT_EQ(got->connect_timeout, Options{}.connect_timeout);
    EXPECT_EQ(got->command_timeout, Options{}.command_timeout);
  }
}

struct BadUrl {
  std::string url;
  // A word the message must contain, so each case fails for its own reason.
  const char* reason;
  // The password in `url`, if any; it must not appear in the message.
  std::string password;
};

TEST(ParseUrlTest, RejectsBadUrlsWithoutLeakingThePassword) {
  const BadUrl cases[] = {
      {"", "must start with", ""},
      {"example.com:6379", "must start with", ""},
      {"http://host:6379", "must start with", ""},
      {"redis:/host:6379", "must start with", ""},
      {"rediss:/host:6379", "must start with", ""},
      {"rediss://", "missing host", ""},
      {"rediss://u:Sekr1tPw@host:99999", "port", "Sekr1tPw"},
      {"http://u:Sekr1tPw@host", "must start with", "Sekr1tPw"},
      {"redis://", "missing host", ""},
      {"redis://:6379", "missing host", ""},
      {"redis://u:Sekr1tPw@", "missing host", "Sekr1tPw"},
      {"redis://u:Sekr1tPw@:6379/1", "missing host", "Sekr1tPw"},
      {"redis://host:0", "port", ""},
      {"redis://host:70000", "port", ""},
      {"redis://host:abc", "port", ""},
      {"redis://host:", "port", ""},
      {"redis://host:-1", "port", ""},
      {"redis://u:Sekr1tPw@host:0", "port", "Sekr1tPw"},
      {"redis://u:Sekr1tPw@host:70000", "port", "Sekr1tPw"},
      {"redis://u:Sekr1tPw@host:abc", "port", "Sekr1tPw"},
      // A forgotten "@host": the password is parsed as the port.
      {"redis://default:Sekr1tPw", "port", "Sekr1tPw"},
      // An unescaped '/' in the password ends the host part, so the rest of
      // the password is parsed as the database number.
      {"redis://u:Sekr/1tPw@host:7001/4", "database", "Sekr/1tPw"},
      {"redis://u:Sekr/1tPw:6379", "database", "Sekr/1tPw"},
      {"redis://host/abc", "database", ""},
      {"redis://host/-1", "database", ""},
      {"redis://host/99999999999999999999", "database", ""},
      {"redis://host/1/2", "database", ""},
      {"redis://u:Sekr1tPw@host/x", "database", "Sekr1tPw"},
      {"redis://[::1", "'['", ""},
      {"redis://[::1]x", "']'", ""},
      {"redis://[::1]:0", "port", ""},
      {"redis://u%zz:pw@host", "percent", ""},
      {"redis://u:Sekr1tPw%@host", "percent", "Sekr1tPw"},
      {"redis://u:Sekr1tPw%4@host", "percent", "Sekr1tPw"},
      {"redis://u:Sekr1tPw%g1@host", "percent", "Sekr1tPw"},
      {"redis://u:Sekr1tPw%-1@host", "percent", "Sekr1tPw"},
      {"unix://", "absolute", ""},
      {"unix://tmp/x.sock", "absolute", ""},
      {"unix://relative.sock?db=1", "absolute", ""},
      {"unix://u:Sekr1tPw@/tmp/x.sock", "absolute", "Sekr1tPw"},
      {"unix:///tmp/x.sock?db=abc", "database", ""},
      {"unix:///tmp/x.sock?db=", "database", ""},
      {"unix:///tmp/x.sock?db=-3", "database", ""},
      {"unix:///tmp/x.sock?timeout=5", "query", ""},
      {"unix:///tmp/x.sock?password=Sekr1tPw", "query", "Sekr1tPw"},
      {"unix:///tmp/x.sock?db=1&password=Sekr1tPw", "query", "Sekr1tPw"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("url: '" + c.url + "'");
    auto got = parse_url(c.url);
    ASSERT_FALSE(got) << "accepted as " << describe(*got);
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << got.error().message;
    EXPECT_NE(got.error().message.find(c.reason), std::string::npos)
        << "message: " << got.error().message;
    if (!c.password.empty()) {
      EXPECT_EQ(got.error().message.find(c.password), std::string::npos)
          << "message leaks the password: " << got.error().message;
      // Not even a long piece of it.
      EXPECT_EQ(got.error().message.find(c.password.substr(0, 4)), std::string::npos)
          << "message leaks part of the password: " << got.error().message;
      EXPECT_EQ(got.error().message.find(c.password.substr(c.password.size() - 4)),
                std::string::npos)
          << "message leaks part of the password: " << got.error().message;
    }
  }
}

TEST(DescribeTest, NamesTheServerWithoutThePassword) {
  struct Case {
    Options options;
    std::string want;
  };
  auto make = [](std::string host, int port, std::string user, std::string password, int db,
                 std::string unix_socket = "", bool tls = false) {
    Options o;
    o.tls = tls;
    o.host = std::move(host);
    o.port = port;
    o.user = std::move(user);
    o.password = std::move(password);
    o.db = db;
    o.unix_socket = std::move(unix_socket);
    return o;
  };
  const Case cases[] = {
      {make("127.0.0.1", 6379, "", "", 0), "redis://127.0.0.1:6379"},
      {make("h", 7000, "", "Sekr1tPw", 0), "redis://h:7000"},
      {make("h", 7000, "alice", "Sekr1tPw", 3), "redis://alice@h:7000/3"},
      {make("::1", 6380, "", "Sekr1tPw", 0), "redis://[::1]:6380"},
      {make("h", 1, "", "", 0, "/tmp/r.sock"), "unix:///tmp/r.sock"},
      {make("h", 1, "alice", "Sekr1tPw", 2, "/tmp/r.sock"), "unix:///tmp/r.sock?db=2"},
      {make("h", 7000, "alice", "Sekr1tPw", 3, "", true), "rediss://alice@h:7000/3"},
  };
  for (const auto& c : cases) {
    std::string got = describe(c.options);
    EXPECT_EQ(got, c.want);
    EXPECT_EQ(got.find("Sekr1tPw"), std::string::npos) << got;
  }
}

TEST(DescribeTest, OutputParsesBackToTheSameServer) {
  const char* urls[] = {
      "redis://127.0.0.1:6379",  "redis://alice@h:7000/3",  "redis://[::1]:6380",
      "unix:///tmp/r.sock?db=2", "rediss://127.0.0.1:6379", "rediss://alice@h:7000/3",
  };
  for (const char* url : urls) {
    auto parsed = parse_url(url);
    ASSERT_TRUE(parsed) << url << ": " << parsed.error().message;
    EXPECT_EQ(describe(*parsed), url);
  }
}

TEST(DescribeTest, PasswordFromUrlNeverShows) {
  auto parsed = parse_url("redis://alice:Sekr1tPw@h:7000/3");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->password, "Sekr1tPw");
  EXPECT_EQ(describe(*parsed), "redis://alice@h:7000/3");
}

}  // namespace
}  // namespace ttg::redis

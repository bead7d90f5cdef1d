// Authentication: ACL users, requirepass, and passwords kept out of messages.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "redis/connection.h"
#include "support/redis_fixture.h"

namespace ttg::redis {
namespace {

constexpr const char* kAlicePassword = "s3cret-Alice-pw";
constexpr const char* kWrongPassword = "Wr0ng-Guess-pw";

// A server with an ACL user alice (password kAlicePassword) and a passwordless
// user bob; the default user needs no password.
class AclTest : public ttg::testing::RedisTest {
 protected:
  LocalServerOptions server_options() const override {
    LocalServerOptions o;
    o.extra_config = {std::string("user alice on >") + kAlicePassword + " ~* &* +@all",
                      "user bob on nopass ~* &* +@all"};
    return o;
  }
  Options as(std::string user, std::string password) const {
    Options o = server_->options();
    o.user = std::move(user);
    o.password = std::move(password);
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.command_timeout = std::chrono::milliseconds(2000);
    return o;
  }
};

// The whole content of the file at `path`; empty if it cannot be read.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string whoami(Connection& conn) {
  auto r = conn.command({"ACL", "WHOAMI"});
  return r ? r->str() : "error: " + r.error().message;
}

TEST_F(AclTest, RightPasswordConnectsAsTheUser) {
  auto conn = Connection::connect(as("alice", kAlicePassword));
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(whoami(*conn), "alice");
  EXPECT_TRUE(conn->command({"SET", "k", "v"}));
}

TEST_F(AclTest, WrongPasswordIsRefusedWithoutEchoingIt) {
  struct Case {
    std::string user;
    std::string password;
  };
  const Case cases[] = {
      {"alice", kWrongPassword},
      {"alice", ""},
      {"nobody", kWrongPassword},
      {"", kWrongPassword},  // the default user has no password
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("user '" + c.user + "' password '" + c.password + "'");
    const Options options = as(c.user, c.password);
    auto conn = Connection::connect(options);
    ASSERT_FALSE(conn) << "connected as " << whoami(*conn);
    EXPECT_EQ(conn.error().code, ErrorCode::kWrongPass) << conn.error().message;
    if (!c.password.empty()) {
      EXPECT_EQ(conn.error().message.find(c.password), std::string::npos) << conn.error().message;
    }
    EXPECT_EQ(conn.error().message.find(kAlicePassword), std::string::npos) << conn.error().message;
    // The message names the server, so a log line says where it failed.
    EXPECT_NE(conn.error().message.find(describe(options)), std::string::npos)
        << conn.error().message;
  }
}

TEST_F(AclTest, UserWithoutPasswordAuthenticatesAsThatUser) {
  auto conn = Connection::connect(as("bob", ""));
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(whoami(*conn), "bob");
}

TEST_F(AclTest, PercentEncodedCredentialsFromAUrl) {
  // "s3cret-Alice-pw" with two characters escaped.
  auto options = parse_url(
      "redis://al%69ce:s3cret%2DAlice-p%77@127.0.0.1:" + std::to_string(server_->port()) + "/2");
  ASSERT_TRUE(options) << options.error().message;
  auto conn = Connection::connect(*options);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(whoami(*conn), "alice");
}

TEST_F(AclTest, ClientReportsWrongPassword) {
  Client client(as("alice", kWrongPassword));
  auto r = client.command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kWrongPass) << r.error().message;
  EXPECT_EQ(r.error().message.find(kWrongPassword), std::string::npos) << r.error().message;
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.connects(), 0);
}

// A server whose default user needs a password (requirepass). The password
// has characters that need quoting in redis.conf.
class RequirePassTest : public ttg::testing::RedisTest {
 protected:
  static constexpr const char* kPassword = "p a\"s's\\w#rd";
  LocalServerOptions server_options() const override {
    LocalServerOptions o;
    o.password = kPassword;
    return o;
  }
};

TEST_F(RequirePassTest, ConfiguredPasswordConnects) {
  auto conn = Connection::connect(server_->options());
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_EQ(whoami(*conn), "default");
}

TEST_F(RequirePassTest, NoPasswordGivesNoAuth) {
  Options o = server_->options();
  o.password.clear();
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kNoAuth) << conn.error().message;
  EXPECT_EQ(conn.error().message.find(kPassword), std::string::npos) << conn.error().message;
}

TEST_F(RequirePassTest, WrongPasswordGivesWrongPass) {
  Options o = server_->options();
  o.password = kWrongPassword;
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kWrongPass) << conn.error().message;
  EXPECT_EQ(conn.error().message.find(kWrongPassword), std::string::npos) << conn.error().message;
  EXPECT_EQ(conn.error().message.find(kPassword), std::string::npos) << conn.error().message;
}

TEST_F(RequirePassTest, SelectAfterAuth) {
  Options o = server_->options();
  o.db = 2;
  auto in2 = Connection::connect(o);
  ASSERT_TRUE(in2) << in2.error().message;
  ASSERT_TRUE(in2->command({"SET", "k", "in db 2"}));
  auto in0 = Connection::connect(server_->options());
  ASSERT_TRUE(in0) << in0.error().message;
  auto got = in0->command({"GET", "k"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->is_nil()) << got->debug_string();
}

TEST_F(RequirePassTest, PasswordIsNotOnTheServerCommandLine) {
  std::string cmdline = read_file("/proc/" + std::to_string(server_->pid()) + "/cmdline");
  ASSERT_FALSE(cmdline.empty()) << "cannot read /proc/" << server_->pid() << "/cmdline";
  EXPECT_EQ(cmdline.find(kPassword), std::string::npos) << cmdline;
  EXPECT_EQ(cmdline.find("p a"), std::string::npos) << cmdline;
  // Nor in its environment.
  std::string environ_text = read_file("/proc/" + std::to_string(server_->pid()) + "/environ");
  EXPECT_EQ(environ_text.find(kPassword), std::string::npos);
  // The config file that holds it is private to the owner.
  struct stat st {};
  ASSERT_EQ(::stat((server_->dir() + "/redis.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace ttg::redis

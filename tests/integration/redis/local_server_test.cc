#include "redis/local_server.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "redis/connection.h"
#include "support/redis_fixture.h"

namespace ttg::redis {
namespace {

using std::chrono::milliseconds;
using ttg::testing::have_redis_server;
using ttg::testing::start_redis;
using ttg::testing::wait_until;

// The whole content of the file at `path`; empty if it cannot be read.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

class LocalServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
  }
};

Result<std::string> get(const LocalServer& server, const std::string& key) {
  TTG_TRY_ASSIGN(auto conn, Connection::connect(server.options()));
  TTG_TRY_ASSIGN(Reply r, conn.command({"GET", key}));
  return r.is_nil() ? std::string("(nil)") : r.str();
}

TEST_F(LocalServerTest, StartsOnLoopbackAndStopsOnDestruction) {
  pid_t pid = -1;
  std::string dir;
  {
    auto server = start_redis();
    ASSERT_NE(server, nullptr);
    pid = server->pid();
    dir = server->dir();
    EXPECT_GT(pid, 0);
    EXPECT_TRUE(server->running());
    EXPECT_GT(server->port(), 0);
    EXPECT_EQ(server->url(), "redis://127.0.0.1:" + std::to_string(server->port()));
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    auto conn = Connection::connect(server->options());
    ASSERT_TRUE(conn) << conn.error().message;
  }
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)));
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST_F(LocalServerTest, DestructionStopsAFrozenServer) {
  pid_t pid = -1;
  {
    auto server = start_redis();
    ASSERT_NE(server, nullptr);
    pid = server->pid();
    server->signal(SIGSTOP);
  }
  EXPECT_TRUE(wait_until([&] { return gone(pid); }, milliseconds(5000)));
}

TEST_F(LocalServerTest, TwoServersAreIndependent) {
  auto a = start_redis();
  auto b = start_redis();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->dir(), b->dir());
  auto ca = Connection::connect(a->options());
  ASSERT_TRUE(ca) << ca.error().message;
  ASSERT_TRUE(ca->command({"SET", "k", "a"}));
  EXPECT_EQ(get(*b, "k").value_or("error"), "(nil)");
}

TEST_F(LocalServerTest, UnixSocketTransport) {
  LocalServerOptions options;
  options.transport = LocalServerOptions::Transport::kUnixSocket;
  auto server = start_redis(options);
  ASSERT_NE(server, nullptr);
  Options o = server->options();
  EXPECT_EQ(o.unix_socket, server->dir() + "/redis.sock");
  EXPECT_EQ(server->url(), "unix://" + o.unix_socket);
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;
  ASSERT_TRUE(conn->command({"SET", "k", std::string("v\0w", 3)}));
  auto got = conn->command({"GET", "k"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->str(), std::string("v\0w", 3));
  // The URL names the same server.
  auto by_url = parse_url(server->url() + "?db=1");
  ASSERT_TRUE(by_url) << by_url.error().message;
  auto conn1 = Connection::connect(*by_url);
  ASSERT_TRUE(conn1) << conn1.error().message;
  auto in_db1 = conn1->command({"GET", "k"});
  ASSERT_TRUE(in_db1) << in_db1.error().message;
  EXPECT_TRUE(in_db1->is_nil());

  // Killed and restarted on the same socket; a Client finds it again.
  Client client(o, util::BackoffPolicy{milliseconds(10), milliseconds(100), 2.0, 0.5});
  ASSERT_TRUE(client.command({"PING"}));
  server->kill();
  auto down = client.command({"PING"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kConnection) << down.error().message;
  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_TRUE(wait_until([&] { return client.command({"PING"}).has_value(); }));
  EXPECT_EQ(client.connects(), 2);
}

TEST_F(LocalServerTest, AppendOnlyDataSurvivesAKill) {
  LocalServerOptions options;
  options.append_only = true;
  options.appendfsync = "always";
  auto server = start_redis(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  {
    auto conn = Connection::connect(server->options());
    ASSERT_TRUE(conn) << conn.error().message;
    ASSERT_TRUE(conn->command({"SET", "durable", std::string("v\0%s", 4)}));
    ASSERT_TRUE(conn->command({"XADD", "s", "1-1", "f", "v"}));
  }
  server->kill();
  EXPECT_FALSE(server->running());
  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(get(*server, "durable").value_or("error"), std::string("v\0%s", 4));
  auto conn = Connection::connect(server->options());
  ASSERT_TRUE(conn) << conn.error().message;
  auto len = conn->command({"XLEN", "s"});
  ASSERT_TRUE(len) << len.error().message;
  EXPECT_EQ(len->integer(), 1);
}

TEST_F(LocalServerTest, WithoutPersistenceAKillLosesTheData) {
  auto server = start_redis();
  ASSERT_NE(server, nullptr);
  {
    auto conn = Connection::connect(server->options());
    ASSERT_TRUE(conn) << conn.error().message;
    ASSERT_TRUE(conn->command({"SET", "volatile", "v"}));
  }
  server->kill();
  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(get(*server, "volatile").value_or("error"), "(nil)");
}

TEST_F(LocalServerTest, GracefulRestartKeepsAppendOnlyData) {
  LocalServerOptions options;
  options.append_only = true;
  options.appendfsync = "everysec";
  auto server = start_redis(options);
  ASSERT_NE(server, nullptr);
  {
    auto conn = Connection::connect(server->options());
    ASSERT_TRUE(conn) << conn.error().message;
    ASSERT_TRUE(conn->command({"SET", "k", "v"}));
  }
  server->stop();
  EXPECT_FALSE(server->running());
  auto restarted = server->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(get(*server, "k").value_or("error"), "v");
}

TEST_F(LocalServerTest, PasswordStaysOffTheCommandLine) {
  LocalServerOptions options;
  options.password = "cmdline-Secret-9";
  auto server = start_redis(options);
  ASSERT_NE(server, nullptr);
  std::string cmdline = read_file("/proc/" + std::to_string(server->pid()) + "/cmdline");
  ASSERT_FALSE(cmdline.empty()) << "cannot read /proc/" << server->pid() << "/cmdline";
  EXPECT_EQ(cmdline.find("cmdline-Secret-9"), std::string::npos) << cmdline;
  EXPECT_EQ(server->url().find("cmdline-Secret-9"), std::string::npos) << server->url();
  // The server does require it.
  Options o = server->options();
  EXPECT_EQ(o.password, "cmdline-Secret-9");
  o.password.clear();
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kNoAuth) << conn.error().message;
}

TEST_F(LocalServerTest, ConfigValuesCannotInjectLines) {
  // A newline in the password must not start a new config line.
  LocalServerOptions options;
  options.password = "pw\nport 1";
  auto server = start_redis(options);
  ASSERT_NE(server, nullptr);
  auto conn = Connection::connect(server->options());
  ASSERT_TRUE(conn) << conn.error().message;
  auto port = conn->command({"CONFIG", "GET", "port"});
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_EQ(port->debug_string(), "[\"port\", \"" + std::to_string(server->port()) + "\"]");
}

TEST_F(LocalServerTest, StartFailuresAreReported) {
  LocalServerOptions missing;
  missing.binary = "/nonexistent/redis-server";
  auto a = LocalServer::start(missing);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kIo) << a.error().message;
  EXPECT_NE(a.error().message.find("/nonexistent/redis-server"), std::string::npos)
      << a.error().message;

  LocalServerOptions bad_config;
  bad_config.extra_config = {"no-such-directive 1"};
  auto start = std::chrono::steady_clock::now();
  auto b = LocalServer::start(bad_config);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kIo) << b.error().message;
  EXPECT_NE(b.error().message.find("exited during start-up"), std::string::npos)
      << b.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(LocalServerTest, PickFreePortGivesABindablePort) {
  auto port = pick_free_port();
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_GT(*port, 0);
  EXPECT_LE(*port, 65535);
}

}  // namespace
}  // namespace ttg::redis

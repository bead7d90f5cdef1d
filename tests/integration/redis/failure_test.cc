// Transport failures: refused connections, peers that are not Redis, frozen
// and killed servers, and reconnection by Client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "redis/connection.h"
#include "redis/local_server.h"
#include "support/fake_peer.h"
#include "support/redis_fixture.h"

namespace ttg::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ttg::testing::wait_until;

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

// Runs `f` when the scope ends, even when an assertion returns early.
template <class F>
class Finally {
 public:
  explicit Finally(F f) : f_(std::move(f)) {}
  ~Finally() { f_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  F f_;
};

using ttg::testing::FakePeer;

TEST(ConnectFailureTest, NothingListeningGivesConnection) {
  auto port = pick_free_port();
  ASSERT_TRUE(port) << port.error().message;
  Options tcp;
  tcp.port = *port;
  Options unix_socket;
  unix_socket.unix_socket = "/nonexistent/ttg/redis.sock";
  for (const Options& o : {tcp, unix_socket}) {
    SCOPED_TRACE(describe(o));
    auto start = steady_clock::now();
    auto conn = Connection::connect(o);
    EXPECT_LT(since(start), milliseconds(2000));
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().code, ErrorCode::kConnection) << conn.error().message;
    EXPECT_NE(conn.error().message.find(describe(o)), std::string::npos) << conn.error().message;
  }
}

TEST(ConnectFailureTest, PeerThatIsNotRedis) {
  using When = FakePeer::When;
  using Then = FakePeer::Then;
  struct Case {
    const char* name;
    std::string reply;
    When when;
    Then then;
    ErrorCode want;
  };
  const Case cases[] = {
      {"http", "HTTP/1.1 400 Bad Request\r\n\r\n", When::kAfterRequest, Then::kKeepOpen,
       ErrorCode::kProtocol},
      {"http then close", "HTTP/1.1 400 Bad Request\r\n\r\n", When::kAfterRequest, Then::kClose,
       ErrorCode::kProtocol},
      {"ssh banner", "SSH-2.0-OpenSSH_9.2p1\r\n", When::kOnAccept, Then::kKeepOpen,
       ErrorCode::kProtocol},
      {"binary junk", std::string("\x16\x03\x01\x00\x05\0\0\0\0\0", 10), When::kAfterRequest,
       Then::kKeepOpen, ErrorCode::kProtocol},
      {"hangs up", "", When::kAfterRequest, Then::kClose, ErrorCode::kConnection},
      {"truncated reply", "$10\r\nabc", When::kAfterRequest, Then::kClose, ErrorCode::kConnection},
      {"silent", "", When::kAfterRequest, Then::kKeepOpen, ErrorCode::kTimeout},
      {"error reply", "-ERR this is not redis\r\n", When::kAfterRequest, Then::kKeepOpen,
       ErrorCode::kRedisReply},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakePeer fake(c.reply, c.when, c.then);
    Options o;
    o.port = fake.port();
    o.connect_timeout = milliseconds(1000);
    o.command_timeout = milliseconds(300);
    auto start = steady_clock::now();
    auto conn = Connection::connect(o);
    EXPECT_LT(since(start), milliseconds(3000));
    ASSERT_FALSE(conn) << "connected to a fake server";
    EXPECT_EQ(conn.error().code, c.want)
        << error_code_name(conn.error().code) << ": " << conn.error().message;
    EXPECT_NE(conn.error().message.find(describe(o)), std::string::npos) << conn.error().message;
  }
}

using FailureTest = ttg::testing::RedisTest;

TEST_F(FailureTest, CommandTimesOutOnAFrozenServer) {
  Options o = server_->options();
  o.command_timeout = milliseconds(200);
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;
  auto batch_conn = Connection::connect(o);
  ASSERT_TRUE(batch_conn) << batch_conn.error().message;

  server_->signal(SIGSTOP);
  Finally resume([&] { server_->signal(SIGCONT); });

  auto start = steady_clock::now();
  auto r = conn->command({"GET", "k"});
  auto took = since(start);
  ASSERT_FALSE(r) << "a frozen server answered " << r->debug_string();
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().message;
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(2000));
  // After a time-out the connection is dead: a late reply must never be
  // taken for the answer to a later command.
  EXPECT_FALSE(conn->usable());
  start = steady_clock::now();
  auto after = conn->command({"PING"});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kConnection) << after.error().message;
  EXPECT_LT(since(start), milliseconds(100));

  // A time-out fails a whole pipeline.
  start = steady_clock::now();
  auto batch = batch_conn->pipeline({{"SET", "a", "1"}, {"GET", "a"}});
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, ErrorCode::kTimeout) << batch.error().message;
  EXPECT_LT(since(start), milliseconds(2000));
  EXPECT_FALSE(batch_conn->usable());
}

TEST_F(FailureTest, ConnectTimesOutOnAFrozenServer) {
  server_->signal(SIGSTOP);
  Finally resume([&] { server_->signal(SIGCONT); });
  Options o = server_->options();
  o.connect_timeout = milliseconds(200);
  o.command_timeout = milliseconds(200);
  auto start = steady_clock::now();
  // The kernel completes the handshake; the first command gets no answer.
  auto conn = Connection::connect(o);
  EXPECT_LT(since(start), milliseconds(2000));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kTimeout) << conn.error().message;
}

TEST_F(FailureTest, ClientReconnectsAfterATimeout) {
  Options o = server_->options();
  o.command_timeout = milliseconds(200);
  Client client(o, util::BackoffPolicy{milliseconds(10), milliseconds(100), 2.0, 0.5});
  ASSERT_TRUE(client.command({"SET", "k", "v"}));
  {
    server_->signal(SIGSTOP);
    Finally resume([&] { server_->signal(SIGCONT); });
    auto r = client.command({"GET", "k"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().message;
    EXPECT_FALSE(client.connected());
  }
  Result<Reply> got = make_error(ErrorCode::kInternal, "not run");
  EXPECT_TRUE(wait_until([&] {
    got = client.command({"GET", "k"});
    return got.has_value();
  })) << got.error().message;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->str(), "v");
  EXPECT_EQ(client.connects(), 2);
}

TEST_F(FailureTest, ClientReconnectsAfterTheServerClosedTheConnection) {
  Client client(server_->options(),
                util::BackoffPolicy{milliseconds(10), milliseconds(100), 2.0, 0.5});
  ASSERT_TRUE(client.command({"CLIENT", "SETNAME", "victim"}));
  auto admin = connect();
  auto killed = admin.command({"CLIENT", "KILL", "SKIPME", "yes"});
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ(killed->integer(), 1);

  auto r = client.command({"PING"});
  ASSERT_FALSE(r) << "a killed connection answered";
  EXPECT_EQ(r.error().code, ErrorCode::kConnection) << r.error().message;
  EXPECT_FALSE(client.connected());

  auto again = client.command({"CLIENT", "GETNAME"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->is_nil()) << "not a new connection: " << again->debug_string();
  EXPECT_EQ(client.connects(), 2);
}

TEST_F(FailureTest, ServerKilledDuringABlockingCommand) {
  Options o = server_->options();
  o.command_timeout = std::chrono::seconds(15);  // longer than the BLPOP
  Client client(o, util::BackoffPolicy{milliseconds(10), milliseconds(100), 2.0, 0.5});
  ASSERT_TRUE(client.command({"PING"}));
  ASSERT_EQ(client.connects(), 1);
  const int port = server_->port();

  auto admin = connect();
  Result<Reply> blpop = make_error(ErrorCode::kInternal, "not run");
  auto start = steady_clock::now();
  std::thread blocked([&] { blpop = client.command({"BLPOP", "never-pushed", "10"}); });
  bool is_blocked = wait_until([&] {
    auto info = admin.command({"INFO", "clients"});
    return info && info->str().find("blocked_clients:1") != std::string::npos;
  });
  if (is_blocked) {
    server_->kill();
  } else {
    (void)admin.command({"RPUSH", "never-pushed", "x"});  // let the thread finish
  }
  blocked.join();
  ASSERT_TRUE(is_blocked) << "BLPOP never blocked";
  EXPECT_LT(since(start), milliseconds(5000)) << "BLPOP was not cut short by the kill";
  ASSERT_FALSE(blpop) << "BLPOP returned " << blpop->debug_string();
  EXPECT_EQ(blpop.error().code, ErrorCode::kConnection) << blpop.error().message;
  EXPECT_FALSE(client.connected());
  EXPECT_FALSE(server_->running());

  // While the server is down, calls fail fast with kConnection.
  auto down = client.command({"PING"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kConnection) << down.error().message;

  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(server_->port(), port);
  Result<Reply> pong = make_error(ErrorCode::kInternal, "not run");
  EXPECT_TRUE(wait_until([&] {
    pong = client.command({"PING"});
    return pong.has_value();
  })) << pong.error().message;
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->str(), "PONG");
  EXPECT_EQ(client.connects(), 2);
}

TEST_F(FailureTest, ClientBacksOffWhileTheServerIsDown) {
  server_->kill();
  Client client(server_->options(),
                util::BackoffPolicy{milliseconds(40), milliseconds(40), 2.0, 0.0});
  auto first = client.command({"PING"});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kConnection) << first.error().message;
  // The next attempt waits out the back-off instead of hammering the server.
  auto start = steady_clock::now();
  auto second = client.command({"PING"});
  ASSERT_FALSE(second);
  EXPECT_GE(since(start), milliseconds(35));
  EXPECT_LT(since(start), milliseconds(2000));
  EXPECT_EQ(client.connects(), 0);
}

}  // namespace
}  // namespace ttg::redis

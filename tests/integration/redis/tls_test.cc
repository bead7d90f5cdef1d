// TLS (rediss://) against a real redis-server serving TLS on loopback, with
// certificates made by the test: commands, pipelines and scripts; the
// server's certificate checked against the CA and the host; client
// certificates; time-outs; and servers that do not speak TLS.

#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "redis/connection.h"
#include "redis/local_server.h"
#include "support/fake_peer.h"
#include "support/redis_fixture.h"
#include "support/tls_certs.h"

namespace ttg::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ClientAuth = LocalServerTls::ClientAuth;

constexpr const char* kPassword = "tls-Secret-pw-7";

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

// A message about a failed connection: names the server, never the password.
void expect_clear_message(const Error& e, const Options& o) {
  EXPECT_NE(e.message.find(describe(o)), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("rediss://"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find(kPassword), std::string::npos) << e.message;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
    if (!testing::have_openssl()) GTEST_SKIP() << "openssl is not installed (for certificates)";
    auto certs = testing::make_test_certificates();
    ASSERT_TRUE(certs) << certs.error().message;
    certs_ = std::move(*certs);
  }

  // A TLS server with a password, whose clients must or may present a
  // certificate as `auth` says.
  std::unique_ptr<LocalServer> start_tls(ClientAuth auth = ClientAuth::kNone, std::string cert = "",
                                         std::string key = "") {
    LocalServerOptions o;
    o.password = kPassword;
    o.tls = certs_.server_tls(auth);
    if (!cert.empty()) {
      o.tls->cert_file = std::move(cert);
      o.tls->key_file = std::move(key);
    }
    return testing::start_redis(o);
  }

  // How a client without a client certificate connects to `server`.
  static Options client_of(const LocalServer& server) {
    Options o = server.options();
    o.tls_cert_file.clear();
    o.tls_key_file.clear();
    o.connect_timeout = milliseconds(2000);
    o.command_timeout = milliseconds(2000);
    return o;
  }

  testing::TestCertificates certs_;
};

TEST_F(TlsTest, CommandsPipelinesAndScriptsOverTls) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  EXPECT_EQ(describe(o), "rediss://127.0.0.1:" + std::to_string(server->port()));
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;

  // The server sees a TLS connection.
  auto info = conn->command({"CLIENT", "INFO"});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_NE(info->str().find("laddr=127.0.0.1:" + std::to_string(server->port())),
            std::string::npos)
      << info->str();

  // Values bigger than a TLS record (16 KiB) and binary bytes.
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4097) big[i] = static_cast<char>(i % 256);
  ASSERT_TRUE(conn->command({"SET", "big", big}));
  auto got = conn->command({"GET", "big"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->str() == big);

  // A pipeline of many commands in one write, replies read in order.
  std::vector<Command> batch;
  for (int i = 0; i < 2000; ++i) batch.push_back({"RPUSH", "list", std::to_string(i)});
  batch.push_back({"LRANGE", "list", "1998", "-1"});
  batch.push_back({"NOSUCHCOMMAND"});
  auto replies = conn->pipeline(batch);
  ASSERT_TRUE(replies) << replies.error().message;
  ASSERT_EQ(replies->size(), batch.size());
  EXPECT_EQ((*replies)[1999].integer(), 2000);
  EXPECT_EQ((*replies)[2000].debug_string(), R"(["1998", "1999"])");
  EXPECT_TRUE((*replies)[2001].is_error());

  // EVALSHA, and the reload after the server lost its scripts.
  Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto first = conn->eval(script, {"n"}, {"5"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->integer(), 5);
  ASSERT_TRUE(conn->command({"SCRIPT", "FLUSH"}));
  auto again = conn->eval(script, {"n"}, {"2"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->integer(), 7);
  EXPECT_TRUE(conn->usable());
}

TEST_F(TlsTest, HostNameAlsoWorks) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  o.host = "localhost";  // the certificate names it; it may resolve to ::1 first
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_TRUE(conn->command({"PING"}));
}

TEST_F(TlsTest, UntrustedServerCertificateIsRefused) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  o.tls_ca_file = certs_.other_ca_cert;
  auto start = steady_clock::now();
  auto conn = Connection::connect(o);
  EXPECT_LT(since(start), milliseconds(3000));
  ASSERT_FALSE(conn) << "connected to a server signed by an untrusted CA";
  EXPECT_EQ(conn.error().code, ErrorCode::kTls) << conn.error().message;
  EXPECT_NE(conn.error().message.find("certificate verify failed"), std::string::npos)
      << conn.error().message;
  EXPECT_NE(conn.error().message.find("not signed by a trusted CA"), std::string::npos)
      << conn.error().message;
  expect_clear_message(conn.error(), o);

  // The system's trust store does not know the test CA either.
  o.tls_ca_file.clear();
  auto system = Connection::connect(o);
  ASSERT_FALSE(system);
  EXPECT_EQ(system.error().code, ErrorCode::kTls) << system.error().message;
  EXPECT_NE(system.error().message.find("certificate verify failed"), std::string::npos)
      << system.error().message;
}

TEST_F(TlsTest, CertificateForAnotherNameIsRefused) {
  // The certificate names 127.0.0.1 only: connecting as localhost, which
  // reaches the same server, must fail the host check.
  auto server = start_tls(ClientAuth::kNone, certs_.ip_only_cert, certs_.ip_only_key);
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  ASSERT_TRUE(Connection::connect(o)) << "by IP address";
  o.host = "localhost";
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn) << "a certificate for 127.0.0.1 passed for localhost";
  EXPECT_EQ(conn.error().code, ErrorCode::kTls) << conn.error().message;
  EXPECT_NE(conn.error().message.find("certificate verify failed"), std::string::npos)
      << conn.error().message;
  EXPECT_NE(conn.error().message.find("for another name"), std::string::npos)
      << conn.error().message;
  expect_clear_message(conn.error(), o);
}

TEST_F(TlsTest, ClientCertificateRequiredAndGiven) {
  auto server = start_tls(ClientAuth::kRequired);
  ASSERT_NE(server, nullptr);
  Options o = server->options();  // with the owner's client certificate
  ASSERT_FALSE(o.tls_cert_file.empty());
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;
  ASSERT_TRUE(conn->command({"SET", "k", "v"}));
  auto got = conn->command({"GET", "k"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->str(), "v");
}

TEST_F(TlsTest, MissingClientCertificateFailsClearly) {
  auto server = start_tls(ClientAuth::kRequired);
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  auto start = steady_clock::now();
  auto conn = Connection::connect(o);
  EXPECT_LT(since(start), milliseconds(3000));
  ASSERT_FALSE(conn) << "a server that requires a client certificate took none";
  EXPECT_EQ(conn.error().code, ErrorCode::kTls) << conn.error().message;
  EXPECT_NE(conn.error().message.find("client certificate"), std::string::npos)
      << conn.error().message;
  expect_clear_message(conn.error(), o);
}

TEST_F(TlsTest, ClientCertificateOfAnotherCaIsRefused) {
  auto server = start_tls(ClientAuth::kRequired);
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  o.tls_cert_file = certs_.other_client_cert;
  o.tls_key_file = certs_.other_client_key;
  auto conn = Connection::connect(o);
  ASSERT_FALSE(conn) << "a client certificate of an unknown CA was accepted";
  EXPECT_EQ(conn.error().code, ErrorCode::kTls) << conn.error().message;
  EXPECT_NE(conn.error().message.find("client certificate"), std::string::npos)
      << conn.error().message;
  expect_clear_message(conn.error(), o);
}

TEST_F(TlsTest, BadTlsFilesAreInvalidArguments) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  const std::string not_pem = certs_.dir->path() + "/not-pem.txt";
  std::ofstream(not_pem) << "this is not a certificate\n";
  struct Case {
    const char* name;
    void (*edit)(Options&, const testing::TestCertificates&, const std::string&);
    const char* want;
  };
  const Case cases[] = {
      {"missing CA file",
       [](Options& o, const testing::TestCertificates& c, const std::string&) {
         o.tls_ca_file = c.dir->path() + "/missing.crt";
       },
       "No such file"},
      {"CA file not PEM",
       [](Options& o, const testing::TestCertificates&, const std::string& bad) {
         o.tls_ca_file = bad;
       },
       "CA file"},
      {"key of another certificate",
       [](Options& o, const testing::TestCertificates& c, const std::string&) {
         o.tls_cert_file = c.client_cert;
         o.tls_key_file = c.other_client_key;
       },
       "does not match"},
      {"certificate without key",
       [](Options& o, const testing::TestCertificates& c, const std::string&) {
         o.tls_cert_file = c.client_cert;
       },
       "needs its key"},
      {"TLS files without TLS",
       [](Options& o, const testing::TestCertificates&, const std::string&) { o.tls = false; },
       "not TLS"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Options o = client_of(*server);
    c.edit(o, certs_, not_pem);
    auto conn = Connection::connect(o);
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().code, ErrorCode::kInvalidArgument) << conn.error().message;
    EXPECT_NE(conn.error().message.find(c.want), std::string::npos) << conn.error().message;
    EXPECT_EQ(conn.error().message.find(kPassword), std::string::npos) << conn.error().message;
  }
}

TEST_F(TlsTest, SilentPeerTimesOutDuringTheHandshake) {
  testing::FakePeer silent("", testing::FakePeer::When::kAfterRequest,
                           testing::FakePeer::Then::kKeepOpen);
  Options o;
  o.port = silent.port();
  o.tls = true;
  o.tls_ca_file = certs_.ca_cert;
  o.password = kPassword;
  o.connect_timeout = milliseconds(300);
  o.command_timeout = milliseconds(300);
  auto start = steady_clock::now();
  auto conn = Connection::connect(o);
  auto took = since(start);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ErrorCode::kTimeout) << conn.error().message;
  EXPECT_NE(conn.error().message.find("TLS handshake"), std::string::npos) << conn.error().message;
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
  expect_clear_message(conn.error(), o);
}

TEST_F(TlsTest, CommandTimesOutOnAFrozenTlsServer) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  o.command_timeout = milliseconds(200);
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn) << conn.error().message;
  server->signal(SIGSTOP);
  auto start = steady_clock::now();
  auto r = conn->command({"GET", "k"});
  auto took = since(start);
  server->signal(SIGCONT);
  ASSERT_FALSE(r) << "a frozen server answered " << r->debug_string();
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().message;
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_FALSE(conn->usable());
}

TEST_F(TlsTest, PlainRedisOnATlsUrlFailsClearly) {
  auto plain = testing::start_redis({});
  ASSERT_NE(plain, nullptr);
  Options o = plain->options();
  o.tls = true;
  o.tls_ca_file = certs_.ca_cert;
  o.password = kPassword;
  o.connect_timeout = milliseconds(500);
  auto start = steady_clock::now();
  auto conn = Connection::connect(o);
  EXPECT_LT(since(start), milliseconds(3000));
  ASSERT_FALSE(conn) << "a plain server passed for TLS";
  // Redis answers the TLS hello with an error, or waits for the end of a
  // line that never comes: either way the handshake fails (closed, or a
  // TLS-level error) or times out.
  EXPECT_TRUE(conn.error().code == ErrorCode::kConnection || conn.error().code == ErrorCode::kTls ||
              conn.error().code == ErrorCode::kTimeout)
      << error_code_name(conn.error().code) << ": " << conn.error().message;
  EXPECT_NE(conn.error().message.find("speaking TLS"), std::string::npos) << conn.error().message;
  expect_clear_message(conn.error(), o);
}

TEST_F(TlsTest, PlainClientOnATlsPortFails) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Options o = client_of(*server);
  o.tls = false;
  o.tls_ca_file.clear();
  o.connect_timeout = milliseconds(500);
  o.command_timeout = milliseconds(500);
  auto start = steady_clock::now();
  auto conn = Connection::connect(o);
  EXPECT_LT(since(start), milliseconds(3000));
  ASSERT_FALSE(conn) << "plain text went through a TLS port";
  EXPECT_TRUE(conn.error().code == ErrorCode::kConnection ||
              conn.error().code == ErrorCode::kTimeout || conn.error().code == ErrorCode::kProtocol)
      << error_code_name(conn.error().code) << ": " << conn.error().message;
}

TEST_F(TlsTest, ClientReconnectsOverTls) {
  auto server = start_tls();
  ASSERT_NE(server, nullptr);
  Client client(client_of(*server),
                util::BackoffPolicy{milliseconds(10), milliseconds(100), 2.0, 0.5});
  ASSERT_TRUE(client.command({"CLIENT", "SETNAME", "victim"}));
  auto admin = Connection::connect(client_of(*server));
  ASSERT_TRUE(admin) << admin.error().message;
  auto killed = admin->command({"CLIENT", "KILL", "SKIPME", "yes"});
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ(killed->integer(), 1);
  auto r = client.command({"PING"});
  ASSERT_FALSE(r) << "a killed connection answered";
  EXPECT_EQ(r.error().code, ErrorCode::kConnection) << r.error().message;
  auto again = client.command({"CLIENT", "GETNAME"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->is_nil()) << again->debug_string();
  EXPECT_EQ(client.connects(), 2);
}

}  // namespace
}  // namespace ttg::redis

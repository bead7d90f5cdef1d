// The real binary over rediss:// against a redis-server that serves only
// TLS and requires client certificates: a job submitted, computed by a
// worker process and shown by status; TLS failures exit 3 with a clear
// message; bad TLS settings exit 2.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redis/local_server.h"
#include "support/redis_fixture.h"
#include "support/tls_certs.h"
#include "support/ttg_process.h"
#include "util/strings.h"

namespace ttg {
namespace {

using testing::RunResult;

constexpr const char* kPassword = "tls-cli-Secret-9";

class TlsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
    if (!testing::have_openssl()) GTEST_SKIP() << "openssl is not installed (for certificates)";
    auto certs = testing::make_test_certificates();
    ASSERT_TRUE(certs) << certs.error().message;
    certs_ = std::move(*certs);
    password_file_ = certs_.dir->path() + "/redis.pw";
    std::ofstream(password_file_) << kPassword << "\n";
    redis::LocalServerOptions o;
    o.password = kPassword;
    o.tls = certs_.server_tls(redis::LocalServerTls::ClientAuth::kRequired);
    server_ = testing::start_redis(o);
    ASSERT_NE(server_, nullptr);
    url_ = "rediss://127.0.0.1:" + std::to_string(server_->port());
  }

  // `ttg args...` with the environment `env` and no config file.
  static RunResult run(const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
    std::vector<std::string> all = {"TTG_CONFIG=", "LOG_LEVEL=warn",
                                    "LOG_FORMAT=", "TTG_REDIS_URL=", "TTG_REDIS_PASSWORD="};
    all.insert(all.end(), env.begin(), env.end());  // later entries win
    return testing::run_ttg(args, all, 60000);
  }

  // The flags that reach the server: URL, password, CA and client certificate.
  std::vector<std::string> tls_flags() const {
    return {
        "--redis",      url_,           "--redis-password-file", password_file_, "--redis-ca",
        certs_.ca_cert, "--redis-cert", certs_.client_cert,      "--redis-key",  certs_.client_key};
  }

  // The same settings in the environment.
  std::vector<std::string> tls_env() const {
    return {"TTG_REDIS_URL=" + url_, "TTG_REDIS_PASSWORD_FILE=" + password_file_,
            "TTG_REDIS_CA=" + certs_.ca_cert, "TTG_REDIS_CERT=" + certs_.client_cert,
            "TTG_REDIS_KEY=" + certs_.client_key};
  }

  static std::vector<std::string> with(std::vector<std::string> args,
                                       const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  void expect_no_password(const RunResult& r) {
    EXPECT_EQ(r.err.find(kPassword), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(kPassword), std::string::npos) << r.out;
  }

  testing::TestCertificates certs_;
  std::string password_file_;
  std::unique_ptr<redis::LocalServer> server_;
  std::string url_;
};

TEST_F(TlsCliTest, SubmitWorkerStatusEndToEnd) {
  auto sub = run(
      with({"submit", "--job", "t1", "--params", "40", "--chunk-size", "10", "--arg", "work_ms=0"},
           tls_flags()));
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_NE(sub.out.find("submitted job t1: 4 chunks"), std::string::npos) << sub.out;

  // The worker takes every TLS setting from the environment.
  auto work = run({"worker", "--job", "t1", "--threads", "2", "--worker-id", "w1"}, tls_env());
  ASSERT_EQ(work.exit_code, 0) << work.err;

  auto status = run(with({"status", "t1", "--json"}, tls_flags()));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["state"], "complete");
  EXPECT_EQ(j["done"], 4);

  auto results = run({"results", "t1", "--format", "jsonl"}, tls_env());
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(util::split(util::trim(results.out), '\n').size(), 40u) << results.out;
  expect_no_password(sub);
  expect_no_password(work);
}

TEST_F(TlsCliTest, UntrustedServerExitsThree) {
  auto flags = tls_flags();
  flags[5] = certs_.other_ca_cert;  // --redis-ca
  auto r = run(with({"jobs"}, flags));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(url_), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("certificate verify failed"), std::string::npos) << r.err;
  expect_no_password(r);
}

TEST_F(TlsCliTest, MissingClientCertificateExitsThree) {
  auto r = run({"worker", "--job", "t1", "--redis", url_, "--redis-password-file", password_file_,
                "--redis-ca", certs_.ca_cert});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(url_), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("client certificate"), std::string::npos) << r.err;
  // A setting to fix, not an outage: no waiting for the server to come up.
  EXPECT_EQ(r.err.find("retrying"), std::string::npos) << r.err;
  expect_no_password(r);
}

TEST_F(TlsCliTest, PlainRedisOnATlsUrlExitsThree) {
  auto plain = testing::start_redis({});
  ASSERT_NE(plain, nullptr);
  const std::string url = "rediss://127.0.0.1:" + std::to_string(plain->port());
  auto r = run({"jobs", "--redis", url, "--redis-ca", certs_.ca_cert});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("TLS"), std::string::npos) << r.err;
}

TEST_F(TlsCliTest, BadTlsSettingsExitTwo) {
  const std::string not_pem = certs_.dir->path() + "/not-pem.crt";
  std::ofstream(not_pem) << "not a certificate\n";
  const std::string plain_url = "redis://127.0.0.1:" + std::to_string(server_->port());
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string want;
  };
  const Case cases[] = {
      {{"jobs", "--redis", url_, "--redis-ca", certs_.dir->path() + "/missing.crt"},
       {},
       "--redis-ca: cannot read"},
      {{"jobs", "--redis", url_},
       {"TTG_REDIS_CA=" + certs_.dir->path() + "/missing.crt"},
       "TTG_REDIS_CA: cannot read"},
      {{"jobs", "--redis", plain_url, "--redis-ca", certs_.ca_cert},
       {},
       "--redis-ca: TLS files need a rediss:// URL"},
      {{"jobs", "--redis", url_, "--redis-cert", certs_.client_cert},
       {},
       "--redis-cert: a client certificate and its key go together"},
      {{"jobs", "--redis", url_, "--redis-ca", not_pem}, {}, "CA file"},
      {{"jobs", "--redis", url_, "--redis-ca", certs_.ca_cert, "--redis-cert", certs_.client_cert,
        "--redis-key", certs_.other_client_key},
       {},
       "does not match"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    auto r = run(c.args, c.env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.want), std::string::npos) << r.err;
  }
}

TEST_F(TlsCliTest, ConfigShowsTheTlsSettings) {
  auto r = run({"config", "--redis-ca", certs_.ca_cert}, tls_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& want : std::vector<std::string>{
           "redis_ca", "flag --redis-ca", "redis_cert", "env TTG_REDIS_CERT", "redis_key",
           "env TTG_REDIS_KEY", certs_.client_cert, "redis: " + url_ + " (password set)"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << "want '" << want << "' in:\n" << r.out;
  }
  expect_no_password(r);
}

}  // namespace
}  // namespace ttg

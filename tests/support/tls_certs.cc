#include "support/tls_certs.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/ttg_process.h"
#include "util/process.h"
#include "util/strings.h"

namespace ttg::testing {

namespace {

// Extensions for each kind of certificate, and a request section that never
// prompts.
constexpr const char* kConfig = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ttg test
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[ip_only]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
)";

class Maker {
 public:
  explicit Maker(std::string dir) : dir_(std::move(dir)) {}

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  Status write_config() {
    std::ofstream f(path("openssl.cnf"));
    f << kConfig;
    if (!f) return make_error(ErrorCode::kIo, "cannot write " + path("openssl.cnf"));
    return {};
  }

  // A self-signed CA `name`.crt / `name`.key.
  Status ca(const std::string& name, const std::string& cn) {
    return run({"req", "-x509", "-config", path("openssl.cnf"), "-extensions", "ca", "-newkey",
                "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                path(name + ".key"), "-out", path(name + ".crt"), "-days", "2", "-subj",
                "/CN=" + cn});
  }

  // A certificate `name`.crt / `name`.key with the extensions of `section`,
  // signed by CA `ca`.
  Status leaf(const std::string& name, const std::string& section, const std::string& ca) {
    TTG_TRY(run({"req", "-new", "-config", path("openssl.cnf"), "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(name + ".key"), "-out",
                 path(name + ".csr"), "-subj", "/CN=" + name}));
    return run({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".crt"), "-CAkey",
                path(ca + ".key"), "-set_serial", std::to_string(++serial_), "-days", "2",
                "-extfile", path("openssl.cnf"), "-extensions", section, "-out",
                path(name + ".crt")});
  }

 private:
  Status run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    util::SpawnOptions so;
    so.stdout_path = path("openssl.log");
    so.stderr_path = path("openssl.log");
    auto p = util::Process::spawn(argv, so);
    if (!p) return make_error(ErrorCode::kIo, "openssl: " + p.error());
    auto status = p->wait_for(std::chrono::seconds(30));
    if (!status) {
      p->stop(std::chrono::milliseconds(1000));
      return make_error(ErrorCode::kIo, "openssl did not finish within 30 s");
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      return make_error(ErrorCode::kIo, "openssl " + args[0] + " failed (" +
                                            util::describe_wait_status(*status) +
                                            "): " + read_file(path("openssl.log")));
    }
    return {};
  }

  std::string dir_;
  int serial_ = 0;
};

}  // namespace

bool have_openssl() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  for (const auto& dir : util::split(path, ':')) {
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(dir + "/openssl", ec)) return true;
  }
  return false;
}

redis::LocalServerTls TestCertificates::server_tls(redis::LocalServerTls::ClientAuth auth) const {
  redis::LocalServerTls tls;
  tls.cert_file = server_cert;
  tls.key_file = server_key;
  tls.ca_file = ca_cert;
  tls.client_auth = auth;
  tls.client_cert_file = client_cert;
  tls.client_key_file = client_key;
  return tls;
}

Result<TestCertificates> make_test_certificates() {
  auto dir = util::TempDir::create("ttg-certs-");
  if (!dir) return make_error(ErrorCode::kIo, dir.error());
  TestCertificates c;
  c.dir = std::make_unique<util::TempDir>(std::move(*dir));
  Maker m(c.dir->path());
  TTG_TRY(m.write_config());
  TTG_TRY(m.ca("ca", "ttg test CA"));
  TTG_TRY(m.leaf("server", "server", "ca"));
  TTG_TRY(m.leaf("ip-only", "ip_only", "ca"));
  TTG_TRY(m.leaf("client", "client", "ca"));
  TTG_TRY(m.ca("other-ca", "another CA"));
  TTG_TRY(m.leaf("other-client", "client", "other-ca"));
  c.ca_cert = m.path("ca.crt");
  c.ca_key = m.path("ca.key");
  c.server_cert = m.path("server.crt");
  c.server_key = m.path("server.key");
  c.ip_only_cert = m.path("ip-only.crt");
  c.ip_only_key = m.path("ip-only.key");
  c.client_cert = m.path("client.crt");
  c.client_key = m.path("client.key");
  c.other_ca_cert = m.path("other-ca.crt");
  c.other_client_cert = m.path("other-client.crt");
  c.other_client_key = m.path("other-client.key");
  return c;
}

}  // namespace ttg::testing

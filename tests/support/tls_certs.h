#pragma once
// Certificates for TLS tests, made by the `openssl` command line in a
// private temporary directory: a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate, and an unrelated second CA with a client
// certificate of its own. Keys are EC P-256, valid for two days.

#include <memory>
#include <string>

#include "core/result.h"
#include "redis/local_server.h"
#include "util/temp_dir.h"

namespace ttg::testing {

// True when an `openssl` binary is on PATH.
bool have_openssl();

struct TestCertificates {
  std::unique_ptr<util::TempDir> dir;
  // The CA that signed the server and client certificates.
  std::string ca_cert, ca_key;
  // subjectAltName IP:127.0.0.1, DNS:localhost.
  std::string server_cert, server_key;
  // subjectAltName IP:127.0.0.1 only: fails the check of the name localhost.
  std::string ip_only_cert, ip_only_key;
  // A client certificate signed by the CA.
  std::string client_cert, client_key;
  // Another CA, and a client certificate it signed.
  std::string other_ca_cert, other_client_cert, other_client_key;

  // TLS options for a LocalServer serving `server_cert`, verifying clients
  // against the CA as `auth` says; the owner connects with `client_cert`.
  redis::LocalServerTls server_tls(
      redis::LocalServerTls::ClientAuth auth = redis::LocalServerTls::ClientAuth::kNone) const;
};

// Makes every certificate above. Errors: kIo with openssl's output.
[[nodiscard]] Result<TestCertificates> make_test_certificates();

}  // namespace ttg::testing

// TLS over a connected TCP socket, on OpenSSL (Debian's hiredis 0.14 has no
// TLS). The socket stays non-blocking: OpenSSL says which way it waits
// (SSL_ERROR_WANT_READ / WANT_WRITE) and wait_fd() bounds the wait.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "redis/transport.h"
#include "util/file.h"

namespace ttg::redis {

namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct X509InfoStackDeleter {
  void operator()(STACK_OF(X509_INFO) * infos) const {
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
  }
};
using X509InfoStackPtr = std::unique_ptr<STACK_OF(X509_INFO), X509InfoStackDeleter>;

// Keys must not be encrypted: without this callback OpenSSL would prompt for
// a passphrase on the terminal.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

// The reason of the first error on this thread's OpenSSL error queue ("certificate
// verify failed"), or `fallback` when the queue is empty; clears the queue.
std::string take_openssl_reason(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

Error bad_file(std::string_view what, const std::string& path, std::string_view why) {
  return Error{ErrorCode::kInvalidArgument,
               "TLS " + std::string(what) + " '" + path + "': " + std::string(why)};
}

// The file at `path` (at most kMaxTlsFileBytes) in a memory BIO; `text`
// keeps the bytes the BIO reads from.
Result<BioPtr> read_pem(std::string_view what, const std::string& path, std::string& text) {
  auto read = util::read_file(path, kMaxTlsFileBytes);
  if (!read) return tl::unexpected(bad_file(what, path, "cannot read: " + read.error()));
  text = std::move(*read);
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return tl::unexpected(bad_file(what, path, take_openssl_reason("out of memory")));
  return bio;
}

// Trusts the certificates of the PEM file `path`, or the system's trust
// store when `path` is empty.
Status load_ca(SSL_CTX* ctx, const std::string& path) {
  if (path.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "TLS: cannot load the system's trust store: " +
                                                         take_openssl_reason("unknown error"));
    }
    return {};
  }
  std::string text;
  TTG_TRY_ASSIGN(BioPtr bio, read_pem("CA file", path, text));
  X509InfoStackPtr infos(PEM_X509_INFO_read_bio(bio.get(), nullptr, no_passphrase, nullptr));
  if (!infos) {
    return tl::unexpected(bad_file("CA file", path, take_openssl_reason("not PEM")));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
    if (info->x509 == nullptr) continue;
    if (X509_STORE_add_cert(store, info->x509) != 1) {
      return tl::unexpected(bad_file("CA file", path, take_openssl_reason("cannot add")));
    }
    ++added;
  }
  ERR_clear_error();
  if (added == 0) return tl::unexpected(bad_file("CA file", path, "no PEM certificate in it"));
  return {};
}

// Presents the certificate chain of `cert_path` with the key of `key_path`.
Status load_client_certificate(SSL_CTX* ctx, const std::string& cert_path,
                               const std::string& key_path) {
  std::string cert_text;
  TTG_TRY_ASSIGN(BioPtr cert_bio, read_pem("certificate file", cert_path, cert_text));
  X509Ptr leaf(PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr));
  if (!leaf) {
    return tl::unexpected(bad_file("certificate file", cert_path, "no PEM certificate in it"));
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return tl::unexpected(bad_file("certificate file", cert_path, take_openssl_reason("refused")));
  }
  // Intermediate CAs follow the certificate in the same file.
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return tl::unexpected(
          bad_file("certificate file", cert_path, take_openssl_reason("bad chain")));
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"

  std::string key_text;
  auto key_bio = read_pem("key file", key_path, key_text);
  if (!key_bio) return tl::unexpected(key_bio.error());
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio->get(), nullptr, no_passphrase, nullptr));
  OPENSSL_cleanse(key_text.data(), key_text.size());
  if (!key) {
    ERR_clear_error();
    return tl::unexpected(
        bad_file("key file", key_path, "no private key in it (it must be PEM, not encrypted)"));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return tl::unexpected(
        bad_file("key file", key_path, "does not match the certificate in '" + cert_path + "'"));
  }
  return {};
}

bool is_ip_address(const std::string& host) {
  in6_addr addr6{};
  in_addr addr4{};
  return ::inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
}

// The server's certificate must name `host`: an IP address must be in its
// subjectAltName, a DNS name may match a wildcard of one whole label.
Status expect_server_name(SSL* ssl, const std::string& host) {
  if (is_ip_address(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "TLS: bad IP address '" + host + "'");
    }
    return {};
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // SNI, for servers that pick their certificate by name.
  if (SSL_set1_host(ssl, host.c_str()) != 1 ||
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "TLS: bad host name '" + host + "'");
  }
  return {};
}

// What the user can do about a failure whose OpenSSL reason is `reason`.
std::string hint_for(const std::string& reason) {
  auto has = [&](const char* word) { return reason.find(word) != std::string::npos; };
  if (has("certificate required")) return " (the server requires a client certificate)";
  if (has("unknown ca") || has("bad certificate") || has("certificate unknown")) {
    return " (the server refused the client certificate)";
  }
  if (has("wrong version number") || has("packet length too long") || has("record layer") ||
      has("unexpected eof") || has("http request")) {
    return " (is the server speaking TLS on this port?)";
  }
  return "";
}

std::string verify_hint(long result) {
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return " (the server's certificate is for another name)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return " (the server's certificate is not signed by a trusted CA)";
    default:
      return "";
  }
}

// A failed SSL_* call: its error, with what OpenSSL knows about why.
// `saved_errno` is errno right after the call.
Error ssl_failure(SSL* ssl, int rc, int saved_errno) {
  int kind = SSL_get_error(ssl, rc);
  if (kind == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return Error{ErrorCode::kConnection, "server closed the connection"};
  }
  if (kind == SSL_ERROR_SYSCALL) {
    std::string reason = take_openssl_reason("");
    if (!reason.empty()) return Error{ErrorCode::kTls, "TLS: " + reason + hint_for(reason)};
    if (saved_errno == 0) return Error{ErrorCode::kConnection, "server closed the connection"};
    return Error{ErrorCode::kConnection, std::strerror(saved_errno)};
  }
  unsigned long code = ERR_peek_error();
  if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
      ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ERR_clear_error();
    return Error{ErrorCode::kConnection, "server closed the connection"};
  }
  std::string reason = take_openssl_reason("TLS error");
  return Error{ErrorCode::kTls, "TLS: " + reason + hint_for(reason)};
}

// What the handshake learnt about client certificates.
struct ClientCertificateState {
  // The server asked for a certificate (CertificateRequest).
  bool requested = false;
  // We have one to present.
  bool presented = false;
};

// OpenSSL calls this on the client when the server asks for a certificate.
int note_certificate_request(SSL* /*ssl*/, void* arg) {
  static_cast<ClientCertificateState*>(arg)->requested = true;
  return 1;
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(util::Fd fd, SslCtxPtr ctx, SslPtr ssl,
               std::unique_ptr<ClientCertificateState> client_cert)
      : fd_(std::move(fd)),
        ctx_(std::move(ctx)),
        ssl_(std::move(ssl)),
        client_cert_(std::move(client_cert)) {}

  ~TlsTransport() override {
    // Tell a healthy server we are done (close_notify); never wait for its
    // answer. After an error the stream may be out of step: just close.
    if (healthy_) {
      (void)SSL_shutdown(ssl_.get());
      ERR_clear_error();
    }
  }

  Status write_all(std::string_view data, Deadline deadline) override {
    ERR_clear_error();
    while (!data.empty()) {
      size_t written = 0;
      errno = 0;
      int rc = SSL_write_ex(ssl_.get(), data.data(), data.size(), &written);
      if (rc == 1) {
        data.remove_prefix(written);
        continue;
      }
      TTG_TRY(wait_or_fail(rc, errno, deadline));
    }
    return {};
  }

  Result<size_t> read_some(char* buffer, size_t size, Deadline deadline) override {
    ERR_clear_error();
    for (;;) {
      size_t got = 0;
      errno = 0;
      int rc = SSL_read_ex(ssl_.get(), buffer, size, &got);
      if (rc == 1) {
        replied_ = true;
        return got;
      }
      TTG_TRY(wait_or_fail(rc, errno, deadline));
    }
  }

 private:
  // After a failed SSL_read_ex/SSL_write_ex: waits for the socket when
  // OpenSSL wants to, else fails.
  Status wait_or_fail(int rc, int saved_errno, Deadline deadline) {
    int kind = SSL_get_error(ssl_.get(), rc);
    Status waited;
    if (kind == SSL_ERROR_WANT_READ) {
      waited = wait_fd(fd_.get(), POLLIN, deadline);
    } else if (kind == SSL_ERROR_WANT_WRITE) {
      waited = wait_fd(fd_.get(), POLLOUT, deadline);
    } else {
      waited = tl::unexpected(with_hint(ssl_failure(ssl_.get(), rc, saved_errno)));
    }
    if (!waited) healthy_ = false;
    return waited;
  }

  // With TLS 1.3 the client's handshake ends before the server has checked
  // the client's certificate: a refusal shows only on the first read or
  // write, as an alert or, when our request crossed it, as a reset. Say so
  // when the server asked for a certificate and never answered.
  Error with_hint(Error e) const {
    if (replied_ || !client_cert_->requested || e.code != ErrorCode::kConnection ||
        e.message.find('(') != std::string::npos) {
      return e;
    }
    // Not an outage: the server refuses this client until its settings change.
    e.code = ErrorCode::kTls;
    e.message += client_cert_->presented
                     ? " (right after the TLS handshake: the server may have refused the "
                       "client certificate)"
                     : " (right after the TLS handshake: the server asked for a client "
                       "certificate and none was given)";
    return e;
  }

  // Declared first, destroyed last: the SSL object uses the socket.
  util::Fd fd_;
  SslCtxPtr ctx_;
  SslPtr ssl_;
  std::unique_ptr<ClientCertificateState> client_cert_;
  bool healthy_ = true;
  // Application data has arrived.
  bool replied_ = false;
};

// The handshake failed: say why, the certificate check first.
Error handshake_failure(SSL* ssl, int rc, int saved_errno) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return Error{ErrorCode::kTls, std::string("TLS handshake failed: certificate verify "
                                              "failed: ") +
                                      X509_verify_cert_error_string(verify) + verify_hint(verify)};
  }
  Error e = ssl_failure(ssl, rc, saved_errno);
  if (e.message == "server closed the connection") {
    e.message += " during the TLS handshake (is the server speaking TLS on this port?)";
    return e;
  }
  if (e.message.rfind("TLS: ", 0) == 0) {
    e.message = "TLS handshake failed: " + e.message.substr(5);
  } else {
    // A socket error (reset) in the middle of the handshake.
    e.message =
        "TLS handshake failed: " + e.message + " (is the server speaking TLS on this port?)";
  }
  return e;
}

}  // namespace

Result<std::unique_ptr<Transport>> start_tls(util::Fd fd, const Options& options,
                                             Deadline deadline) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    return make_error(ErrorCode::kConnection,
                      "TLS: cannot create a context: " + take_openssl_reason("out of memory"));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  // Writes report progress piece by piece, and a retried write may come
  // from a buffer that moved.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  TTG_TRY(load_ca(ctx.get(), options.tls_ca_file));
  if (!options.tls_cert_file.empty()) {
    TTG_TRY(load_client_certificate(ctx.get(), options.tls_cert_file, options.tls_key_file));
  }
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
    return make_error(ErrorCode::kConnection,
                      "TLS: cannot set up the connection: " + take_openssl_reason("out of memory"));
  }
  TTG_TRY(expect_server_name(ssl.get(), options.host));
  auto client_cert = std::make_unique<ClientCertificateState>();
  client_cert->presented = !options.tls_cert_file.empty();
  SSL_set_cert_cb(ssl.get(), note_certificate_request, client_cert.get());
  for (;;) {
    errno = 0;
    int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    int saved_errno = errno;
    int kind = SSL_get_error(ssl.get(), rc);
    if (kind != SSL_ERROR_WANT_READ && kind != SSL_ERROR_WANT_WRITE) {
      return tl::unexpected(handshake_failure(ssl.get(), rc, saved_errno));
    }
    auto waited = wait_fd(fd.get(), kind == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
    if (!waited) {
      Error e = waited.error();
      e.message = "TLS handshake: " + e.message;
      if (e.code == ErrorCode::kTimeout) e.message += " (is the server speaking TLS on this port?)";
      return tl::unexpected(e);
    }
  }
  return std::make_unique<TlsTransport>(std::move(fd), std::move(ctx), std::move(ssl),
                                        std::move(client_cert));
}

}  // namespace ttg::redis

#pragma once
// Where and how to connect to Redis.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ttg::redis {

// The largest TLS certificate or key file read: 4 MiB (a system CA bundle is
// a few hundred KiB).
inline constexpr size_t kMaxTlsFileBytes = size_t{4} << 20;

struct Options {
  // TCP host. Default "127.0.0.1". Ignored when `unix_socket` is set.
  std::string host = "127.0.0.1";
  // TCP port, 1 to 65535. Default 6379.
  int port = 6379;
  // Path of a unix socket; when set, used instead of host:port. Default empty.
  std::string unix_socket;
  // ACL user name; empty = the default user. Default empty.
  std::string user;
  // Password; empty = no AUTH. Never logged or put in messages. Default empty.
  std::string password;
  // Database number for SELECT, >= 0. Default 0.
  int db = 0;
  // Time allowed to establish a connection (TCP, then the TLS handshake when
  // `tls`); must be positive. Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  // Time allowed to send a command (or a pipeline), and then for each reply
  // to arrive whole; must be positive (there is no "wait forever").
  // Default 5 s.
  std::chrono::milliseconds command_timeout{5000};

  // TLS (a rediss:// URL): the server's certificate must chain to a trusted
  // CA and name `host` (a DNS name, or an IP address in its
  // subjectAltName). There is no way to skip the check. TCP only. Default off.
  bool tls = false;
  // PEM file of the CA certificates to trust; empty = the system's trust
  // store. Read at most kMaxTlsFileBytes. Only with `tls`. Default empty.
  std::string tls_ca_file;
  // PEM files of a client certificate (with its chain) and its unencrypted
  // private key, for servers that require one (tls-auth-clients). Both or
  // neither; only with `tls`. Default empty.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Parses `redis://[user[:password]@]host[:port][/db]` (IPv6 hosts in
// brackets), the same with `rediss://` for TLS (sets `tls`), or
// `unix:///path/to.sock[?db=N]`. User and password may be percent-encoded.
// Timeouts and TLS files are left at their defaults. Errors are
// kInvalidArgument with a message that says what is wrong but never quotes
// the URL or any part of it, so it never contains the password.
[[nodiscard]] Result<Options> parse_url(std::string_view url);

// The SHA-256 of `password` in lower-case hex: how a Redis ACL rule names a
// password without holding it ("#<hex>"). Empty if OpenSSL cannot hash.
std::string password_sha256_hex(std::string_view password);

// The URL of `options` without the password (`redis://user@host:port/db`,
// `rediss://host:port` with TLS, `unix:///path`), for logs and messages.
std::string describe(const Options& options);

}  // namespace ttg::redis

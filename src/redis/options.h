#pragma once
// Where and how to connect to Redis.

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ttg::redis {

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
  // Time allowed to establish a connection; must be positive. Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  // Time allowed for one command's reply (socket read/write time-out); must
  // be positive (there is no "wait forever"). Default 5 s.
  std::chrono::milliseconds command_timeout{5000};
};

// Parses `redis://[user[:password]@]host[:port][/db]` (IPv6 hosts in
// brackets) or `unix:///path/to.sock[?db=N]`. User and password may be
// percent-encoded. Timeouts are left at their defaults. Errors are
// kInvalidArgument with a message that says what is wrong but never quotes
// the URL or any part of it, so it never contains the password.
[[nodiscard]] Result<Options> parse_url(std::string_view url);

// The URL of `options` without the password (`redis://user@host:port/db`,
// `unix:///path`), for logs and messages.
std::string describe(const Options& options);

}  // namespace ttg::redis

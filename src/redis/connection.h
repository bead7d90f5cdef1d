#pragma once
// Connections to Redis: one blocking connection (Connection), Lua scripts run
// by EVALSHA (Script), and a connection that reconnects by itself (Client).
//
// A connection is a TCP or unix socket, or TLS over TCP (`Options::tls`, a
// rediss:// URL) with the server's certificate checked against the CA and
// the host name; hiredis only formats requests and parses replies.
//
// Errors (Error::code):
//   kConnection  cannot connect, or the connection broke (EOF, reset), or TLS
//                failed: handshake, certificate not trusted or for another
//                name, client certificate refused, a server not speaking TLS
//   kTimeout     connect (TCP and TLS handshake) or command time-out; the
//                connection is dropped
//   kProtocol    the peer does not speak RESP (e.g. a port that is not Redis)
//   kInvalidArgument  options out of range, or a TLS file that cannot be
//                read or used (not PEM, encrypted key, key not matching)
//   kNoAuth, kWrongPass   authentication required (or an ACL user's right
//                         missing: NOPERM) / credentials refused
//   kNoScript, kBusyGroup, kNoGroup, kRedisReply   error replies, told apart
// After kConnection, kTimeout or kProtocol the connection is dead; a Client
// drops it and reconnects on the next call. Messages name the server
// (describe(options)) and never contain the password.
//
// Loading this module makes the process ignore SIGPIPE (a write to a closed
// socket then fails with EPIPE instead of killing the process).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "redis/options.h"
#include "redis/reply.h"
#include "util/backoff.h"

namespace ttg::redis {

// One command as its arguments; sent as an argv array with lengths, so data
// is never parsed as a format string.
using Command = std::vector<std::string>;

// The error an error reply stands for, classified by its prefix.
Error classify_error_reply(std::string_view message);

// A Lua script: its text and, once loaded, its SHA1. Thread-safe; may be
// shared by connections in several threads.
class Script {
 public:
  explicit Script(std::string body) : body_(std::move(body)) {}
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  const std::string& body() const { return body_; }
  // The SHA1 from the last SCRIPT LOAD; empty until then.
  std::string sha() const;
  void set_sha(std::string sha) const;

 private:
  std::string body_;
  mutable std::mutex mu_;
  mutable std::string sha_;
};

// A blocking connection to one Redis server. Move-only; not thread-safe (one
// per thread).
class Connection {
 public:
  // Connects within `options.connect_timeout` (TCP, and the TLS handshake
  // with `options.tls`), sends AUTH when a user or a password is set (user +
  // password, or the password alone for the default user) and SELECT when
  // `options.db` is not 0, and checks with PING that the peer is Redis.
  // Options outside their documented ranges (time-outs not positive, port,
  // db, TLS files without TLS, a certificate without its key) are
  // kInvalidArgument.
  [[nodiscard]] static Result<Connection> connect(const Options& options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Sends one command and returns its reply; sending, then the reply, must
  // each take less than `options.command_timeout`. An error reply becomes an
  // Error with its classified code. An empty `argv` is kInvalidArgument and sends
  // nothing.
  [[nodiscard]] Result<Reply> command(const Command& argv);

  // Sends all `commands` at once, then reads one reply each. A per-command
  // error reply is a Reply of type kError in its place; a transport error
  // fails the whole batch (some commands may have run). An empty command in
  // `commands` is kInvalidArgument and sends nothing.
  [[nodiscard]] Result<std::vector<Reply>> pipeline(const std::vector<Command>& commands);

  // Runs `script` by EVALSHA; on NOSCRIPT loads it (SCRIPT LOAD) and retries
  // once. `keys` and `args` are passed as KEYS and ARGV.
  [[nodiscard]] Result<Reply> eval(const Script& script, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args);

  // Loads `script` with SCRIPT LOAD and records its SHA1.
  [[nodiscard]] Status load(const Script& script);

  // The EVALSHA command for `script` (which must have been loaded), for use
  // in a pipeline.
  static Command evalsha_command(const Script& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args);

  // False once a transport error has made the connection unusable.
  bool usable() const;
  const Options& options() const;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A connection that reconnects by itself. Each call first (re)connects when
// needed; while the server is unreachable, calls wait between connection
// attempts by a capped exponential back-off with jitter, so a caller looping
// on errors does not hammer the server. A call never retries a command on
// its own: after a transport error the caller decides (commands may have run).
// Not thread-safe: one per thread.
class Client {
 public:
  explicit Client(Options options, util::BackoffPolicy backoff = {});

  [[nodiscard]] Result<Reply> command(const Command& argv);
  [[nodiscard]] Result<std::vector<Reply>> pipeline(const std::vector<Command>& commands);
  [[nodiscard]] Result<Reply> eval(const Script& script, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args);

  // Connects now if not connected (honouring the back-off wait).
  [[nodiscard]] Status ensure_connected();
  // Drops the current connection (the next call reconnects).
  void disconnect();
  bool connected() const;
  // Connections made so far (1 after the first connect), for tests and metrics.
  int connects() const { return connects_; }
  const Options& options() const { return options_; }

 private:
  // Drops the connection if `error` means it is dead.
  template <class T>
  Result<T> check(Result<T> result);

  Options options_;
  util::Backoff backoff_;
  std::unique_ptr<Connection> conn_;
  std::chrono::steady_clock::time_point next_attempt_{};
  int connects_ = 0;
};

}  // namespace ttg::redis

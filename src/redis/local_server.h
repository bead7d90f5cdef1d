#pragma once
// A private redis-server process, started and stopped by its owner: the
// embedded default of `ttg demo` and the server of every integration test.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "redis/options.h"
#include "util/process.h"
#include "util/temp_dir.h"

namespace ttg::redis {

// TLS for a LocalServer: the server's certificate and key, and the CA its
// clients' certificates are checked against (and that its owner trusts).
struct LocalServerTls {
  enum class ClientAuth { kNone, kOptional, kRequired };
  // PEM files of the server's certificate and key. Required.
  std::string cert_file;
  std::string key_file;
  // PEM file of the CA that signed the server's certificate (the owner's
  // connections trust it) and that client certificates must chain to.
  // Required.
  std::string ca_file;
  // Whether clients must present a certificate (tls-auth-clients no,
  // optional, yes). Default kNone.
  ClientAuth client_auth = ClientAuth::kNone;
  // The owner's client certificate and key (needed with kRequired). Default
  // empty.
  std::string client_cert_file;
  std::string client_key_file;
};

struct LocalServerOptions {
  enum class Transport { kTcp, kUnixSocket };
  // Listen on a free loopback TCP port or on a unix socket in the temp dir.
  // Default TCP.
  Transport transport = Transport::kTcp;
  // Persist with an append-only file (appendfsync `appendfsync`). Default off:
  // no persistence at all.
  bool append_only = false;
  // "always", "everysec" or "no". Default "always".
  std::string appendfsync = "always";
  // When set, the server requires this password (requirepass); any bytes,
  // written quoted into the config file. Default empty.
  std::string password;
  // The ACL user the owner connects as (with `password` as its password,
  // and then no requirepass): for servers whose default user is off. The
  // user must be defined by `extra_config`. Default empty = the default user.
  std::string user;
  // TCP only: serve TLS, and only TLS, on the port. Default none.
  std::optional<LocalServerTls> tls;
  // Extra lines for redis.conf (e.g. "user alice on >pw ~* +@all"), written
  // as given. Default none.
  std::vector<std::string> extra_config;
  // Path of the redis-server binary. Default "redis-server" from PATH.
  std::string binary = "redis-server";
  // TCP only: the address the server binds and its owner connects to, e.g.
  // an address inside a network namespace. Default "127.0.0.1". A server
  // bound beyond loopback should have a password (protected mode refuses
  // remote clients without one).
  std::string address = "127.0.0.1";
  // Words put before the server's command line, e.g. {"ip", "netns", "exec",
  // "NAME"} to run it in a network namespace. The launcher must exec the
  // server in its own process, so that pid() is the server's. Default none.
  std::vector<std::string> launcher;
  // How long to wait for the server to answer PING. Default 10 s.
  std::chrono::milliseconds start_timeout{10000};
};

// Owns a redis-server child and its temporary directory. The configuration
// (including any password) goes into a mode-0600 file in that directory, never
// on the command line. The destructor stops the server (SIGTERM, then
// SIGKILL) and removes the directory. Not thread-safe.
class LocalServer {
 public:
  // Starts a server and waits until it answers PING. When the server exits
  // at once (the picked port was taken meanwhile), tries again on other ports
  // a few times. Errors: kIo (cannot start, or exited during start-up; its log
  // says why), kTimeout (no answer within `start_timeout`).
  [[nodiscard]] static Result<LocalServer> start(LocalServerOptions options = {});

  LocalServer(LocalServer&&) noexcept = default;
  LocalServer& operator=(LocalServer&&) noexcept = default;
  ~LocalServer();

  // Connection options for this server, as its owner connects: with the
  // configured user and password, and with TLS the CA and client
  // certificate of `LocalServerOptions::tls`.
  Options options() const;
  // `redis://[USER@]ADDRESS:PORT`, the same with rediss:// for TLS, or
  // `unix:///dir/redis.sock`: describe(options()), without the password.
  std::string url() const { return describe(options()); }
  pid_t pid() const { return detached_pid_ > 0 ? detached_pid_ : process_.pid(); }
  int port() const { return port_; }
  const std::string& dir() const { return dir_path_; }

  // Sends `sig` to the server (SIGSTOP/SIGCONT to freeze and resume it).
  void signal(int sig) const { process_.signal(sig); }
  // Kills the server with SIGKILL and reaps it (a crash).
  void kill();
  // Stops the server gracefully (SIGTERM, then SIGKILL after `grace`).
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // Starts the server again on the same address and directory (loading the
  // AOF when persistence is on) and waits until it answers.
  [[nodiscard]] Status restart();
  bool running() { return process_.running(); }
  // Leaves the server running and its directory in place when this object
  // goes away: the caller now owns both (stop the server with SIGTERM to
  // pid(), then remove dir()). pid() and dir() keep their values.
  void detach();

  // Path of the server's log file.
  std::string log_path() const { return dir_path_ + "/redis.log"; }

 private:
  LocalServer(LocalServerOptions options, util::TempDir dir)
      : options_(std::move(options)), dir_(std::move(dir)), dir_path_(dir_.path()) {}
  Status launch();

  LocalServerOptions options_;
  util::TempDir dir_;
  std::string dir_path_;
  util::Process process_;
  pid_t detached_pid_ = -1;
  int port_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
[[nodiscard]] Result<int> pick_free_port();

}  // namespace ttg::redis

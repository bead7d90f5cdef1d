#include "redis/local_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include "redis/connection.h"
#include "util/strings.h"

namespace ttg::redis {

namespace {

// `value` as one double-quoted redis.conf argument. Unquoted, the config
// parser would split it at spaces or choke on quotes, and a newline in it
// would start a new directive.
std::string quoted(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// The pid the server behind `conn` reports, or nullopt if it does not say
// (e.g. an ACL that forbids INFO).
std::optional<pid_t> server_pid(Connection& conn) {
  auto info = conn.command({"INFO", "server"});
  if (!info) return std::nullopt;
  constexpr std::string_view kKey = "process_id:";
  auto at = info->str().find(kKey);
  if (at == std::string::npos) return std::nullopt;
  auto end = info->str().find_first_of("\r\n", at);
  auto pid = util::parse_int(
      std::string_view(info->str()).substr(at + kKey.size(), end - at - kKey.size()));
  if (!pid) return std::nullopt;
  return static_cast<pid_t>(*pid);
}

}  // namespace

Result<int> pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  int saved = errno;
  ::close(fd);
  if (port <= 0) return make_error(ErrorCode::kIo, std::string("bind: ") + std::strerror(saved));
  return port;
}

Result<LocalServer> LocalServer::start(LocalServerOptions options) {
  if (options.tls &&
      (options.transport != LocalServerOptions::Transport::kTcp || options.tls->cert_file.empty() ||
       options.tls->key_file.empty() || options.tls->ca_file.empty())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "local redis-server: TLS needs TCP, a certificate, its key and a CA file");
  }
  if (options.address.empty() ||
      options.address.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "local redis-server: the address must be an IPv4 or IPv6 address");
  }
  auto dir = util::TempDir::create("ttg-redis-");
  if (!dir) return make_error(ErrorCode::kIo, dir.error());
  LocalServer server(std::move(options), std::move(*dir));
  // A port picked free can be taken by someone else before redis binds it:
  // try a few ports before giving up. Only an early exit means that; a server
  // that does not answer in time is not retried.
  Status launched;
  for (int attempt = 0; attempt < 5; ++attempt) {
    launched = server.launch();
    if (launched) return server;
    if (server.options_.transport == LocalServerOptions::Transport::kUnixSocket) break;
    if (server.port_ != 0) break;
  }
  return tl::unexpected(launched.error());
}

LocalServer::~LocalServer() {
  if (process_.valid()) stop();
}

Options LocalServer::options() const {
  Options o;
  if (options_.transport == LocalServerOptions::Transport::kUnixSocket) {
    o.unix_socket = dir_path_ + "/redis.sock";
  } else {
    o.host = options_.address;
    o.port = port_;
  }
  o.user = options_.user;
  o.password = options_.password;
  if (options_.tls) {
    o.tls = true;
    o.tls_ca_file = options_.tls->ca_file;
    o.tls_cert_file = options_.tls->client_cert_file;
    o.tls_key_file = options_.tls->client_key_file;
  }
  return o;
}

Status LocalServer::launch() {
  if (port_ == 0 || options_.transport == LocalServerOptions::Transport::kUnixSocket) {
    if (options_.transport == LocalServerOptions::Transport::kTcp) {
      TTG_TRY_ASSIGN(port_, pick_free_port());
    }
  }
  const std::string conf_path = dir_path_ + "/redis.conf";
  {
    std::ostringstream conf;
    conf << "daemonize no\n"
         << "dir " << quoted(dir_path_) << "\n"
         << "logfile " << quoted(log_path()) << "\n"
         << "save \"\"\n"
         << "protected-mode yes\n";
    if (options_.transport == LocalServerOptions::Transport::kUnixSocket) {
      conf << "port 0\n"
           << "unixsocket " << quoted(dir_path_ + "/redis.sock") << "\n"
           << "unixsocketperm 700\n";
    } else if (options_.tls) {
      const LocalServerTls& tls = *options_.tls;
      const char* auth = tls.client_auth == LocalServerTls::ClientAuth::kRequired   ? "yes"
                         : tls.client_auth == LocalServerTls::ClientAuth::kOptional ? "optional"
                                                                                    : "no";
      conf << "bind " << options_.address << "\n"
           << "port 0\n"
           << "tls-port " << port_ << "\n"
           << "tls-cert-file " << quoted(tls.cert_file) << "\n"
           << "tls-key-file " << quoted(tls.key_file) << "\n"
           << "tls-ca-cert-file " << quoted(tls.ca_file) << "\n"
           << "tls-auth-clients " << auth << "\n";
    } else {
      conf << "bind " << options_.address << "\n"
           << "port " << port_ << "\n";
    }
    if (options_.append_only) {
      conf << "appendonly yes\n"
           << "appendfsync " << quoted(options_.appendfsync) << "\n";
    } else {
      conf << "appendonly no\n";
    }
    if (!options_.password.empty() && options_.user.empty()) {
      conf << "requirepass " << quoted(options_.password) << "\n";
    }
    for (const auto& line : options_.extra_config) conf << line << "\n";
    // The file may hold a password: create it readable by the owner only.
    int fd = ::open(conf_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorCode::kIo, "cannot write " + conf_path);
    std::string text = conf.str();
    ssize_t written = ::write(fd, text.data(), text.size());
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size())) {
      return make_error(ErrorCode::kIo, "cannot write " + conf_path);
    }
  }
  // The server's own output goes to its log, never to our stdout/stderr: a
  // server that outlived a crashed owner must not hold the owner's pipes
  // open (a test runner would wait on them).
  util::SpawnOptions spawn;
  spawn.stdout_path = log_path();
  spawn.stderr_path = log_path();
  std::vector<std::string> argv = options_.launcher;
  argv.push_back(options_.binary);
  argv.push_back(conf_path);
  auto proc = util::Process::spawn(argv, spawn);
  if (!proc) return make_error(ErrorCode::kIo, proc.error());
  process_ = std::move(*proc);

  Options probe = options();
  probe.connect_timeout = std::chrono::milliseconds(500);
  probe.command_timeout = std::chrono::milliseconds(1000);
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  auto step = std::chrono::milliseconds(2);
  Error last{ErrorCode::kConnection, "not started"};
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running()) {
      std::string why = util::describe_wait_status(process_.status().value_or(0));
      if (options_.transport == LocalServerOptions::Transport::kTcp) port_ = 0;
      return make_error(ErrorCode::kIo,
                        "redis-server exited during start-up (" + why + "); see " + log_path());
    }
    auto conn = Connection::connect(probe);
    if (conn) {
      // Someone else's server may hold the port we picked; ours then exits.
      auto pid = server_pid(*conn);
      if (!pid || *pid == process_.pid()) return {};
      last = Error{ErrorCode::kIo,
                   "port " + std::to_string(port_) + " is taken by pid " + std::to_string(*pid)};
    } else {
      last = conn.error();
    }
    // A server that is loading its AOF answers LOADING: keep polling.
    std::this_thread::sleep_for(step);  // polling backoff, bounded by deadline
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
  process_.stop(std::chrono::milliseconds(1000));
  return make_error(ErrorCode::kTimeout, "redis-server did not answer within " +
                                             std::to_string(options_.start_timeout.count()) +
                                             " ms: " + last.message);
}

void LocalServer::kill() {
  process_.signal(SIGCONT);
  process_.signal(SIGKILL);
  process_.wait_for(std::chrono::milliseconds(10000));
}

void LocalServer::stop(std::chrono::milliseconds grace) {
  process_.signal(SIGCONT);  // a frozen server cannot handle SIGTERM
  process_.stop(grace);
}

void LocalServer::detach() {
  if (!process_.valid()) return;
  detached_pid_ = process_.release();
  dir_.release();
}

Status LocalServer::restart() {
  if (process_.valid()) stop();
  return launch();
}

}  // namespace ttg::redis

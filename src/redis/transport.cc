#include "redis/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace ttg::redis {

namespace {

Error timed_out() { return Error{ErrorCode::kTimeout, "timed out"}; }

// A socket error as kConnection with its strerror text; the kernel giving up
// (ETIMEDOUT) is a time-out like ours.
Error io_error(int err) {
  if (err == ETIMEDOUT) return timed_out();
  return Error{ErrorCode::kConnection, std::strerror(err)};
}

// A plain socket: TCP or unix.
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(util::Fd fd) : fd_(std::move(fd)) {}

  Status write_all(std::string_view data, Deadline deadline) override {
    while (!data.empty()) {
      // MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        TTG_TRY(wait_fd(fd_.get(), POLLOUT, deadline));
        continue;
      }
      return tl::unexpected(io_error(n < 0 ? errno : EPIPE));
    }
    return {};
  }

  Result<size_t> read_some(char* buffer, size_t size, Deadline deadline) override {
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buffer, size, 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) return make_error(ErrorCode::kConnection, "server closed the connection");
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return tl::unexpected(io_error(errno));
      TTG_TRY(wait_fd(fd_.get(), POLLIN, deadline));
    }
  }

 private:
  util::Fd fd_;
};

Result<util::Fd> new_socket(int family) {
  util::Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return tl::unexpected(io_error(errno));
  return fd;
}

// Finishes a non-blocking connect() of `fd` to `addr` by `deadline`.
Status connect_fd(int fd, const sockaddr* addr, socklen_t len, Deadline deadline) {
  if (::connect(fd, addr, len) == 0) return {};
  if (errno != EINPROGRESS && errno != EINTR) return tl::unexpected(io_error(errno));
  TTG_TRY(wait_fd(fd, POLLOUT, deadline));
  int err = 0;
  socklen_t err_len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return tl::unexpected(io_error(err));
  return {};
}

Result<util::Fd> connect_unix(const std::string& path, Deadline deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return make_error(ErrorCode::kConnection, "unix socket path is too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  TTG_TRY_ASSIGN(util::Fd fd, new_socket(AF_UNIX));
  TTG_TRY(connect_fd(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, deadline));
  return fd;
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const {
    if (info != nullptr) ::freeaddrinfo(info);
  }
};

// Tries each address of `host` in turn; the error is the last address's.
// Name resolution itself (getaddrinfo) cannot be bounded by `deadline`.
Result<util::Fd> connect_tcp(const std::string& host, int port, Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoDeleter> infos(raw);
  if (rc != 0) {
    return make_error(ErrorCode::kConnection,
                      rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
  }
  Error last{ErrorCode::kConnection, "no address"};
  for (const addrinfo* ai = infos.get(); ai != nullptr; ai = ai->ai_next) {
    auto fd = new_socket(ai->ai_family);
    if (!fd) {
      last = fd.error();
      continue;
    }
    auto connected = connect_fd(fd->get(), ai->ai_addr, ai->ai_addrlen, deadline);
    if (connected) {
      int one = 1;
      // Commands are small and answered at once: do not wait to fill packets.
      (void)::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return std::move(*fd);
    }
    last = connected.error();
    if (last.code == ErrorCode::kTimeout) break;
  }
  return tl::unexpected(last);
}

}  // namespace

Status wait_fd(int fd, short events, Deadline deadline) {
  for (;;) {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return tl::unexpected(timed_out());
    pollfd p{fd, events, 0};
    int timeout = static_cast<int>(std::min<int64_t>(left.count(), 60'000));
    int rc = ::poll(&p, 1, timeout);
    if (rc > 0) return {};  // ready, or an error the next call will report
    if (rc < 0 && errno != EINTR) return tl::unexpected(io_error(errno));
  }
}

Result<std::unique_ptr<Transport>> open_transport(const Options& options, Deadline deadline) {
  if (!options.unix_socket.empty()) {
    TTG_TRY_ASSIGN(util::Fd fd, connect_unix(options.unix_socket, deadline));
    return std::make_unique<SocketTransport>(std::move(fd));
  }
  TTG_TRY_ASSIGN(util::Fd fd, connect_tcp(options.host, options.port, deadline));
  if (options.tls) return start_tls(std::move(fd), options, deadline);
  return std::make_unique<SocketTransport>(std::move(fd));
}

}  // namespace ttg::redis

#include "util/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ttg::util {

tl::expected<void, std::string> probe_listen(const std::string& ipv4, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ipv4.c_str(), &a.sin_addr) != 1) {
    return tl::unexpected("'" + ipv4 + "' is not an IPv4 address");
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return tl::unexpected(std::string("cannot open a socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc == 0) rc = ::listen(fd, 1);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return {};
  return tl::unexpected(std::string(err == EADDRINUSE      ? "the port is in use"
                                    : err == EADDRNOTAVAIL ? "the address is not one of this host's"
                                    : err == EACCES ? "permission denied (a port below 1024?)"
                                                    : std::strerror(err)));
}

}  // namespace ttg::util

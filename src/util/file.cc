#include "util/file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace ttg::util {

std::string size_text(size_t bytes) {
  constexpr size_t kKiB = 1024, kMiB = 1024 * kKiB;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

tl::expected<std::string, std::string> read_file(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return tl::unexpected<std::string>(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected<std::string>(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return tl::unexpected<std::string>("is a directory");
  const std::string too_large = "larger than " + size_text(max_bytes);
  // A regular file says its size; anything else is read up to the bound.
  if (S_ISREG(st.st_mode) && static_cast<uintmax_t>(st.st_size) > max_bytes) {
    return tl::unexpected<std::string>(too_large);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected<std::string>(std::strerror(errno));
    }
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      return tl::unexpected<std::string>(too_large);
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

bool reader_gone(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return false;
  struct pollfd p {};
  p.fd = fd;
  p.events = POLLOUT;
  // A pipe without readers polls as POLLERR, a closed socket as POLLHUP.
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

}  // namespace ttg::util

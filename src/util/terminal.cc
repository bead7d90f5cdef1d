#include "util/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace ttg::util {

std::optional<TerminalSize> terminal_size(int fd) {
  if (::isatty(fd) != 1) return std::nullopt;
  TerminalSize size;
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0) {
    if (ws.ws_col > 0) size.columns = ws.ws_col;
    if (ws.ws_row > 0) size.rows = ws.ws_row;
  }
  return size;
}

}  // namespace ttg::util

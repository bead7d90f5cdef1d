#pragma once
// The terminal a command writes to: whether there is one, and its size.

#include <optional>

namespace ttg::util {

struct TerminalSize {
  int columns = 80;
  int rows = 24;
};

// The size of the terminal `fd` refers to; nullopt when `fd` is not a
// terminal. A terminal that reports 0 (some pseudo-terminals) gets 80 x 24.
std::optional<TerminalSize> terminal_size(int fd);

}  // namespace ttg::util

#pragma once
// Splits a command line into argv the way a POSIX shell splits words, and
// nothing more: no variables, globs, redirections or pipes (run `sh -c '...'`
// for those).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ttg::kernels {

// Words are separated by unquoted blanks (space, tab, newline). '...' keeps
// everything literally; "..." keeps everything but \" \\ \$ \` (the
// backslash is dropped); an unquoted backslash keeps the next character.
// Quoted and unquoted parts next to each other form one word; "" is an empty
// word. kInvalidArgument: unterminated quote, trailing backslash, no words.
[[nodiscard]] Result<std::vector<std::string>> split_command_line(std::string_view line);

}  // namespace ttg::kernels

#pragma once
// Reading whole files that a user names, with a bound on their size; whether
// anyone still reads what we write.

#include <cstddef>
#include <string>

#include <tl/expected.hpp>

namespace ttg::util {

// "64 MiB", "1 KiB", "100 bytes": a size limit for messages.
std::string size_text(size_t bytes);

// Reads the whole file at `path`, at most `max_bytes` of it. A longer file,
// and an endless one (/dev/zero, a pipe that keeps writing), is an error
// once `max_bytes` + 1 bytes have been read, so neither memory nor time grows
// past the bound. Errors are a reason without the path, for the caller to
// put after its own context: strerror text ("No such file or directory"),
// "is a directory", or "larger than 64 MiB".
tl::expected<std::string, std::string> read_file(const std::string& path, size_t max_bytes);

// True when `fd` is a pipe or socket whose reading end is closed (a write
// would fail with EPIPE): `ttg results | head` once head has exited. Does
// not block.
bool reader_gone(int fd);

}  // namespace ttg::util

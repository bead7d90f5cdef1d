#pragma once
// Listening addresses told in words: why a server could not listen on an
// address and port, before (or after) the server library, which only says
// that it failed, tries.

#include <string>

#include <tl/expected.hpp>

namespace ttg::util {

// Binds and listens on a TCP socket at `ipv4`:`port` with SO_REUSEADDR (as a
// server does, so that connections closing in TIME_WAIT do not count), then
// closes it. Errors are a reason for people: "'x' is not an IPv4 address",
// "the port is in use", "the address is not one of this host's",
// "permission denied (a port below 1024?)", else strerror's text.
tl::expected<void, std::string> probe_listen(const std::string& ipv4, int port);

}  // namespace ttg::util

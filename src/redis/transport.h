#pragma once
// The byte stream under a Connection: a TCP or unix socket, or TLS over TCP
// (OpenSSL). Internal to src/redis; Connection speaks RESP over it.
//
// Sockets are non-blocking and every wait is a poll() bounded by a deadline,
// so time-outs hold for TLS as for plain sockets, and a signal (EINTR) only
// resumes the wait. Errors carry a reason without the server's name, which
// the caller puts in front:
//   kTimeout          the deadline passed
//   kConnection       cannot connect, the connection broke or was closed, or
//                     TLS failed (handshake, certificate, alert from the server)
//   kInvalidArgument  a TLS file cannot be read or is not what it should be

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "core/result.h"
#include "redis/options.h"
#include "util/fd.h"

namespace ttg::redis {

using Deadline = std::chrono::steady_clock::time_point;

// One open connection to a server. Not thread-safe. After any error the
// stream is unusable (its owner drops it).
class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  virtual ~Transport() = default;

  // Sends all of `data` by `deadline`.
  [[nodiscard]] virtual Status write_all(std::string_view data, Deadline deadline) = 0;
  // Receives at least one byte and at most `size` into `buffer` by
  // `deadline`; returns how many. The server closing the connection is
  // kConnection "server closed the connection".
  [[nodiscard]] virtual Result<size_t> read_some(char* buffer, size_t size, Deadline deadline) = 0;
};

// Connects to the server `options` names by `deadline`: its unix socket, or
// each address of its host in turn; then, with `options.tls`, completes the
// TLS handshake by the same deadline and checks the server's certificate.
// Options are assumed valid (Connection::connect checks them).
[[nodiscard]] Result<std::unique_ptr<Transport>> open_transport(const Options& options,
                                                                Deadline deadline);

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or has an error
// or hang-up pending, or until `deadline` (kTimeout).
[[nodiscard]] Status wait_fd(int fd, short events, Deadline deadline);

// The TLS half of open_transport (tls_transport.cc): the handshake over the
// connected TCP socket `fd`, which it takes over.
[[nodiscard]] Result<std::unique_ptr<Transport>> start_tls(util::Fd fd, const Options& options,
                                                           Deadline deadline);

}  // namespace ttg::redis

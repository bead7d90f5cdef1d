#include "redis/startup.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>

#include "redis/connection.h"

namespace ttg::redis {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// An outage, not a setting to fix (kTls, kNoAuth, kWrongPass and kProtocol
// are returned at once).
bool worth_retrying(const Error& error) {
  return error.code == ErrorCode::kConnection || error.code == ErrorCode::kTimeout;
}

// "0.3 s", "12 s".
std::string seconds_text(milliseconds ms) {
  if (ms < milliseconds(9950)) {
    auto tenths = (ms.count() + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
  }
  return std::to_string((ms.count() + 500) / 1000) + " s";
}

}  // namespace

Status wait_for_server(const Options& options, const StartupWait& wait,
                       const std::atomic<bool>& stop, const OnWaiting& on_waiting) {
  const auto start = Clock::now();
  const auto deadline = start + wait.timeout;
  util::Backoff backoff(wait.backoff);
  std::optional<Clock::time_point> last_report;
  for (;;) {
    auto conn = Connection::connect(options);
    if (conn) return {};
    const Error& error = conn.error();
    if (!worth_retrying(error)) return tl::unexpected(error);
    auto now = Clock::now();
    auto waited = std::chrono::duration_cast<milliseconds>(now - start);
    if (now >= deadline) {
      if (wait.timeout.count() == 0) return tl::unexpected(error);
      return make_error(error.code, error.message + " (tried for " + seconds_text(waited) + ")");
    }
    if (on_waiting && (!last_report || now - *last_report >= wait.report_every)) {
      on_waiting(error, waited);
      last_report = now;
    }
    // Sleep until the next try, in steps short enough to notice `stop`.
    auto next = std::min(now + backoff.next(), deadline);
    while (Clock::now() < next) {
      if (stop.load()) return make_error(ErrorCode::kCancelled, "stopped while waiting for Redis");
      std::this_thread::sleep_for(std::min<Clock::duration>(next - Clock::now(), milliseconds(50)));
    }
    if (stop.load()) return make_error(ErrorCode::kCancelled, "stopped while waiting for Redis");
  }
}

}  // namespace ttg::redis

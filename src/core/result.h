#pragma once
// Error values and Result<T>, the return type of every fallible function at a
// module boundary. No exceptions cross module boundaries.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace ttg {

// What callers act on. Keep the list short: add a code only when some caller
// needs to tell it apart from the others.
enum class ErrorCode {
  kInvalidArgument,  // bad input from a user: flag, config, spec, URL (exit 2)
  kNotFound,         // a named thing (job, file, key) does not exist
  kAlreadyExists,    // a named thing exists and was not replaced
  kTimeout,          // an I/O operation ran out of time; the connection is dead
  kConnection,       // cannot connect, or the connection broke
  kTls,              // TLS refused: certificate not trusted or for another name, client
                     // certificate missing or refused (a setting to fix, not an outage)
  kProtocol,         // the peer sent something that is not what we expected
  kRedisReply,       // Redis answered with an error reply not listed below
  kNoScript,         // Redis: NOSCRIPT (script not in the script cache)
  kBusyGroup,        // Redis: BUSYGROUP (consumer group already exists)
  kNoGroup,          // Redis: NOGROUP (stream or consumer group missing)
  kNoAuth,           // Redis: NOAUTH or NOPERM (not authenticated, or the user may not)
  kWrongPass,        // Redis: WRONGPASS / invalid password
  kIo,               // a local file or process operation failed
  kKernelFailed,     // a computation reported failure
  kCancelled,        // stopped on request (signal, cancel)
  kStale,            // the job was submitted again: the incarnation named is over
  kInternal,         // a bug: a broken invariant that is reported, not asserted
};

// A short stable name for `code`, e.g. "timeout", for logs and JSON.
std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  // Returns a copy whose message is "`context`: message".
  Error with_context(std::string_view context) const;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline Status ok() { return {}; }

// The connection that gave `error` is unusable (closed, broken, timed out,
// or TLS refused it): drop it and connect again later. The one place that
// says which codes mean that.
inline bool is_connection_failure(const Error& error) {
  return error.code == ErrorCode::kConnection || error.code == ErrorCode::kTimeout ||
         error.code == ErrorCode::kTls;
}

}  // namespace ttg

#define TTG_CONCAT_INNER(a, b) a##b
#define TTG_CONCAT(a, b) TTG_CONCAT_INNER(a, b)

// TTG_TRY(expr): evaluates a Result-returning `expr`; returns its error from
// the enclosing function if it failed.
#define TTG_TRY(expr)                                                            \
  do {                                                                           \
    auto&& ttg_try_result_ = (expr);                                             \
    if (!ttg_try_result_) {                                                      \
      return ::tl::unexpected<::ttg::Error>(std::move(ttg_try_result_).error()); \
    }                                                                            \
  } while (false)

// TTG_TRY_ASSIGN(lhs, expr): like TTG_TRY, and on success assigns the value
// to `lhs`, which may be a declaration (`auto x`). Expands to several
// statements: put it in braces under an `if`.
#define TTG_TRY_ASSIGN(lhs, expr) TTG_TRY_ASSIGN_IMPL(TTG_CONCAT(ttg_try_tmp_, __LINE__), lhs, expr)
#define TTG_TRY_ASSIGN_IMPL(tmp, lhs, expr)                        \
  auto tmp = (expr);                                               \
  if (!tmp) {                                                      \
    return ::tl::unexpected<::ttg::Error>(std::move(tmp).error()); \
  }                                                                \
  lhs = std::move(*tmp)

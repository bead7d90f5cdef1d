#pragma once
// Exit codes of `ttg`. Scripts rely on them; do not renumber.

#include "core/result.h"

namespace ttg::cli {

// Success.
inline constexpr int kExitOk = 0;
// A runtime failure: the command ran and something went wrong.
inline constexpr int kExitFailure = 1;
// Bad usage, configuration or spec: unknown command or flag, bad value.
inline constexpr int kExitUsage = 2;
// Cannot reach Redis (a TLS failure included: certificate not trusted or for
// another name, client certificate refused), the server there does not
// speak Redis, or it refused the credentials or the command (NOAUTH,
// WRONGPASS, NOPERM).
inline constexpr int kExitRedis = 3;

// The exit code for a command that fails with `error`: kInvalidArgument is
// kExitUsage; kConnection, kTls, kTimeout, kProtocol (not a Redis server), kNoAuth
// and kWrongPass are kExitRedis; everything else is kExitFailure.
inline int exit_code_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kConnection:
    case ErrorCode::kTls:
    case ErrorCode::kTimeout:
    case ErrorCode::kProtocol:
    case ErrorCode::kNoAuth:
    case ErrorCode::kWrongPass:
      return kExitRedis;
    default:
      return kExitFailure;
  }
}

}  // namespace ttg::cli

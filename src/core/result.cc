#include "core/result.h"

namespace ttg {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kConnection:
      return "connection";
    case ErrorCode::kTls:
      return "tls";
    case ErrorCode::kProtocol:
      return "protocol";
    case ErrorCode::kRedisReply:
      return "redis_reply";
    case ErrorCode::kNoScript:
      return "noscript";
    case ErrorCode::kBusyGroup:
      return "busygroup";
    case ErrorCode::kNoGroup:
      return "nogroup";
    case ErrorCode::kNoAuth:
      return "noauth";
    case ErrorCode::kWrongPass:
      return "wrongpass";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kKernelFailed:
      return "kernel_failed";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kStale:
      return "stale";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

Error Error::with_context(std::string_view context) const {
  Error e{code, std::string(context)};
  e.message += ": ";
  e.message += message;
  return e;
}

}  // namespace ttg

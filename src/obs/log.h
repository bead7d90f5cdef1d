#pragma once
// Structured logging to stderr (or a stream given for tests), on top of
// spdlog. One record is one line, in one of two formats:
//
//   text  2026-11-28T14:00:00.123Z INFO  claimed chunk job=j1 chunk=37
//   json  {"ts":"2026-11-28T14:00:00.123Z","level":"info","msg":"claimed
//   chunk","job":"j1","chunk":"37"}
//
// Times are UTC with milliseconds. In text, a field value that is empty or
// holds a space, '=', '"' or a control character is written as a quoted,
// escaped string; control characters in the message are escaped, so a record
// never spans lines. In JSON, every string is escaped (invalid UTF-8 becomes
// U+FFFD) and a field named "ts", "level" or "msg" is written as "field.ts",
// "field.level" or "field.msg" so that keys stay unique.
//
// Thread safety: every function here may be called from any thread. A record
// is written whole (no interleaving). init_logging() may run concurrently
// with logging; each record goes entirely to the old or the new destination.
//
// Before the first init_logging() call, records at info and above go to
// stderr in text format.

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ttg::obs {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

// Parses "trace", "debug", "info", "warn" (or "warning"), "error" or "off",
// in any case. Errors: kInvalidArgument naming the accepted values.
[[nodiscard]] Result<LogLevel> parse_log_level(std::string_view text);
// Parses "text" or "json", in any case. Errors: kInvalidArgument.
[[nodiscard]] Result<LogFormat> parse_log_format(std::string_view text);
// The canonical lower-case names, as accepted by the parsers.
std::string_view log_level_name(LogLevel level);
std::string_view log_format_name(LogFormat format);

struct LogOptions {
  // Lowest level written: "trace", "debug", "info", "warn", "error" or "off"
  // (see parse_log_level). Default "info".
  std::string level = "info";
  // Line format. Default kText.
  LogFormat format = LogFormat::kText;
  // Where lines go; nullptr = stderr. Borrowed: the stream must outlive every
  // log call until init_logging() or reset_logging() is called again. Writes
  // are serialised and flushed per record. Default nullptr.
  std::ostream* stream = nullptr;
};

// (name, value) pairs written after the message, in order:
// {{"job", "j1"}, {"chunk", "37"}}.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Replaces the process-wide logging configuration. Errors: kInvalidArgument
// for a bad `options.level`; the previous configuration then stays.
[[nodiscard]] Status init_logging(const LogOptions& options);

// Returns to the initial configuration: stderr, info, text. Call it before a
// stream given to init_logging() goes away.
void reset_logging();

// True when a record at `level` would be written; use it to skip building
// costly fields.
bool log_enabled(LogLevel level);

// Writes one record at `level` (kOff writes nothing).
void log(LogLevel level, std::string_view msg, const Fields& fields = {});
void log_trace(std::string_view msg, const Fields& fields = {});
void log_debug(std::string_view msg, const Fields& fields = {});
void log_info(std::string_view msg, const Fields& fields = {});
void log_warn(std::string_view msg, const Fields& fields = {});
void log_error(std::string_view msg, const Fields& fields = {});

}  // namespace ttg::obs

#include "obs/log.h"

#include <atomic>
#include <cctype>
#include <memory>
#include <ostream>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

namespace ttg::obs {

namespace {

// The time pattern shared by both formats: ISO-8601, UTC, milliseconds.
constexpr const char* kTimePattern = "%Y-%m-%dT%H:%M:%S.%eZ";

struct LevelInfo {
  LogLevel level;
  std::string_view name;
  spdlog::level::level_enum spd;
};

constexpr LevelInfo kLevels[] = {
    {LogLevel::kTrace, "trace", spdlog::level::trace},
    {LogLevel::kDebug, "debug", spdlog::level::debug},
    {LogLevel::kInfo, "info", spdlog::level::info},
    {LogLevel::kWarn, "warn", spdlog::level::warn},
    {LogLevel::kError, "error", spdlog::level::err},
    {LogLevel::kOff, "off", spdlog::level::off},
};

spdlog::level::level_enum to_spdlog(LogLevel level) {
  for (const auto& info : kLevels) {
    if (info.level == level) return info.spd;
  }
  return spdlog::level::off;
}

// Writes the record's level: "INFO " (upper case, padded to 5) in text,
// "info" in JSON. spdlog's own names ("warning", "critical") are not ours.
class LevelFlag : public spdlog::custom_flag_formatter {
 public:
  explicit LevelFlag(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name =
        format_ == LogFormat::kJson ? json_name(msg.level) : text_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>(format_);
  }

 private:
  static std::string_view text_name(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
        return "TRACE";
      case spdlog::level::debug:
        return "DEBUG";
      case spdlog::level::info:
        return "INFO ";
      case spdlog::level::warn:
        return "WARN ";
      default:
        return "ERROR";
    }
  }

  static std::string_view json_name(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
        return "trace";
      case spdlog::level::debug:
        return "debug";
      case spdlog::level::info:
        return "info";
      case spdlog::level::warn:
        return "warn";
      default:
        return "error";
    }
  }

  LogFormat format_;
};

struct State {
  std::shared_ptr<spdlog::logger> logger;
  LogFormat format;
};

std::shared_ptr<const State> make_state(spdlog::level::level_enum level, LogFormat format,
                                        std::ostream* stream) {
  spdlog::sink_ptr sink;
  if (stream != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream, /*force_flush=*/true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  // In JSON the payload is the rest of the object ("msg":..., fields), so the
  // pattern only has to open it and add ts and level.
  std::string pattern = format == LogFormat::kJson
                            ? std::string("{\"ts\":\"") + kTimePattern + "\",\"level\":\"%*\",%v}"
                            : std::string(kTimePattern) + " %* %v";
  auto formatter =
      std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "\n");
  formatter->add_flag<LevelFlag>('*', format).set_pattern(pattern);
  sink->set_formatter(std::move(formatter));
  // Not registered with spdlog's registry: this logger is ours alone, and
  // replacing it must not clash with a name registered elsewhere.
  auto logger = std::make_shared<spdlog::logger>("ttg", std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  return std::make_shared<const State>(State{std::move(logger), format});
}

std::atomic<std::shared_ptr<const State>>& current() {
  static std::atomic<std::shared_ptr<const State>> state(
      make_state(spdlog::level::info, LogFormat::kText, nullptr));
  return state;
}

// `text` lower-cased with blanks removed, for matching names.
std::string normalise(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '=' || c == '"' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

void append_message(std::string& out, std::string_view msg) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : msg) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
}

std::string text_payload(std::string_view msg, const Fields& fields) {
  std::string out;
  append_message(out, msg);
  for (const auto& [name, value] : fields) {
    out += ' ';
    append_message(out, name);
    out += '=';
    if (needs_quotes(value)) {
      out += json_string(value);
    } else {
      out += value;
    }
  }
  return out;
}

std::string json_payload(std::string_view msg, const Fields& fields) {
  std::string out = "\"msg\":" + json_string(msg);
  for (const auto& [name, value] : fields) {
    bool reserved = name == "ts" || name == "level" || name == "msg";
    out += ',';
    out += json_string(reserved ? "field." + name : name);
    out += ':';
    out += json_string(value);
  }
  return out;
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view text) {
  std::string lower = normalise(text);
  if (lower == "warning") return LogLevel::kWarn;
  for (const auto& info : kLevels) {
    if (info.name == lower) return info.level;
  }
  return make_error(
      ErrorCode::kInvalidArgument,
      "expected one of trace, debug, info, warn, error, off; got '" + std::string(text) + "'");
}

Result<LogFormat> parse_log_format(std::string_view text) {
  std::string lower = normalise(text);
  if (lower == "text") return LogFormat::kText;
  if (lower == "json") return LogFormat::kJson;
  return make_error(ErrorCode::kInvalidArgument,
                    "expected text or json, got '" + std::string(text) + "'");
}

std::string_view log_level_name(LogLevel level) {
  for (const auto& info : kLevels) {
    if (info.level == level) return info.name;
  }
  return "off";
}

std::string_view log_format_name(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

Status init_logging(const LogOptions& options) {
  auto level = parse_log_level(options.level);
  if (!level) return tl::unexpected(level.error().with_context("log level"));
  current().store(make_state(to_spdlog(*level), options.format, options.stream));
  return ok();
}

void reset_logging() {
  current().store(make_state(spdlog::level::info, LogFormat::kText, nullptr));
}

bool log_enabled(LogLevel level) {
  return level != LogLevel::kOff && current().load()->logger->should_log(to_spdlog(level));
}

void log(LogLevel level, std::string_view msg, const Fields& fields) {
  if (level == LogLevel::kOff) return;
  std::shared_ptr<const State> state = current().load();
  spdlog::level::level_enum spd = to_spdlog(level);
  if (!state->logger->should_log(spd)) return;
  std::string payload =
      state->format == LogFormat::kJson ? json_payload(msg, fields) : text_payload(msg, fields);
  // The source_loc overload takes the text as it is; the others would parse
  // it as a fmt format string.
  state->logger->log(spdlog::source_loc{}, spd,
                     spdlog::string_view_t(payload.data(), payload.size()));
}

void log_trace(std::string_view msg, const Fields& fields) { log(LogLevel::kTrace, msg, fields); }
void log_debug(std::string_view msg, const Fields& fields) { log(LogLevel::kDebug, msg, fields); }
void log_info(std::string_view msg, const Fields& fields) { log(LogLevel::kInfo, msg, fields); }
void log_warn(std::string_view msg, const Fields& fields) { log(LogLevel::kWarn, msg, fields); }
void log_error(std::string_view msg, const Fields& fields) { log(LogLevel::kError, msg, fields); }

}  // namespace ttg::obs

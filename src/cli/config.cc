#include "cli/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <set>
#include <thread>

#include "core/job.h"
#include "obs/metrics.h"
#include "util/file.h"
#include "util/strings.h"
#include "util/syntax_error.h"

namespace ttg::cli {

namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

Status invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// `text` in quotes for an error message, cut short if long. Only used for
// values that are not secret.
std::string quote_text(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() > kMax) return "'" + std::string(text.substr(0, kMax)) + "...'";
  return "'" + std::string(text) + "'";
}

// Parses an integer in [`min`, `max`]. Messages say "positive" or
// "non-negative" when that is the whole rule, else give the bound.
Result<int64_t> parse_bounded(std::string_view text, int64_t min, int64_t max) {
  std::string_view what = min >= 1   ? "a positive integer"
                          : min == 0 ? "a non-negative integer"
                                     : "an integer";
  auto value = util::parse_int(util::trim(text));
  if (!value) {
    return make_error(ErrorCode::kInvalidArgument,
                      "expected " + std::string(what) + ", got " + quote_text(text));
  }
  if (*value < min) {
    if (min <= 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "expected " + std::string(what) + ", got " + quote_text(text));
    }
    return make_error(ErrorCode::kInvalidArgument, "must be at least " + std::to_string(min));
  }
  if (*value > max) {
    return make_error(ErrorCode::kInvalidArgument, "must be at most " + std::to_string(max));
  }
  return *value;
}

template <class T>
ApplyFn integer(T Settings::*member, int64_t min, int64_t max) {
  return [member, min, max](std::string_view text, Settings& s) -> Status {
    TTG_TRY_ASSIGN(int64_t value, parse_bounded(text, min, max));
    s.*member = static_cast<T>(value);
    return ok();
  };
}

// An integer given in seconds for a field held in milliseconds.
ApplyFn seconds_as_ms(int64_t Settings::*member, int64_t min_seconds, int64_t max_seconds) {
  return [member, min_seconds, max_seconds](std::string_view text, Settings& s) -> Status {
    TTG_TRY_ASSIGN(int64_t value, parse_bounded(text, min_seconds, max_seconds));
    s.*member = value * 1000;
    return ok();
  };
}

ApplyFn string(std::string Settings::*member) {
  return [member](std::string_view text, Settings& s) -> Status {
    s.*member = std::string(text);
    return ok();
  };
}

template <class T>
std::function<std::string(const Settings&)> show_integer(T Settings::*member) {
  return [member](const Settings& s) { return std::to_string(s.*member); };
}

std::function<std::string(const Settings&)> show_string(std::string Settings::*member) {
  return [member](const Settings& s) { return s.*member; };
}

Status apply_redis_url(std::string_view text, Settings& s) {
  // An empty variable counts as unset and never gets here; an empty flag or
  // file value would silently mean redis_host:redis_port.
  if (text.empty()) return invalid("empty Redis URL");
  // Checked now so that the error names its source; parse_url's messages
  // never contain the password.
  auto parsed = redis::parse_url(text);
  if (!parsed) return tl::unexpected(parsed.error());
  s.redis_url = std::string(text);
  return ok();
}

// A name that goes into Redis as a consumer name, into every result and into
// log lines: at most kMaxNameBytes, without control characters (a newline
// would forge a log line).
ApplyFn printable_name(std::string Settings::*member) {
  return [member](std::string_view text, Settings& s) -> Status {
    if (text.size() > kMaxNameBytes) {
      return invalid("must be at most " + std::to_string(kMaxNameBytes) + " bytes, got " +
                     std::to_string(text.size()));
    }
    for (size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x20 || c == 0x7f) {
        return invalid("control character at byte " + std::to_string(i + 1));
      }
    }
    // Consumer names starting "ttg:" are the queue's own (docs/PROTOCOL.md).
    if (text.rfind("ttg:", 0) == 0) return invalid("names starting with 'ttg:' are reserved");
    s.*member = std::string(text);
    return ok();
  };
}

// A positive integer up to kMaxChunkSize, or "auto" (kAutoChunkSize).
Status apply_chunk_size(std::string_view text, Settings& s) {
  if (util::trim(text) == "auto") {
    s.chunk_size = kAutoChunkSize;
    return ok();
  }
  auto value = parse_bounded(text, 1, kMaxChunkSize);
  if (!value) {
    if (value.error().message.rfind("expected", 0) == 0) {
      return invalid("expected a positive integer or auto, got " + quote_text(text));
    }
    return tl::unexpected(value.error());
  }
  s.chunk_size = *value;
  return ok();
}

std::string show_chunk_size(const Settings& s) {
  return s.chunk_size == kAutoChunkSize ? "auto" : std::to_string(s.chunk_size);
}

Status apply_log_level(std::string_view text, Settings& s) {
  TTG_TRY_ASSIGN(obs::LogLevel level, obs::parse_log_level(text));
  s.log_level = std::string(obs::log_level_name(level));
  return ok();
}

Status apply_metrics_bind(std::string_view text, Settings& s) {
  TTG_TRY(obs::check_bind_address(util::trim(text)));
  s.metrics_bind = std::string(util::trim(text));
  return ok();
}

Status apply_log_format(std::string_view text, Settings& s) {
  TTG_TRY_ASSIGN(s.log_format, obs::parse_log_format(text));
  return ok();
}

std::vector<KeyInfo> build_table() {
  using S = Settings;
  using K = ValueKind;
  constexpr Secrecy kPlain = Secrecy::kPlain;
  std::vector<KeyInfo> t;
  t.push_back({"config",
               "",
               {{"TTG_CONFIG", nullptr}},
               "--config",
               "FILE",
               "Read settings from this YAML file (key: value)",
               K::kString,
               kPlain,
               string(&S::config),
               show_string(&S::config)});
  t.push_back({"redis_url",
               "redis_url",
               {{"TTG_REDIS_URL", nullptr}},
               "--redis",
               "URL",
               "Redis server: redis://[user[:password]@]host[:port][/db], rediss://... (TLS) or "
               "unix:///path.sock (default redis://127.0.0.1:6379, or REDIS_HOST and REDIS_PORT)",
               K::kString,
               kPlain,
               apply_redis_url,
               [](const S& s) { return redact_url(s.redis_url); }});
  t.push_back({"redis_host",
               "redis_host",
               {{"REDIS_HOST", nullptr}},
               "",
               "HOST",
               "Redis host when no URL is given (default 127.0.0.1)",
               K::kString,
               kPlain,
               string(&S::redis_host),
               show_string(&S::redis_host)});
  t.push_back({"redis_port",
               "redis_port",
               {{"REDIS_PORT", nullptr}},
               "",
               "PORT",
               "Redis port when no URL is given (default 6379)",
               K::kInteger,
               kPlain,
               integer(&S::redis_port, 1, 65535),
               show_integer(&S::redis_port)});
  t.push_back({"redis_user",
               "redis_user",
               {{"TTG_REDIS_USER", nullptr}},
               "--redis-user",
               "NAME",
               "Redis ACL user; overrides the URL's (default: the URL's, else Redis's default "
               "user)",
               K::kString,
               kPlain,
               printable_name(&S::redis_user),
               show_string(&S::redis_user)});
  t.push_back({"redis_password_file",
               "redis_password_file",
               {{"TTG_REDIS_PASSWORD_FILE", nullptr}},
               "--redis-password-file",
               "FILE",
               "Read the Redis password from this file (default: none)",
               K::kString,
               kPlain,
               string(&S::redis_password_file),
               show_string(&S::redis_password_file)});
  t.push_back({"redis_password",
               "",
               {{"TTG_REDIS_PASSWORD", nullptr}},
               "",
               "PASSWORD",
               "Redis password; environment only (default: none)",
               K::kString,
               Secrecy::kSecret,
               string(&S::redis_password),
               [](const S& s) { return s.redis_password.empty() ? "" : "***"; }});
  t.push_back({"redis_ca",
               "redis_ca",
               {{"TTG_REDIS_CA", nullptr}},
               "--redis-ca",
               "FILE",
               "With rediss://: trust the CA certificates of this PEM file (default: the "
               "system's)",
               K::kString,
               kPlain,
               string(&S::redis_ca),
               show_string(&S::redis_ca)});
  t.push_back({"redis_cert",
               "redis_cert",
               {{"TTG_REDIS_CERT", nullptr}},
               "--redis-cert",
               "FILE",
               "With rediss://: client certificate (PEM) for servers that require one (default: "
               "none)",
               K::kString,
               kPlain,
               string(&S::redis_cert),
               show_string(&S::redis_cert)});
  t.push_back({"redis_key",
               "redis_key",
               {{"TTG_REDIS_KEY", nullptr}},
               "--redis-key",
               "FILE",
               "With rediss://: the client certificate's key (PEM, not encrypted) (default: none)",
               K::kString,
               kPlain,
               string(&S::redis_key),
               show_string(&S::redis_key)});
  t.push_back({"job",
               "job",
               {{"TTG_JOB", nullptr}},
               "--job",
               "NAME",
               "Job name (default: none)",
               K::kString,
               kPlain,
               string(&S::job),
               show_string(&S::job)});
  t.push_back({"total_parameters",
               "total_parameters",
               {{"TOTAL_PARAMETERS", nullptr}},
               "--params",
               "N",
               "Parameters in the sweep, 0..N-1 (default: none)",
               K::kInteger,
               kPlain,
               integer(&S::total_parameters, 1, kMaxInt64),
               show_integer(&S::total_parameters)});
  t.push_back({"chunk_size",
               "chunk_size",
               {{"CHUNK_SIZE", nullptr}, {"BATCH_SIZE", nullptr}},
               "--chunk-size",
               "N|auto",
               "Parameters per chunk, or auto: ttg submit times the kernel and chooses (10 for "
               "kernels exec and faulty, and for worker --static) (default auto)",
               K::kInteger,
               kPlain,
               apply_chunk_size,
               show_chunk_size});
  t.push_back({"idle_timeout_seconds",
               "idle_timeout_seconds",
               {{"IDLE_TIMEOUT_SECONDS", nullptr}},
               "--idle-timeout",
               "SECONDS",
               "Exit after this long without a chunk to compute; 0 = never (default 30)",
               K::kInteger,
               kPlain,
               integer(&S::idle_timeout_seconds, 0, kMaxInt),
               show_integer(&S::idle_timeout_seconds)});
  t.push_back({"lease_ms",
               "lease_ms",
               {{"TTG_LEASE_MS", nullptr}, {"STALE_THRESHOLD_MS", nullptr}},
               "--lease-ms",
               "MS",
               "A claimed chunk unacknowledged for this long may be reclaimed (default 10000)",
               K::kInteger,
               kPlain,
               integer(&S::lease_ms, 100, kDayMs),
               show_integer(&S::lease_ms)});
  t.push_back(
      {"reclaim_interval_ms",
       "reclaim_interval_ms",
       {{"TTG_RECLAIM_INTERVAL_MS", nullptr},
        {"STALE_CHECK_INTERVAL_SECONDS", seconds_as_ms(&S::reclaim_interval_ms, 1, kDayMs / 1000)}},
       "--reclaim-interval-ms",
       "MS",
       "Mean interval between scans for expired leases, jittered +-50% (default 1000, or lease_ms "
       "/ 3 if less)",
       K::kInteger,
       kPlain,
       integer(&S::reclaim_interval_ms, 10, kDayMs),
       show_integer(&S::reclaim_interval_ms)});
  t.push_back({"simulate_work_ms",
               "simulate_work_ms",
               {{"SIMULATE_WORK_MS", nullptr}},
               "--work-ms",
               "MS",
               "Simulated work per parameter for the placeholder kernel (default 100)",
               K::kInteger,
               kPlain,
               integer(&S::simulate_work_ms, 0, kDayMs),
               show_integer(&S::simulate_work_ms)});
  t.push_back({"worker_id",
               "worker_id",
               {{"WORKER_ID", nullptr}},
               "--worker-id",
               "ID",
               "This worker's consumer name (default: POD_NAME, else HOST-PID)",
               K::kString,
               kPlain,
               printable_name(&S::worker_id),
               show_string(&S::worker_id)});
  t.push_back({"pod_name",
               "pod_name",
               {{"POD_NAME", nullptr}},
               "",
               "NAME",
               "Kubernetes pod name, for logs (default: none)",
               K::kString,
               kPlain,
               printable_name(&S::pod_name),
               show_string(&S::pod_name)});
  t.push_back({"node_name",
               "node_name",
               {{"NODE_NAME", nullptr}},
               "",
               "NAME",
               "Kubernetes node name, for logs (default: none)",
               K::kString,
               kPlain,
               printable_name(&S::node_name),
               show_string(&S::node_name)});
  t.push_back({"threads",
               "threads",
               {{"TTG_THREADS", nullptr}},
               "--threads",
               "N",
               "Worker threads (default: number of cores)",
               K::kInteger,
               kPlain,
               integer(&S::threads, 1, 4096),
               show_integer(&S::threads)});
  t.push_back({"claim_ahead_ms",
               "claim_ahead_ms",
               {{"TTG_CLAIM_AHEAD_MS", nullptr}},
               "--claim-ahead-ms",
               "MS",
               "Claim chunks ahead for each thread, up to this much work by their measured time "
               "(at most a tenth of the lease); 0 = only for free threads (default 50)",
               K::kInteger,
               kPlain,
               integer(&S::claim_ahead_ms, 0, kDayMs),
               show_integer(&S::claim_ahead_ms)});
  t.push_back({"max_attempts",
               "max_attempts",
               {{"TTG_MAX_ATTEMPTS", nullptr}},
               "--max-attempts",
               "N",
               "Attempts per chunk before it is marked failed (default 3)",
               K::kInteger,
               kPlain,
               integer(&S::max_attempts, 1, 1000),
               show_integer(&S::max_attempts)});
  t.push_back({"drain_timeout_seconds",
               "drain_timeout_seconds",
               {{"TTG_DRAIN_TIMEOUT", nullptr}},
               "--drain-timeout",
               "SECONDS",
               "On SIGTERM, time allowed for running chunks to finish (default 30)",
               K::kInteger,
               kPlain,
               integer(&S::drain_timeout_seconds, 0, kMaxInt),
               show_integer(&S::drain_timeout_seconds)});
  t.push_back({"connect_timeout_seconds",
               "connect_timeout_seconds",
               {{"TTG_CONNECT_TIMEOUT", nullptr}},
               "--connect-timeout",
               "SECONDS",
               "At start-up, keep trying to reach Redis this long; 0 = try once (default 60)",
               K::kInteger,
               kPlain,
               integer(&S::connect_timeout_seconds, 0, kDayMs / 1000),
               show_integer(&S::connect_timeout_seconds)});
  t.push_back({"log_level",
               "log_level",
               {{"LOG_LEVEL", nullptr}},
               "--log-level",
               "LEVEL",
               "trace, debug, info, warn, error or off (default info)",
               K::kString,
               kPlain,
               apply_log_level,
               show_string(&S::log_level)});
  t.push_back({"log_format",
               "log_format",
               {{"LOG_FORMAT", nullptr}},
               "--log-format",
               "FORMAT",
               "Log lines as text or json (default text)",
               K::kString,
               kPlain,
               apply_log_format,
               [](const S& s) { return std::string(obs::log_format_name(s.log_format)); }});
  t.push_back({"metrics_port",
               "metrics_port",
               {{"TTG_METRICS_PORT", nullptr}},
               "--metrics-port",
               "PORT",
               "Serve /metrics, /healthz and /readyz on this port; 0 = off (default 0)",
               K::kInteger,
               kPlain,
               integer(&S::metrics_port, 0, 65535),
               show_integer(&S::metrics_port)});
  t.push_back({"metrics_bind",
               "metrics_bind",
               {{"TTG_METRICS_BIND", nullptr}},
               "--metrics-bind",
               "ADDR",
               "IPv4 address of the metrics endpoint; 0.0.0.0 for every interface (default "
               "127.0.0.1)",
               K::kString,
               kPlain,
               apply_metrics_bind,
               show_string(&S::metrics_bind)});
  return t;
}

// A key as people mistype it: lower case without '_' or '-'.
std::string loose(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const KeyInfo* find_yaml_key(std::string_view name) {
  for (const auto& info : settings_table()) {
    if (!info.yaml.empty() && info.yaml == name) return &info;
  }
  return nullptr;
}

Status apply_text(Settings& s, const KeyInfo& info, const ApplyFn& apply, std::string_view text,
                  Source source) {
  Status st = apply(text, s);
  if (!st) return invalid(source.label() + ": " + st.error().message);
  s.sources.insert_or_assign(std::string(info.key), std::move(source));
  return ok();
}

Status unknown_file_key(const std::string& where, const std::string& key) {
  if (const KeyInfo* info = find_key(key); info != nullptr && info->yaml.empty()) {
    std::string how = info->env.empty() ? "" : " (use " + std::string(info->env[0].name) + ")";
    return invalid(where + ": '" + key + "' cannot be set in a config file" + how);
  }
  std::string message = where + ": unknown key " + quote_text(key);
  for (const auto& info : settings_table()) {
    if (!info.yaml.empty() && loose(info.yaml) == loose(key)) {
      message += " (did you mean '" + std::string(info.yaml) + "'?)";
      break;
    }
  }
  return invalid(message);
}

std::string mark_prefix(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path;
  return path + ":" + std::to_string(mark.line + 1);
}

Status apply_yaml(Settings& s, const std::string& text, const std::string& path) {
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return ok();  // an empty file sets nothing
    if (!root.IsMap())
      return invalid(mark_prefix(path, root.Mark()) + ": expected key: value lines");
    std::map<std::string, int> seen;  // key -> line
    // Dereferencing a yaml-cpp iterator yields a temporary pair: take it by
    // value, not through `it->`.
    for (const auto& entry : root) {
      const YAML::Node key_node = entry.first;
      const YAML::Node value = entry.second;
      std::string where = mark_prefix(path, key_node.Mark());
      if (!key_node.IsScalar()) return invalid(where + ": expected a key name");
      std::string key = key_node.Scalar();
      const KeyInfo* info = find_yaml_key(key);
      if (info == nullptr) return unknown_file_key(where, key);
      int line = key_node.Mark().line + 1;
      if (auto [prev, fresh] = seen.emplace(key, line); !fresh) {
        return invalid(where + ": '" + key + "' is already set on line " +
                       std::to_string(prev->second));
      }
      if (value.IsNull()) return invalid(where + ": '" + key + "' has no value");
      if (!value.IsScalar()) return invalid(where + ": '" + key + "' needs a single value");
      TTG_TRY(apply_text(s, *info, info->apply, value.Scalar(), Source{SourceKind::kFile, where}));
    }
    return ok();
  } catch (const YAML::Exception& e) {
    // In plain words, on the mistake's line; never quoting the document.
    util::SyntaxError why = util::explain_yaml_error(text, e.msg, e.mark.line, e.mark.column);
    return invalid(path + ":" + std::to_string(why.line) + ": " + why.message);
  }
}

Status apply_file(Settings& s, const std::string& path, const Source& from) {
  auto text = util::read_file(path, kMaxConfigFileBytes);
  if (!text) {
    return invalid(from.label() + ": cannot read " + quote_text(path) + ": " + text.error());
  }
  return apply_yaml(s, *text, path);
}

Status apply_env(Settings& s, const Environment& env) {
  for (const auto& info : settings_table()) {
    for (const auto& var : info.env) {
      auto value = env(var.name);
      if (!value || value->empty()) continue;
      TTG_TRY(apply_text(s, info, var.apply ? var.apply : info.apply, *value,
                         Source{SourceKind::kEnv, std::string(var.name)}));
      break;
    }
  }
  return ok();
}

// Puts the TLS files of `settings` into `options`, after checking that they
// go with a rediss:// URL, come as a pair (certificate and key) and can be
// read. The redis module parses them when it connects.
Status apply_tls_files(const Settings& settings, redis::Options& options) {
  struct File {
    const char* key;
    const std::string& path;
    std::string& field;
  };
  const File files[] = {{"redis_ca", settings.redis_ca, options.tls_ca_file},
                        {"redis_cert", settings.redis_cert, options.tls_cert_file},
                        {"redis_key", settings.redis_key, options.tls_key_file}};
  for (const File& f : files) {
    if (f.path.empty()) continue;
    const std::string label = settings.source(f.key).label();
    if (!options.tls) {
      return invalid(label + ": TLS files need a rediss:// URL (Redis is " +
                     redis::describe(options) + ")");
    }
    auto text = util::read_file(f.path, redis::kMaxTlsFileBytes);
    if (!text) return invalid(label + ": cannot read " + quote_text(f.path) + ": " + text.error());
    f.field = f.path;
  }
  if (settings.redis_cert.empty() != settings.redis_key.empty()) {
    const char* given = settings.redis_cert.empty() ? "redis_key" : "redis_cert";
    return invalid(settings.source(given).label() +
                   ": a client certificate and its key go together (--redis-cert and "
                   "--redis-key)");
  }
  return ok();
}

}  // namespace

std::string Source::label() const {
  switch (kind) {
    case SourceKind::kDefault:
      return "default";
    case SourceKind::kFile:
    case SourceKind::kEnv:
    case SourceKind::kFlag:
      return where;
  }
  return where;
}

std::string Source::describe() const {
  switch (kind) {
    case SourceKind::kDefault:
      return where.empty() ? "default" : "default (" + where + ")";
    case SourceKind::kFile:
      return "file " + where;
    case SourceKind::kEnv:
      return "env " + where;
    case SourceKind::kFlag:
      return "flag " + where;
  }
  return where;
}

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

const Source& Settings::source(std::string_view key) const {
  static const Source kDefaultSource;
  auto it = sources.find(key);
  return it == sources.end() ? kDefaultSource : it->second;
}

const std::vector<KeyInfo>& settings_table() {
  static const std::vector<KeyInfo> table = build_table();
  return table;
}

const KeyInfo* find_key(std::string_view key) {
  for (const auto& info : settings_table()) {
    if (info.key == key) return &info;
  }
  return nullptr;
}

std::string show_value(const Settings& settings, const KeyInfo& info) {
  return info.show(settings);
}

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Environment fixed_environment(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Settings> load_settings(const Environment& env, const std::vector<FlagValue>& flags) {
  Settings s;
  const KeyInfo& config_key = *find_key("config");
  std::optional<Source> config_from;
  std::string config_path;
  for (const auto& flag : flags) {
    if (flag.key == config_key.key) {
      config_path = flag.text;
      config_from = Source{SourceKind::kFlag, flag.flag};
    }
  }
  if (!config_from) {
    for (const auto& var : config_key.env) {
      auto value = env(var.name);
      if (value && !value->empty()) {
        config_path = *value;
        config_from = Source{SourceKind::kEnv, std::string(var.name)};
        break;
      }
    }
  }
  if (config_from && !config_path.empty()) {
    TTG_TRY(apply_file(s, config_path, *config_from));
  }
  TTG_TRY(apply_env(s, env));
  for (const auto& flag : flags) {
    const KeyInfo* info = find_key(flag.key);
    if (info == nullptr) {
      return make_error(ErrorCode::kInternal,
                        "flag " + flag.flag + " sets unknown key '" + flag.key + "'");
    }
    TTG_TRY(apply_text(s, *info, info->apply, flag.text, Source{SourceKind::kFlag, flag.flag}));
  }
  if (s.source("reclaim_interval_ms").kind == SourceKind::kDefault) {
    s.reclaim_interval_ms = std::max<int64_t>(std::min<int64_t>(1000, s.lease_ms / 3), 10);
    s.sources.insert_or_assign("reclaim_interval_ms",
                               Source{SourceKind::kDefault, "min(1000, lease_ms / 3)"});
  }
  return s;
}

Result<std::string> read_password_file(const std::string& path, const Source& from) {
  auto text = util::read_file(path, kMaxPasswordFileBytes);
  if (!text) {
    return make_error(ErrorCode::kInvalidArgument, from.label() + ": cannot read password file " +
                                                       quote_text(path) + ": " + text.error());
  }
  std::string password = std::move(*text);
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      from.label() + ": password file " + quote_text(path) + " is empty");
  }
  return password;
}

Result<redis::Options> redis_options(const Settings& settings) {
  redis::Options options;
  if (!settings.redis_url.empty()) {
    auto parsed = redis::parse_url(settings.redis_url);
    if (!parsed) {
      return make_error(ErrorCode::kInvalidArgument,
                        settings.source("redis_url").label() + ": " + parsed.error().message);
    }
    options = std::move(*parsed);
  } else {
    options.host = settings.redis_host;
    options.port = settings.redis_port;
  }
  bool from_env = !settings.redis_password.empty();
  bool from_file = !settings.redis_password_file.empty();
  if (from_env && from_file) {
    return make_error(ErrorCode::kInvalidArgument,
                      settings.source("redis_password").label() + " and " +
                          settings.source("redis_password_file").label() +
                          ": two Redis passwords given; set only one");
  }
  if (!settings.redis_user.empty()) options.user = settings.redis_user;
  if (from_env) options.password = settings.redis_password;
  if (from_file) {
    TTG_TRY_ASSIGN(options.password, read_password_file(settings.redis_password_file,
                                                        settings.source("redis_password_file")));
  }
  TTG_TRY(apply_tls_files(settings, options));
  return options;
}

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::string_view rest = url.substr(start);
  std::string_view authority = rest.substr(0, rest.find('/'));
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = authority.substr(0, at);
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) {
    // Without a scheme we cannot tell a user name from a password.
    if (scheme_end != std::string_view::npos) return std::string(url);
    return "***" + std::string(url.substr(at));
  }
  return std::string(url.substr(0, start + colon + 1)) + "***" +
         std::string(url.substr(start + at));
}

}  // namespace ttg::cli

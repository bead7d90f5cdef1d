#pragma once
// Configuration of every `ttg` command: the Settings struct, and the one
// table (settings_table()) that maps each key to its config-file name,
// environment variables, flag, help line and parser.
//
// Layers, lowest first: defaults < config file < environment < flags.
//   - The config file is named by --config or TTG_CONFIG (the flag wins). It
//     is a YAML mapping of `key: value` with the keys of settings_table().
//   - Environment and file apply to every key. Each command chooses which
//     keys it exposes as flags (see cli/commands.h).
//   - An environment variable set to the empty string counts as unset. When a
//     key has several variables (CHUNK_SIZE, BATCH_SIZE), the first one set,
//     in table order, is used.
// Every value remembers where it came from (Settings::source()).
//
// Errors are kInvalidArgument and start with the source of the bad value:
//   ttg.yaml:12: unknown key 'chunksize'
//   CHUNK_SIZE: expected a positive integer, got 'abc'
//   --lease-ms: must be at least 100
// No error message, and no value shown by show_value(), ever contains a
// password: the Redis password is shown as "***", as is the password part
// of a Redis URL.
//
// Files are read up to a limit (docs/ARCHITECTURE.md, "Limits"): a config
// file of kMaxConfigFileBytes, a password file of kMaxPasswordFileBytes; a
// longer or endless one (/dev/zero) is "--config: cannot read 'x': larger
// than 1 MiB".

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "obs/log.h"
#include "redis/options.h"

namespace ttg::cli {

// The largest config file read: 1 MiB.
inline constexpr size_t kMaxConfigFileBytes = size_t{1} << 20;
// The longest worker_id, pod_name or node_name, in bytes.
inline constexpr size_t kMaxNameBytes = 256;
// The largest password file read: 64 KiB.
inline constexpr size_t kMaxPasswordFileBytes = size_t{64} << 10;

enum class SourceKind { kDefault, kFile, kEnv, kFlag };

// Where a setting's value came from.
struct Source {
  SourceKind kind = SourceKind::kDefault;
  // kFile: "path:line"; kEnv: the variable name; kFlag: the flag ("--lease-ms");
  // kDefault: empty, or how the default was derived ("min(1000, lease_ms / 3)").
  std::string where;

  // The prefix of error messages about this value: "ttg.yaml:12",
  // "CHUNK_SIZE", "--lease-ms", or "default".
  std::string label() const;
  // For people: "default", "default (min(1000, lease_ms / 3))", "file ttg.yaml:12",
  // "env CHUNK_SIZE", "flag --lease-ms".
  std::string describe() const;
};

// The number of hardware threads, at least 1.
int hardware_threads();

// Every configuration value of `ttg`. A default-constructed Settings holds
// the defaults. Key names (settings_table()) are the field names.
struct Settings {
  // Config file that was read (--config, TTG_CONFIG). Default empty = none.
  std::string config;
  // Redis server: redis://[user[:password]@]host[:port][/db], the same with
  // rediss:// for TLS, or unix:///path.sock[?db=N]. When set it wins over
  // redis_host and redis_port. Default empty.
  std::string redis_url;
  // Redis host, used when redis_url is empty. Default "127.0.0.1".
  std::string redis_host = "127.0.0.1";
  // Redis port, used when redis_url is empty. Default 6379.
  int redis_port = 6379;
  // The Redis ACL user (TTG_REDIS_USER, --redis-user). Overrides the URL's,
  // so that one URL serves every role. Default empty = the URL's user, else
  // Redis's default user.
  std::string redis_user;
  // A file holding the Redis password (one trailing newline is stripped).
  // Default empty.
  std::string redis_password_file;
  // The Redis password; only from TTG_REDIS_PASSWORD (never a flag, which
  // `ps` would show, nor a file key). Overrides the URL's. Default empty.
  std::string redis_password;
  // With a rediss:// URL: PEM file of the CA certificates that the server's
  // certificate must chain to. Default empty = the system's trust store.
  std::string redis_ca;
  // With a rediss:// URL: PEM files of a client certificate and its
  // (unencrypted) key, for servers that require one. Both or neither.
  // Default empty.
  std::string redis_cert;
  std::string redis_key;
  // Job name. Default empty; commands that need a job say so.
  std::string job;
  // Parameters in a sweep (0..N-1). Default 0 = not given.
  int64_t total_parameters = 0;
  // Parameters per chunk, 1 to kMaxChunkSize (core/job.h), or
  // kAutoChunkSize ("auto"): `ttg submit` times the kernel and chooses
  // (sizing/chunk_size.h); other commands take sizing::kFixedChunkSize.
  // Default auto.
  int64_t chunk_size = kAutoChunkSize;
  // A worker exits after this long without a chunk to compute; 0 = never.
  // Default 30.
  int64_t idle_timeout_seconds = 30;
  // How long a claimed chunk may go unacknowledged before another worker may
  // reclaim it. At least 100. Default 10000.
  int64_t lease_ms = 10000;
  // Mean interval between a worker's scans for expired leases (jittered
  // +-50%). At least 10. Default min(1000, lease_ms / 3), derived by
  // load_settings() unless set.
  int64_t reclaim_interval_ms = 1000;
  // Simulated work per parameter of the built-in placeholder kernel.
  // Default 100.
  int64_t simulate_work_ms = 100;
  // This worker's name in the consumer group: at most kMaxNameBytes, no
  // control characters (as pod_name and node_name). Default empty = the
  // worker makes one up.
  std::string worker_id;
  // Kubernetes pod and node names, for logs and results. Default empty.
  std::string pod_name;
  std::string node_name;
  // Worker threads per process. Default hardware_threads().
  int threads = hardware_threads();
  // Queued work per worker thread that claim ahead allows (by the measured
  // chunk time; at most a tenth of the lease); 0 = off. Default 50.
  int64_t claim_ahead_ms = 50;
  // Attempts per chunk before it is set aside as failed. Default 3.
  int max_attempts = 3;
  // On SIGTERM, time allowed for running chunks to finish. Default 30.
  int64_t drain_timeout_seconds = 30;
  // How long a worker keeps trying to reach Redis at start-up (an address
  // that refuses or does not answer), in seconds; 0 = one try. At most a
  // day. Default 60.
  int64_t connect_timeout_seconds = 60;
  // Lowest level logged; a canonical name from obs::log_level_name().
  // Default "info".
  std::string log_level = "info";
  // Log line format. Default text.
  obs::LogFormat log_format = obs::LogFormat::kText;
  // Port of the Prometheus /metrics endpoint; 0 = off. Default 0.
  int metrics_port = 0;
  // The address that endpoint listens on: an IPv4 address, 0.0.0.0 for
  // every interface. Default 127.0.0.1: this host only.
  std::string metrics_bind = "127.0.0.1";

  // Where each value came from, by key; a key missing here has its default.
  std::map<std::string, Source, std::less<>> sources;

  // The source of `key`'s value (a default Source if it was never set).
  const Source& source(std::string_view key) const;
};

// Parses `text` into its key's field of `settings`. The error message does
// not name the source; the caller prefixes it.
using ApplyFn = std::function<Status(std::string_view text, Settings& settings)>;

// An environment variable that sets a key.
struct EnvVar {
  std::string_view name;
  // Parser for this variable when it differs from the key's (another unit,
  // as STALE_CHECK_INTERVAL_SECONDS); null = the key's parser.
  ApplyFn apply;
};

enum class ValueKind { kString, kInteger };
enum class Secrecy { kPlain, kSecret };

// One row of the settings table.
struct KeyInfo {
  // The field name, as shown by `ttg config`.
  std::string_view key;
  // Name in a config file; empty = cannot be set from a file.
  std::string_view yaml;
  // Environment variables, highest priority first; may be empty.
  std::vector<EnvVar> env;
  // Flag ("--lease-ms"); empty = never a flag.
  std::string_view flag;
  // Placeholder for the value in help ("MS", "URL").
  std::string_view value_name;
  // One line for help, ending with the default.
  std::string_view help;
  ValueKind kind;
  Secrecy secrecy;
  ApplyFn apply;
  // The value for display, with secrets redacted.
  std::function<std::string(const Settings&)> show;
};

// All keys, in display order. The table is built once; thread-safe.
const std::vector<KeyInfo>& settings_table();
// The row of `key`, or nullptr.
const KeyInfo* find_key(std::string_view key);
// `info`'s value in `settings` for display: secrets are "***" when set.
std::string show_value(const Settings& settings, const KeyInfo& info);

// Reads one environment variable; nullopt when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment (getenv). Not safe against concurrent setenv.
Environment process_environment();
// A fixed environment, for tests.
Environment fixed_environment(std::map<std::string, std::string, std::less<>> vars);

// One setting given on the command line.
struct FlagValue {
  std::string key;   // a settings_table() key, e.g. "lease_ms"
  std::string flag;  // as typed, e.g. "--lease-ms"; names the source in errors
  std::string text;  // the raw value
};

// Builds the effective settings from all layers: defaults, the config file
// (flag "config", else TTG_CONFIG), `env`, then `flags` in order. Errors:
// kInvalidArgument naming the source (see the top of this file); an
// unreadable config file is "--config: cannot read 'x.yaml': <reason>".
// A FlagValue whose key is not in the table is a bug: kInternal.
[[nodiscard]] Result<Settings> load_settings(const Environment& env,
                                             const std::vector<FlagValue>& flags);

// The Redis connection options of `settings`: redis_url if set, else
// redis_host:redis_port; then the password from TTG_REDIS_PASSWORD or from
// redis_password_file (trailing newlines stripped) replaces the URL's; and
// the TLS files (redis_ca, redis_cert, redis_key). Reads the password file,
// and checks that the TLS files can be read. Errors: kInvalidArgument naming
// the source (bad URL, unreadable or empty password file, both password
// sources set, TLS files without a rediss:// URL, a certificate without its
// key, an unreadable TLS file). The password is never put into a message.
[[nodiscard]] Result<redis::Options> redis_options(const Settings& settings);

// Reads a password from the file at `path` (at most kMaxPasswordFileBytes;
// trailing newlines stripped). Errors: kInvalidArgument starting with
// `from`'s label: unreadable or empty file. The password is never put into a
// message.
[[nodiscard]] Result<std::string> read_password_file(const std::string& path, const Source& from);

// `url` with the password in its user info replaced by "***"
// ("redis://u:***@host:6379/0"); other URLs are returned unchanged.
std::string redact_url(std::string_view url);

}  // namespace ttg::cli

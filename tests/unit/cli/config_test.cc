#include "cli/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "support/scratch_dir.h"
#include "util/temp_dir.h"

namespace ttg::cli {
namespace {

using Env = std::map<std::string, std::string, std::less<>>;

// A private directory for config and password files.
class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  testing::ScratchDir dir_{"ttg-config-test"};
};

Result<Settings> load(const Env& env, const std::vector<FlagValue>& flags = {}) {
  return load_settings(fixed_environment(env), flags);
}

std::string message_of(const Result<Settings>& r) { return r ? "" : r.error().message; }

TEST_F(ConfigTest, DefaultsWithTheirSource) {
  auto s = load({});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->chunk_size, kAutoChunkSize);
  EXPECT_EQ(s->idle_timeout_seconds, 30);
  EXPECT_EQ(s->lease_ms, 10000);
  EXPECT_EQ(s->reclaim_interval_ms, 1000);
  EXPECT_EQ(s->simulate_work_ms, 100);
  EXPECT_EQ(s->max_attempts, 3);
  EXPECT_EQ(s->drain_timeout_seconds, 30);
  EXPECT_EQ(s->metrics_port, 0);
  EXPECT_EQ(s->metrics_bind, "127.0.0.1");
  EXPECT_EQ(s->threads, hardware_threads());
  EXPECT_EQ(s->log_level, "info");
  EXPECT_EQ(s->log_format, obs::LogFormat::kText);
  EXPECT_EQ(s->source("chunk_size").describe(), "default");
  EXPECT_EQ(s->source("reclaim_interval_ms").describe(), "default (min(1000, lease_ms / 3))");
}

// For several keys: each layer overrides the one below it.
TEST_F(ConfigTest, PrecedenceDefaultFileEnvFlag) {
  struct Case {
    std::string key, yaml_value, env_name, env_value, flag, flag_value;
    std::string default_shown, file_shown, env_shown, flag_shown;
  };
  const std::vector<Case> cases = {
      {"chunk_size", "20", "CHUNK_SIZE", "30", "--chunk-size", "40", "auto", "20", "30", "40"},
      {"lease_ms", "2000", "TTG_LEASE_MS", "3000", "--lease-ms", "4000", "10000", "2000", "3000",
       "4000"},
      {"job", "from-file", "TTG_JOB", "from-env", "--job", "from-flag", "", "from-file", "from-env",
       "from-flag"},
      {"log_level", "debug", "LOG_LEVEL", "warn", "--log-level", "error", "info", "debug", "warn",
       "error"},
      {"threads", "3", "TTG_THREADS", "5", "--threads", "7", std::to_string(hardware_threads()),
       "3", "5", "7"},
      {"redis_url", "redis://file:1", "TTG_REDIS_URL", "redis://env:2", "--redis", "redis://flag:3",
       "", "redis://file:1", "redis://env:2", "redis://flag:3"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("key " + c.key);
    const KeyInfo* info = find_key(c.key);
    ASSERT_NE(info, nullptr);
    std::string file = write("ttg.yaml", "# settings\n" + c.key + ": " + c.yaml_value + "\n");
    std::vector<FlagValue> flags = {{c.key, c.flag, c.flag_value}};
    Env with_file = {{"TTG_CONFIG", file}};
    Env with_env = {{"TTG_CONFIG", file}, {c.env_name, c.env_value}};

    auto s = load({});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(show_value(*s, *info), c.default_shown);
    EXPECT_EQ(s->source(c.key).kind, SourceKind::kDefault);

    s = load(with_file);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(show_value(*s, *info), c.file_shown);
    EXPECT_EQ(s->source(c.key).describe(), "file " + file + ":2");

    s = load(with_env);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(show_value(*s, *info), c.env_shown);
    EXPECT_EQ(s->source(c.key).describe(), "env " + c.env_name);

    s = load(with_env, flags);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(show_value(*s, *info), c.flag_shown);
    EXPECT_EQ(s->source(c.key).describe(), "flag " + c.flag);

    // A flag beats a file even without an environment value.
    s = load(with_file, flags);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(show_value(*s, *info), c.flag_shown);
  }
}

TEST_F(ConfigTest, ConfigFlagBeatsTtgConfig) {
  std::string from_env = write("env.yaml", "chunk_size: 11\n");
  std::string from_flag = write("flag.yaml", "chunk_size: 12\n");
  auto s = load({{"TTG_CONFIG", from_env}}, {{"config", "--config", from_flag}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->chunk_size, 12);
  EXPECT_EQ(s->config, from_flag);
  EXPECT_EQ(s->source("config").describe(), "flag --config");
}

TEST_F(ConfigTest, PrototypeEnvironmentNames) {
  auto s = load({{"BATCH_SIZE", "25"},
                 {"STALE_THRESHOLD_MS", "60000"},
                 {"STALE_CHECK_INTERVAL_SECONDS", "30"},
                 {"IDLE_TIMEOUT_SECONDS", "0"},
                 {"SIMULATE_WORK_MS", "10"},
                 {"TOTAL_PARAMETERS", "1000"},
                 {"WORKER_ID", "worker-2"},
                 {"REDIS_HOST", "redis"},
                 {"REDIS_PORT", "6380"},
                 {"POD_NAME", "ttg-worker-abc"},
                 {"NODE_NAME", "kind-worker2"},
                 {"LOG_LEVEL", "WARNING"},
                 {"LOG_FORMAT", "json"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->chunk_size, 25);
  EXPECT_EQ(s->source("chunk_size").describe(), "env BATCH_SIZE");
  EXPECT_EQ(s->lease_ms, 60000);
  EXPECT_EQ(s->reclaim_interval_ms, 30000);
  EXPECT_EQ(s->source("reclaim_interval_ms").describe(), "env STALE_CHECK_INTERVAL_SECONDS");
  EXPECT_EQ(s->idle_timeout_seconds, 0);
  EXPECT_EQ(s->simulate_work_ms, 10);
  EXPECT_EQ(s->total_parameters, 1000);
  EXPECT_EQ(s->worker_id, "worker-2");
  EXPECT_EQ(s->pod_name, "ttg-worker-abc");
  EXPECT_EQ(s->node_name, "kind-worker2");
  EXPECT_EQ(s->log_level, "warn");
  EXPECT_EQ(s->log_format, obs::LogFormat::kJson);
  auto redis = redis_options(*s);
  ASSERT_TRUE(redis) << redis.error().message;
  EXPECT_EQ(redis->host, "redis");
  EXPECT_EQ(redis->port, 6380);
}

TEST_F(ConfigTest, MetricsEndpointFromEachLayer) {
  std::string file = write("metrics.yaml", "metrics_port: 9100\nmetrics_bind: 0.0.0.0\n");
  auto s = load({{"TTG_CONFIG", file}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->metrics_port, 9100);
  EXPECT_EQ(s->metrics_bind, "0.0.0.0");
  s = load({{"TTG_CONFIG", file}, {"TTG_METRICS_PORT", "9200"}, {"TTG_METRICS_BIND", "10.0.0.1"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->metrics_port, 9200);
  EXPECT_EQ(s->metrics_bind, "10.0.0.1");
  EXPECT_EQ(s->source("metrics_bind").describe(), "env TTG_METRICS_BIND");
  s = load({{"TTG_METRICS_BIND", "10.0.0.1"}}, {{"metrics_bind", "--metrics-bind", "10.0.0.7"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->metrics_bind, "10.0.0.7");
}

TEST_F(ConfigTest, FirstEnvNameWinsAndEmptyCountsAsUnset) {
  auto s = load({{"CHUNK_SIZE", "7"},
                 {"BATCH_SIZE", "8"},
                 {"TTG_LEASE_MS", ""},
                 {"STALE_THRESHOLD_MS", "900"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->chunk_size, 7);
  EXPECT_EQ(s->source("chunk_size").describe(), "env CHUNK_SIZE");
  EXPECT_EQ(s->lease_ms, 900);
  // The reclaim interval follows the lease unless set.
  EXPECT_EQ(s->reclaim_interval_ms, 300);
}

TEST_F(ConfigTest, ErrorsNameTheirSource) {
  std::string dir = dir_.path();
  std::string twelve_lines;
  for (int i = 1; i <= 11; ++i) twelve_lines += "# line " + std::to_string(i) + "\n";
  std::string typo = write("ttg.yaml", twelve_lines + "chunksize: 10\n");
  struct Case {
    std::string name;
    Env env;
    std::vector<FlagValue> flags;
    std::string message_prefix;
  };
  const std::vector<Case> cases = {
      {"unknown file key", {{"TTG_CONFIG", typo}}, {}, typo + ":12: unknown key 'chunksize'"},
      {"bad env integer",
       {{"CHUNK_SIZE", "abc"}},
       {},
       "CHUNK_SIZE: expected a positive integer or auto, got 'abc'"},
      {"zero env integer",
       {{"BATCH_SIZE", "0"}},
       {},
       "BATCH_SIZE: expected a positive integer or auto, got '0'"},
      {"flag below minimum",
       {},
       {{"lease_ms", "--lease-ms", "50"}},
       "--lease-ms: must be at least 100"},
      {"negative timeout",
       {{"IDLE_TIMEOUT_SECONDS", "-1"}},
       {},
       "IDLE_TIMEOUT_SECONDS: expected a non-negative integer, got '-1'"},
      {"port too big",
       {},
       {{"metrics_port", "--metrics-port", "70000"}},
       "--metrics-port: must be at most 65535"},
      {"bind address not an IP address",
       {},
       {{"metrics_bind", "--metrics-bind", "localhost"}},
       "--metrics-bind: expected an IPv4 address (0.0.0.0 for every interface), got "
       "'localhost'"},
      {"bind address with a port",
       {{"TTG_METRICS_BIND", "0.0.0.0:9100"}},
       {},
       "TTG_METRICS_BIND: expected an IPv4 address"},
      {"bad log level", {{"LOG_LEVEL", "loud"}}, {}, "LOG_LEVEL: expected one of trace"},
      {"bad log format",
       {},
       {{"log_format", "--log-format", "xml"}},
       "--log-format: expected text or json, got 'xml'"},
      {"bad url", {{"TTG_REDIS_URL", "http://x"}}, {}, "TTG_REDIS_URL: invalid Redis URL"},
      {"bad stale check",
       {{"STALE_CHECK_INTERVAL_SECONDS", "0.5"}},
       {},
       "STALE_CHECK_INTERVAL_SECONDS: expected a positive integer, got '0.5'"},
      {"missing config",
       {},
       {{"config", "--config", dir + "/nope.yaml"}},
       "--config: cannot read '" + dir + "/nope.yaml': No such file or directory"},
      {"missing config from env",
       {{"TTG_CONFIG", dir + "/nope.yaml"}},
       {},
       "TTG_CONFIG: cannot read '" + dir + "/nope.yaml'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = load(c.env, c.flags);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(message_of(s).substr(0, c.message_prefix.size()), c.message_prefix) << message_of(s);
  }
}

TEST_F(ConfigTest, UnknownKeySuggestsTheRightOne) {
  std::string file = write("ttg.yaml", "chunksize: 10\n");
  auto s = load({{"TTG_CONFIG", file}});
  ASSERT_FALSE(s);
  EXPECT_EQ(message_of(s), file + ":1: unknown key 'chunksize' (did you mean 'chunk_size'?)");
}

TEST_F(ConfigTest, FileErrors) {
  struct Case {
    std::string name, text, message_suffix;
  };
  const std::vector<Case> cases = {
      {"duplicate", "job: a\njob: b\n", ":2: 'job' is already set on line 1"},
      {"no value", "job:\n", ":1: 'job' has no value"},
      {"list value", "job: [a, b]\n", ":1: 'job' needs a single value"},
      {"not a mapping", "- job\n", ":1: expected key: value lines"},
      {"password", "lease_ms: 500\nredis_password: hunter2\n",
       ":2: 'redis_password' cannot be set in a config file (use TTG_REDIS_PASSWORD)"},
      {"bad value", "\n\nlease_ms: 5\n", ":3: must be at least 100"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string file = write("bad.yaml", c.text);
    auto s = load({{"TTG_CONFIG", file}});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(message_of(s), file + c.message_suffix);
    EXPECT_EQ(message_of(s).find("hunter2"), std::string::npos);
  }
  std::string file = write("syntax.yaml", "job: a\n  lease_ms: [\n");
  auto s = load({{"TTG_CONFIG", file}});
  ASSERT_FALSE(s);
  EXPECT_EQ(message_of(s).rfind(file + ":", 0), 0u) << message_of(s);
}

TEST_F(ConfigTest, EmptyFileSetsNothing) {
  std::string file = write("empty.yaml", "# nothing here\n");
  auto s = load({{"TTG_CONFIG", file}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->chunk_size, kAutoChunkSize);
}

TEST_F(ConfigTest, RedisOptionsFromUrlOrHostPort) {
  auto s = load({{"REDIS_HOST", "ignored"}, {"TTG_REDIS_URL", "redis://u:pw@h:7000/2"}});
  ASSERT_TRUE(s) << s.error().message;
  auto o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->host, "h");
  EXPECT_EQ(o->port, 7000);
  EXPECT_EQ(o->db, 2);
  EXPECT_EQ(o->user, "u");
  EXPECT_EQ(o->password, "pw");

  s = load({{"REDIS_HOST", "cache"}, {"REDIS_PORT", "6390"}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->host, "cache");
  EXPECT_EQ(o->port, 6390);
  EXPECT_EQ(o->password, "");
}

TEST_F(ConfigTest, PasswordFromEnvOrFileOverridesTheUrls) {
  auto s = load({{"TTG_REDIS_URL", "redis://u:inurl@h:7000"}, {"TTG_REDIS_PASSWORD", "fromenv"}});
  ASSERT_TRUE(s) << s.error().message;
  auto o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->password, "fromenv");
  EXPECT_EQ(o->user, "u");

  std::string file = write("pw", "fromfile\n");
  s = load({{"TTG_REDIS_URL", "redis://u:inurl@h:7000"}},
           {{"redis_password_file", "--redis-password-file", file}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->password, "fromfile");

  s = load({{"TTG_REDIS_PASSWORD", "fromenv"}, {"TTG_REDIS_PASSWORD_FILE", file}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(o.error().message,
            "TTG_REDIS_PASSWORD and TTG_REDIS_PASSWORD_FILE: two Redis passwords given; set only "
            "one");
}

TEST_F(ConfigTest, UserFromEnvOrFlagOverridesTheUrls) {
  // One URL (a ConfigMap's) for every role; each role's user beside it.
  auto s = load({{"TTG_REDIS_URL", "redis://redis:6379"}, {"TTG_REDIS_USER", "ttg-worker"}});
  ASSERT_TRUE(s) << s.error().message;
  auto o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->user, "ttg-worker");
  EXPECT_EQ(o->host, "redis");

  s = load({{"TTG_REDIS_URL", "redis://u@h:7000"}, {"TTG_REDIS_USER", "ttg-monitor"}},
           {{"redis_user", "--redis-user", "ttg-submitter"}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->user, "ttg-submitter");
  EXPECT_EQ(s->source("redis_user").label(), "--redis-user");

  s = load({{"TTG_REDIS_URL", "redis://u@h:7000"}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->user, "u");

  s = load({{"TTG_REDIS_USER", "bad\nuser"}});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("TTG_REDIS_USER"), std::string::npos) << s.error().message;
}

TEST_F(ConfigTest, PasswordFileErrorsNameTheirSource) {
  std::string missing = dir_.path() + "/missing";
  auto s = load({}, {{"redis_password_file", "--redis-password-file", missing}});
  ASSERT_TRUE(s) << s.error().message;
  auto o = redis_options(*s);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(o.error().message, "--redis-password-file: cannot read password file '" + missing +
                                   "': No such file or directory");

  std::string empty = write("empty-pw", "\n");
  s = load({{"TTG_REDIS_PASSWORD_FILE", empty}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message, "TTG_REDIS_PASSWORD_FILE: password file '" + empty + "' is empty");
}

TEST_F(ConfigTest, TlsFilesFromEveryLayer) {
  std::string ca = write("ca.pem", "ca");
  std::string cert = write("cert.pem", "cert");
  std::string key = write("key.pem", "key");
  std::string conf = write("ttg.yaml", "redis_ca: " + ca + "\nredis_cert: " + cert + "\n");
  auto s = load({{"TTG_CONFIG", conf}, {"TTG_REDIS_KEY", key}},
                {{"redis_url", "--redis", "rediss://u:pw@h:7000"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->source("redis_ca").describe(), "file " + conf + ":1");
  EXPECT_EQ(s->source("redis_cert").describe(), "file " + conf + ":2");
  EXPECT_EQ(s->source("redis_key").describe(), "env TTG_REDIS_KEY");
  auto o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->tls_ca_file, ca);
  EXPECT_EQ(o->tls_cert_file, cert);
  EXPECT_EQ(o->tls_key_file, key);
  EXPECT_EQ(redis::describe(*o), "rediss://u@h:7000");

  // The system's trust store: no CA file at all.
  s = load({}, {{"redis_url", "--redis", "rediss://h"}});
  ASSERT_TRUE(s) << s.error().message;
  o = redis_options(*s);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->tls_ca_file, "");
}

TEST_F(ConfigTest, TlsFileErrorsNameTheirSource) {
  std::string ca = write("ca.pem", "ca");
  std::string cert = write("cert.pem", "cert");
  std::string missing = dir_.path() + "/missing.pem";
  struct Case {
    Env env;
    std::vector<FlagValue> flags;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{{"TTG_REDIS_URL", "redis://u:Sekr1tPw@h:7000"}},
       {{"redis_ca", "--redis-ca", ca}},
       "--redis-ca: TLS files need a rediss:// URL (Redis is redis://u@h:7000)"},
      {{{"TTG_REDIS_CA", ca}},
       {},
       "TTG_REDIS_CA: TLS files need a rediss:// URL (Redis is redis://127.0.0.1:6379)"},
      {{{"TTG_REDIS_URL", "rediss://h"}},
       {{"redis_ca", "--redis-ca", missing}},
       "--redis-ca: cannot read '" + missing + "': No such file or directory"},
      {{{"TTG_REDIS_URL", "rediss://h"}, {"TTG_REDIS_KEY", missing}},
       {},
       "TTG_REDIS_KEY: cannot read '" + missing + "': No such file or directory"},
      {{{"TTG_REDIS_URL", "rediss://h"}},
       {{"redis_cert", "--redis-cert", cert}},
       "--redis-cert: a client certificate and its key go together (--redis-cert and "
       "--redis-key)"},
      {{{"TTG_REDIS_URL", "rediss://h"}},
       {{"redis_ca", "--redis-ca", dir_.path()}},
       "--redis-ca: cannot read '" + dir_.path() + "': is a directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    auto s = load(c.env, c.flags);
    ASSERT_TRUE(s) << s.error().message;
    auto o = redis_options(*s);
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(o.error().message, c.want);
  }
}

TEST_F(ConfigTest, PasswordsNeverShown) {
  auto s = load({{"TTG_REDIS_URL", "redis://u:hunter2@h:7000"}, {"TTG_REDIS_PASSWORD", "sekrit"}});
  ASSERT_TRUE(s) << s.error().message;
  for (const auto& info : settings_table()) {
    std::string shown = show_value(*s, info);
    EXPECT_EQ(shown.find("hunter2"), std::string::npos) << info.key;
    EXPECT_EQ(shown.find("sekrit"), std::string::npos) << info.key;
  }
  EXPECT_EQ(show_value(*s, *find_key("redis_password")), "***");
  EXPECT_EQ(show_value(*s, *find_key("redis_url")), "redis://u:***@h:7000");

  // A bad URL holding a password is reported without it.
  auto bad = load({{"TTG_REDIS_URL", "redis://u:hunter2@h:99999"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos) << bad.error().message;
  bad = load({}, {{"redis_url", "--redis", "redis://u:hunter2@h/x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos) << bad.error().message;
}

TEST(RedactUrlTest, HidesOnlyThePassword) {
  struct Case {
    std::string url, redacted;
  };
  const std::vector<Case> cases = {
      {"redis://h:6379", "redis://h:6379"},
      {"redis://user@h:6379/1", "redis://user@h:6379/1"},
      {"redis://:pw@h:6379", "redis://:***@h:6379"},
      {"redis://u:p@ss@[::1]:6379/3", "redis://u:***@[::1]:6379/3"},
      {"unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=2"},
      {"rediss://u:pw@h:6379", "rediss://u:***@h:6379"},
      {"u:pw@h", "u:***@h"},
      {"pw@h", "***@h"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(redact_url(c.url), c.redacted) << c.url;
  }
}

TEST(SettingsTableTest, RowsAreConsistent) {
  std::set<std::string_view> keys, flags, envs, yamls;
  for (const auto& info : settings_table()) {
    SCOPED_TRACE(std::string(info.key));
    EXPECT_TRUE(keys.insert(info.key).second) << "duplicate key";
    if (!info.flag.empty()) {
      EXPECT_EQ(info.flag.substr(0, 2), "--");
      EXPECT_TRUE(flags.insert(info.flag).second) << "duplicate flag";
    }
    if (!info.yaml.empty()) {
      EXPECT_TRUE(yamls.insert(info.yaml).second) << "duplicate yaml name";
    }
    for (const auto& var : info.env) EXPECT_TRUE(envs.insert(var.name).second) << var.name;
    EXPECT_FALSE(info.help.empty());
    EXPECT_TRUE(info.apply);
    EXPECT_TRUE(info.show);
  }
  // The password is never a flag (flags show in `ps`) nor a file key.
  const KeyInfo* password = find_key("redis_password");
  ASSERT_NE(password, nullptr);
  EXPECT_TRUE(password->flag.empty());
  EXPECT_TRUE(password->yaml.empty());
  EXPECT_EQ(password->secrecy, Secrecy::kSecret);
}

}  // namespace
}  // namespace ttg::cli

#include "cli/cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "support/env_guard.h"
#include "support/scratch_dir.h"

namespace ttg::cli {
namespace {

using ttg::testing::EnvGuard;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run_with(const std::vector<std::string>& args, const Environment& env) {
  std::ostringstream out, err;
  int code = run(args, out, err, env);
  return {code, out.str(), err.str()};
}

// Runs with an empty environment, so the caller's variables do not leak in.
Outcome run_clean(const std::vector<std::string>& args) {
  return run_with(args, fixed_environment({}));
}

TEST(CliTest, HelpListsEverySubcommand) {
  auto r = run_clean({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.err, "");
  for (const auto& sub : subcommands()) {
    EXPECT_NE(r.out.find(std::string(sub.name)), std::string::npos) << sub.name;
    EXPECT_NE(r.out.find(std::string(sub.help)), std::string::npos) << sub.help;
  }
  for (std::string flag : {"--config", "--log-level", "--log-format", "--version"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST(CliTest, CommandHelpListsItsFlags) {
  auto r = run_clean({"config", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  for (std::string flag :
       {"--json", "--lease-ms", "--chunk-size", "--redis", "STALE_THRESHOLD_MS"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST(CliTest, EveryCommandsHelpHasExamplesAndOnlyItsOwnFlags) {
  for (const auto& sub : subcommands()) {
    const std::string name(sub.name);
    SCOPED_TRACE(name);
    auto r = run_clean({name, "--help"});
    EXPECT_EQ(r.code, kExitOk);
    auto examples = r.out.find("Examples:\n  ttg " + name);
    EXPECT_NE(examples, std::string::npos) << r.out;
    // One word for a chunk: never "task".
    for (const std::string word : {"task", "Task"}) {
      EXPECT_EQ(r.out.find(word), std::string::npos) << r.out;
    }
    // Defaults are values, not the names of other settings.
    EXPECT_EQ(r.out.find("redis_host:redis_port"), std::string::npos) << r.out;
  }
  auto submit = run_clean({"submit", "--help"});
  EXPECT_NE(submit.out.find("(default redis://127.0.0.1:6379"), std::string::npos) << submit.out;
  // A queue worker's flags first; what only the static mode reads (the
  // sweep's size, chunks, kernel) in a group of its own.
  auto worker = run_clean({"worker", "--help"});
  auto group = worker.out.find("Static mode (no Redis");
  ASSERT_NE(group, std::string::npos) << worker.out;
  for (const std::string flag : {"--params", "--chunk-size", "--work-ms", "--max-attempts",
                                 "--index", "--count", "--output", "--kernel ", "--arg"}) {
    auto at = worker.out.find("  " + flag);
    EXPECT_GT(at, group) << flag << " is not in the static group:\n" << worker.out;
  }
  for (const std::string flag : {"--job", "--lease-ms", "--threads", "--connect-timeout"}) {
    EXPECT_LT(worker.out.find("  " + flag), group) << flag << "\n" << worker.out;
  }
}

TEST(CliTest, TyposGetTheClosestCommandOrFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"sumbit"}, "ttg: unknown command 'sumbit' (did you mean 'submit'?)\n"},
      {{"wroker", "--job", "j"}, "ttg: unknown command 'wroker' (did you mean 'worker'?)\n"},
      {{"frobnicate"}, "ttg: unknown command 'frobnicate'\n"},
      {{"submit", "--parms", "3"},
       "ttg: unknown flag '--parms' of 'ttg submit' (did you mean '--params'?)\n"},
      {{"submit", "--params", "3", "--chunksize=4"},
       "ttg: unknown flag '--chunksize' of 'ttg submit' (did you mean '--chunk-size'?)\n"},
      {{"results", "j", "--colums", "a"},
       "ttg: unknown flag '--colums' of 'ttg results' (did you mean '--columns'?)\n"},
      {{"--log-levl", "info", "config"},
       "ttg: unknown flag '--log-levl' of 'ttg config' (did you mean '--log-level'?)\n"},
      {{"status", "--bogus"}, "ttg: unknown flag '--bogus' of 'ttg status'\n"},
      {{"status", "--threads", "2"},
       "ttg: '--threads' is not a flag of 'ttg status' (it is one of: ttg worker)\n"},
  };
  for (const auto& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += " " + a;
    SCOPED_TRACE("ttg" + joined);
    auto r = run_clean(c.args);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), c.message) << r.err;
    EXPECT_NE(r.err.find("Usage: ttg"), std::string::npos) << r.err;
  }
}

TEST(CliTest, Version) {
  auto r = run_clean({"--version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, std::string("ttg ") + TTG_VERSION + "\n");
}

TEST(CliTest, UsageErrorsExitTwoWithUsageOnStderr) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "ttg: no command given"},
      {{"bogus"}, "ttg: unknown command 'bogus'"},
      {{"--bogus"}, "--bogus"},
      {{"config", "--bogus"}, "--bogus"},
      {{"config", "--lease-ms"}, "--lease-ms"},
      {{"config", "--lease-ms", "50"}, "ttg: --lease-ms: must be at least 100"},
      {{"config", "--chunk-size", "abc"},
       "ttg: --chunk-size: expected a positive integer or auto, got 'abc'"},
      {{"--log-level", "loud", "config"}, "ttg: --log-level: expected one of"},
      {{"config", "extra"}, "extra"},
  };
  for (const auto& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += " " + a;
    SCOPED_TRACE("ttg" + joined);
    auto r = run_clean(c.args);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Usage: ttg"), std::string::npos) << r.err;
  }
}

TEST(CliTest, EnvironmentErrorExitsTwoWithoutUsage) {
  auto r = run_with({"config"}, fixed_environment({{"CHUNK_SIZE", "abc"}}));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "ttg: CHUNK_SIZE: expected a positive integer or auto, got 'abc'\n");
}

TEST(CliTest, ConfigShowsValuesAndSources) {
  auto r = run_with({"config", "--lease-ms", "600", "--log-level", "warn"},
                    fixed_environment({{"BATCH_SIZE", "25"}}));
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto line_of = [&](const std::string& key) {
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(key + " ", 0) == 0) return line;
    }
    return std::string();
  };
  EXPECT_NE(line_of("lease_ms").find("600"), std::string::npos) << r.out;
  EXPECT_NE(line_of("lease_ms").find("flag --lease-ms"), std::string::npos) << r.out;
  EXPECT_NE(line_of("chunk_size").find("env BATCH_SIZE"), std::string::npos) << r.out;
  EXPECT_NE(line_of("reclaim_interval_ms").find("200"), std::string::npos) << r.out;
  EXPECT_NE(line_of("log_level").find("flag --log-level"), std::string::npos) << r.out;
  EXPECT_NE(line_of("max_attempts").find("default"), std::string::npos) << r.out;
}

TEST(CliTest, ConfigJson) {
  auto r = run_with({"config", "--json"}, fixed_environment({{"CHUNK_SIZE", "12"}}));
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["settings"]["chunk_size"]["value"], 12);
  EXPECT_EQ(doc["settings"]["chunk_size"]["source"], "env CHUNK_SIZE");
  EXPECT_EQ(doc["settings"]["job"]["value"], "");
  EXPECT_EQ(doc["redis"]["target"], "redis://127.0.0.1:6379");
  EXPECT_EQ(doc["redis"]["password"], false);
  for (const auto& info : settings_table()) {
    EXPECT_TRUE(doc["settings"].contains(std::string(info.key))) << info.key;
  }
}

// These read the real process environment, set for the test only.
TEST(CliTest, ConfigRedactsPasswordsFromTheEnvironment) {
  EnvGuard url("TTG_REDIS_URL", "redis://alice:urlsecret@db.example:6380/1");
  EnvGuard password("TTG_REDIS_PASSWORD", "envsecret");
  EnvGuard file("TTG_REDIS_PASSWORD_FILE", std::nullopt);
  EnvGuard config("TTG_CONFIG", std::nullopt);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"config"}, std::vector<std::string>{"config", "--json"}}) {
    auto r = run_with(args, process_environment());
    ASSERT_EQ(r.code, kExitOk) << r.err;
    for (const std::string& text : {r.out, r.err}) {
      EXPECT_EQ(text.find("urlsecret"), std::string::npos) << text;
      EXPECT_EQ(text.find("envsecret"), std::string::npos) << text;
    }
    EXPECT_NE(r.out.find("redis://alice:***@db.example:6380/1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("***"), std::string::npos);
  }
  auto r = run_with({"config", "--json"}, process_environment());
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["settings"]["redis_password"]["value"], "***");
  EXPECT_EQ(doc["settings"]["redis_password"]["source"], "env TTG_REDIS_PASSWORD");
  EXPECT_EQ(doc["redis"]["password"], true);
}

TEST(CliTest, ErrorsNeverShowPasswords) {
  EnvGuard url("TTG_REDIS_URL", "redis://alice:urlsecret@db.example:99999");
  EnvGuard config("TTG_CONFIG", std::nullopt);
  auto r = run_with({"config", "--log-level", "trace"}, process_environment());
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("TTG_REDIS_URL: invalid Redis URL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("urlsecret"), std::string::npos) << r.err;

  r = run_clean({"config", "--redis", "redis://bob:flagsecret@h:0"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--redis: invalid Redis URL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("flagsecret"), std::string::npos) << r.err;

  // Two password sources: the message names them, not the password.
  EnvGuard password("TTG_REDIS_PASSWORD", "envsecret");
  EnvGuard file("TTG_REDIS_PASSWORD_FILE", "/nonexistent/pw");
  EnvGuard good_url("TTG_REDIS_URL", std::nullopt);
  r = run_with({"config"}, process_environment());
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("two Redis passwords"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("envsecret"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("envsecret"), std::string::npos) << r.err;
}

TEST(CliTest, LogLinesGoToStderrInTheChosenFormat) {
  auto r =
      run_with({"config", "--log-level", "debug"}, fixed_environment({{"LOG_FORMAT", "json"}}));
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::istringstream in(r.err);
  std::string line;
  ASSERT_TRUE(std::getline(in, line)) << r.err;
  auto doc = nlohmann::json::parse(line);
  EXPECT_EQ(doc["level"], "debug");
  EXPECT_EQ(doc["msg"], "settings loaded");
  EXPECT_EQ(doc["command"], "config");
}

TEST(CliTest, SubcommandTableIsConsistent) {
  std::set<std::string_view> names;
  for (const auto& sub : subcommands()) {
    SCOPED_TRACE(std::string(sub.name));
    EXPECT_TRUE(names.insert(sub.name).second) << "duplicate command";
    EXPECT_FALSE(sub.help.empty());
    EXPECT_NE(sub.setup, nullptr);
    for (std::string_view key : sub.setting_flags) {
      const KeyInfo* info = find_key(key);
      ASSERT_NE(info, nullptr) << key;
      EXPECT_FALSE(info->flag.empty()) << key << " has no flag";
      EXPECT_FALSE(is_global_flag(key)) << key << " is global already";
    }
  }
}

TEST(CliTest, AclPrintsOneUserPerRole) {
  ttg::testing::ScratchDir dir("ttg-acl-cli");
  const std::string pw = dir.write("pw", "Sekr1t-Role-Pw\n");
  auto all = run_clean({"acl", "--password-file", pw});
  ASSERT_EQ(all.code, kExitOk) << all.err;
  EXPECT_EQ(all.err, "");
  EXPECT_EQ(all.out.find("Sekr1t-Role-Pw"), std::string::npos) << all.out;
  std::istringstream in(all.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << all.out;
  const char* users[] = {"ttg-worker", "ttg-submitter", "ttg-monitor", "ttg-keda"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(lines[i].rfind(std::string("ACL SETUSER ") + users[i] + " reset on #", 0), 0u)
        << lines[i];
  }

  auto two = run_clean(
      {"acl", "--role", "keda", "--role", "monitor", "--role", "keda", "--format", "file"});
  ASSERT_EQ(two.code, kExitOk) << two.err;
  EXPECT_EQ(two.out.rfind("user ttg-keda reset on #<", 0), 0u) << two.out;
  EXPECT_NE(two.out.find("\nuser ttg-monitor "), std::string::npos) << two.out;
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 2) << two.out;
  EXPECT_NE(two.err.find("placeholders"), std::string::npos) << two.err;
}

TEST(CliTest, AclBadInputExitsTwo) {
  ttg::testing::ScratchDir dir("ttg-acl-cli");
  const std::string empty = dir.write("empty", "\n");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"acl", "--role", "admin"}, "ttg acl: --role: unknown role 'admin'"},
      {{"acl", "--format", "yaml"}, "--format"},
      {{"acl", "--password-file", dir.path() + "/missing"},
       "ttg acl: --password-file: cannot read password file"},
      {{"acl", "--password-file", empty}, "ttg acl: --password-file: password file"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    auto r = run_clean(c.args);
    EXPECT_EQ(r.code, kExitUsage) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

TEST(ExitCodesTest, MapErrorCodes) {
  EXPECT_EQ(exit_code_for({ErrorCode::kInvalidArgument, ""}), kExitUsage);
  EXPECT_EQ(exit_code_for({ErrorCode::kConnection, ""}), kExitRedis);
  EXPECT_EQ(exit_code_for({ErrorCode::kWrongPass, ""}), kExitRedis);
  EXPECT_EQ(exit_code_for({ErrorCode::kNoAuth, ""}), kExitRedis);
  EXPECT_EQ(exit_code_for({ErrorCode::kTimeout, ""}), kExitRedis);
  // The server at the address does not speak Redis.
  EXPECT_EQ(exit_code_for({ErrorCode::kProtocol, ""}), kExitRedis);
  EXPECT_EQ(exit_code_for({ErrorCode::kNotFound, ""}), kExitFailure);
  EXPECT_EQ(exit_code_for({ErrorCode::kKernelFailed, ""}), kExitFailure);
}

}  // namespace
}  // namespace ttg::cli

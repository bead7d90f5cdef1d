// The ACL rules of `ttg acl`: their form, and that every command the Lua
// scripts call is granted to each role that runs the script (Redis 7 checks
// the commands a script calls against the caller's ACL).

#include "queue/acl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include "queue/scripts.h"

namespace ttg::queue::acl {
namespace {

bool granted(Role role, const std::string& command) {
  auto all = commands(role);
  return std::find(all.begin(), all.end(), command) != all.end();
}

// The commands `body` calls through redis.call / redis.pcall, lower case,
// with the subcommand of commands that have them ("xgroup|delconsumer").
std::set<std::string> commands_called(const std::string& body) {
  static const std::regex call(R"(redis\.p?call\(\s*'([A-Za-z]+)'(?:\s*,\s*'([A-Za-z]+)')?)");
  static const std::set<std::string> containers = {"xgroup", "xinfo",  "script",
                                                   "client", "config", "object"};
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), call); it != std::sregex_iterator();
       ++it) {
    std::string name = (*it)[1].str();
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    if (containers.count(name) != 0) {
      std::string sub = (*it)[2].str();
      std::transform(sub.begin(), sub.end(), sub.begin(), ::tolower);
      name += "|" + sub;
    }
    out.insert(name);
  }
  return out;
}

TEST(AclRulesTest, EveryCommandOfEveryScriptIsGrantedToItsRoles) {
  struct Case {
    const char* script;
    const redis::Script& body;
    std::vector<Role> roles;
  };
  const JobRef j{"j", "r"};
  Chunk chunk;
  chunk.job = "j";
  chunk.run = "r";
  const Case cases[] = {
      {"create", *scripts::create("j", "r", {}).script, {Role::kSubmitter}},
      {"finish_submit", *scripts::finish_submit(j).script, {Role::kSubmitter}},
      {"add_tasks", *scripts::add_tasks("j", "", JobSpec{}, 0, 1).script, {Role::kSubmitter}},
      {"cancel", *scripts::cancel("j").script, {Role::kSubmitter}},
      {"retry", *scripts::retry(j, {0}).script, {Role::kSubmitter}},
      {"claim", *scripts::claim(j, "w", "w", 1, 0).script, {Role::kWorker}},
      {"renew", *scripts::renew(j, "w", "w", {}).script, {Role::kWorker}},
      {"commit", *scripts::commit(j, "w").script, {Role::kWorker}},
      {"speculate", *scripts::speculate(j, "w", "w", "1-0", 0).script, {Role::kWorker}},
      {"fail", *scripts::fail(chunk, "w", "w", "e").script, {Role::kWorker}},
      {"dead_letter", *scripts::dead_letter(chunk, "w", "m").script, {Role::kWorker}},
      {"refuse", *scripts::refuse(j, "w", "why").script, {Role::kWorker}},
      {"finalize", *scripts::finalize("j").script, {Role::kWorker}},
      {"heartbeat", *scripts::heartbeat({}).script, {Role::kWorker}},
      {"sweep_lock", *scripts::sweep_lock("w", 1000).script, {Role::kWorker}},
      {"unregister", *scripts::unregister("w").script, {Role::kWorker}},
      // A draining worker hands chunks back, the liveness check hands over a
      // gone worker's; recover does too, and retires gone consumers.
      {"hand_over",
       *scripts::hand_over(j, scripts::HandOver::kRelease, "w", 0, 1, "w", {}).script,
       {Role::kWorker, Role::kSubmitter}},
      {"retire", *scripts::retire("j", "w").script, {Role::kWorker, Role::kSubmitter}},
  };
  for (const auto& c : cases) {
    auto called = commands_called(c.body.body());
    EXPECT_FALSE(called.empty()) << c.script << ": the pattern found no call";
    for (Role role : c.roles) {
      EXPECT_TRUE(granted(role, "evalsha")) << role_name(role);
      EXPECT_TRUE(granted(role, "script|load")) << role_name(role);
      for (const auto& command : called) {
        EXPECT_TRUE(granted(role, command))
            << c.script << " calls " << command << ", which " << role_name(role) << " may not";
      }
    }
  }
}

TEST(AclRulesTest, ScriptPatternSeesSubcommands) {
  auto called = commands_called(
      "redis.call('XGROUP', 'DELCONSUMER', k) redis.pcall('XADD', k) redis.call( 'TIME')");
  EXPECT_EQ(called, (std::set<std::string>{"xgroup|delconsumer", "xadd", "time"}));
}

TEST(AclRulesTest, RulesAreLeastPrivilege) {
  for (Role role : all_roles()) {
    SCOPED_TRACE(role_name(role));
    auto words = rules(role, Password::of("pw"));
    ASSERT_GE(words.size(), 7u);
    // Everything is reset first, then only the role's grants are added.
    EXPECT_EQ(words[0], "reset");
    EXPECT_EQ(words[1], "on");
    EXPECT_EQ(words[2], "#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    EXPECT_EQ(words[3], "resetchannels");
    EXPECT_EQ(words[4], read_only(role) ? "%R~ttg:*" : "~ttg:*");
    EXPECT_EQ(words[5], "-@all");
    for (size_t i = 6; i < words.size(); ++i) {
      EXPECT_EQ(words[i].substr(0, 1), "+") << words[i];
      EXPECT_EQ(words[i].find('@'), std::string::npos) << "a whole category: " << words[i];
      EXPECT_EQ(words[i].find_first_of(" \"'*"), std::string::npos) << words[i];
    }
    for (const char* never : {"flushall", "flushdb", "config", "keys", "eval", "script|flush",
                              "acl", "debug", "shutdown", "module", "monitor"}) {
      EXPECT_FALSE(granted(role, never)) << never;
    }
    EXPECT_TRUE(granted(role, "ping"));
  }
  EXPECT_EQ(commands(Role::kKeda), (std::vector<std::string>{"info", "ping", "select",
                                                             "xinfo|groups", "xlen", "xpending"}));
  EXPECT_FALSE(read_only(Role::kWorker));
  EXPECT_FALSE(read_only(Role::kSubmitter));
  EXPECT_TRUE(read_only(Role::kMonitor));
  EXPECT_TRUE(read_only(Role::kKeda));
}

TEST(AclRulesTest, SubmitterMayDoWhatMonitorMayDo) {
  for (const auto& command : commands(Role::kMonitor)) {
    EXPECT_TRUE(granted(Role::kSubmitter, command)) << command;
  }
}

TEST(AclRulesTest, LinesAndPasswords) {
  auto hashed = Password::of("s3cret");
  EXPECT_FALSE(hashed.is_placeholder());
  std::string line = setuser_line(Role::kWorker, hashed);
  EXPECT_EQ(line.rfind("ACL SETUSER ttg-worker reset on #", 0), 0u) << line;
  EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
  EXPECT_EQ(aclfile_line(Role::kMonitor, hashed).rfind("user ttg-monitor reset on #", 0), 0u);

  auto placeholder = Password::placeholder();
  EXPECT_TRUE(placeholder.is_placeholder());
  // Not a valid hash (64 hex digits), so Redis refuses the line as is.
  std::string word = placeholder.rule(Role::kKeda);
  EXPECT_EQ(word.front(), '#');
  EXPECT_NE(word.size(), 65u);
  EXPECT_NE(word.find("ttg-keda"), std::string::npos) << word;
}

TEST(AclRulesTest, Roles) {
  for (Role role : all_roles()) {
    auto parsed = parse_role(role_name(role));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, role);
    EXPECT_EQ(user_name(role), "ttg-" + std::string(role_name(role)));
    EXPECT_FALSE(role_help(role).empty());
  }
  auto bad = parse_role("admin");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "unknown role 'admin' (roles: worker, submitter, monitor, keda)");
}

}  // namespace
}  // namespace ttg::queue::acl

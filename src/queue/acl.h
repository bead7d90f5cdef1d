#pragma once
// Least-privilege Redis ACL users for TTG's roles (`ttg acl`).
//
// Each role gets one user, `ttg-<role>`, allowed only keys `ttg:*` and only
// the commands that role sends: directly, in the Lua scripts it runs (Redis 7
// checks each redis.call() against the caller's ACL too), and on connecting.
// The table of commands (acl.cc, grants()) is the one place that says which
// role may send what: when code starts sending a command, add it there.
//
//   worker     `ttg worker`: claims, renews, commits, fails, reclaims,
//              releases (scripts.cc)
//   submitter  `ttg submit`, `cancel`, `cleanup`, `recover`, and what
//              monitor may do
//   monitor    `ttg status`, `jobs`, `results`: reads only (keys %R~ttg:*)
//   keda       KEDA's redis-streams scaler: XPENDING, XLEN, XINFO GROUPS,
//              INFO (lag mode), reads only

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ttg::queue::acl {

enum class Role { kWorker, kSubmitter, kMonitor, kKeda };

// Every role, in the order `ttg acl` prints them.
const std::vector<Role>& all_roles();
// "worker", "submitter", "monitor", "keda".
std::string_view role_name(Role role);
// The role called `name`; kInvalidArgument naming the known roles otherwise.
[[nodiscard]] Result<Role> parse_role(std::string_view name);
// One line for people: what the role is for.
std::string_view role_help(Role role);
// The ACL user of `role`: "ttg-worker", ...
std::string user_name(Role role);

// Commands `role` may run, lower case, "command" or "command|subcommand",
// sorted.
std::vector<std::string> commands(Role role);
// True when `role` may only read keys.
bool read_only(Role role);

// How a user's password is written into its rules.
class Password {
 public:
  // A marker that Redis refuses ("#<...>" is not a hash): rules applied
  // unedited fail instead of creating a user with a known password.
  static Password placeholder() { return Password(""); }
  // `secret` as its SHA-256 (ACL "#<hex>"): the password itself never
  // appears in the rules. (Should hashing fail, the result is a placeholder.)
  static Password of(std::string_view secret);

  // The rule word for `role`'s user: "#<64 hex digits>" or the placeholder.
  std::string rule(Role role) const;
  bool is_placeholder() const { return sha256_hex_.empty(); }

 private:
  explicit Password(std::string sha256_hex) : sha256_hex_(std::move(sha256_hex)) {}
  std::string sha256_hex_;
};

// The ACL rules of `role`'s user after the user name, as words: "reset on
// #<hash> resetchannels ~ttg:* -@all +evalsha ...". Each word is free of
// spaces and quotes.
std::vector<std::string> rules(Role role, const Password& password);

// The command that creates or replaces the user: "ACL SETUSER ttg-worker
// reset on ...". A line that redis-cli sends as is.
std::string setuser_line(Role role, const Password& password);
// The user's line in an ACL file (aclfile): "user ttg-worker reset on ...".
std::string aclfile_line(Role role, const Password& password);

}  // namespace ttg::queue::acl

#include "queue/acl.h"

#include <algorithm>

#include "queue/keys.h"
#include "redis/options.h"

namespace ttg::queue::acl {

namespace {

// Roles as bits, for the table below.
constexpr unsigned kW = 1u << 0;  // worker
constexpr unsigned kS = 1u << 1;  // submitter
constexpr unsigned kM = 1u << 2;  // monitor
constexpr unsigned kK = 1u << 3;  // keda
constexpr unsigned kAll = kW | kS | kM | kK;

unsigned bit(Role role) {
  switch (role) {
    case Role::kWorker:
      return kW;
    case Role::kSubmitter:
      return kS;
    case Role::kMonitor:
      return kM;
    case Role::kKeda:
      return kK;
  }
  return 0;
}

struct Grant {
  // Lower case; "command|subcommand" grants one subcommand only.
  std::string_view command;
  unsigned roles;
};

// Every command TTG sends, and who sends it: redis_queue.cc (directly),
// scripts.cc (inside scripts: Redis 7 checks those against the caller's ACL
// too), redis/connection.cc (on connecting). A script is granted every
// command its text calls, its shared prelude included (recover runs
// release). The submitter also reads what the monitor reads. AUTH and HELLO
// need no grant.
constexpr Grant kGrants[] = {
    // Connecting: Connection::connect checks the peer with PING, and sends
    // SELECT for a URL's /db.
    {"ping", kAll},
    {"select", kAll},
    // Scripts: loaded once, run by SHA1.
    {"script|load", kW | kS},
    {"evalsha", kW | kS},
    {"time", kW | kS | kM},  // scripts: now_ms(); the liveness check's clock; heartbeat ages
    // The worker registry (docs/PROTOCOL.md, "Liveness"): a worker registers
    // the id of its connection and the server's run id, and asks which of
    // the next workers' connections are open. CLIENT LIST shows those
    // connections' addresses: the price of taking over a dead worker's
    // chunks at once.
    {"client|id", kW},
    {"client|list", kW},
    {"info", kW | kS | kK},  // run_id; recover (persistence); KEDA (version)
    // The job registry ttg:jobs and the ring ttg:workers:ring (sorted sets).
    {"zrange", kW | kS | kM},  // the ring's next workers; jobs, status; serve: the newest jobs
    {"zcard", kS | kM},        // serve: how many jobs the registry holds
    {"zadd", kW | kS},         // registration; submit
    {"zrem", kW | kS},         // leaving; submit --force, cleanup
    // The active jobs ttg:active (a set).
    {"smembers", kW},
    {"sadd", kS},       // submit; retry: a complete job is active again
    {"srem", kW | kS},  // the sweeper drops finished jobs; --force, cleanup
    // The sweeper role (a string that expires).
    {"get", kW},
    {"set", kW},
    {"getdel", kW},  // a leaving sweeper gives the role up
    // A job's meta, attempts, errors, handoff and refused hashes; the
    // registry's hashes.
    {"hget", kW | kS},
    {"hmget", kW | kS | kM},
    {"hgetall", kW | kS | kM},  // status; speculate: the registry's held chunks
    {"hset", kW | kS},
    {"hsetnx", kW},        // claim: first_claim_ms; speculate: one copy per chunk
    {"hdel", kW | kS},     // handoff; leaving the registry; retry: a chunk's attempts
    {"hkeys", kS},         // retry --all: the dead chunks
    {"hlen", kW},          // the last worker to leave clears the registry's state
    {"hexists", kW | kS},  // heartbeat: is the worker registered; finish_submit
    {"hincrby", kW | kS},
    {"exists", kW | kS | kM},
    // The done bitmap.
    {"getbit", kW | kS},
    {"setbit", kW | kS},
    // The gaps list: chunks whose entries were deleted before anyone read them.
    {"rpush", kW},
    {"lindex", kW},
    {"lset", kW},
    {"lpop", kW},
    // The streams: tasks (with the consumer group), results, dead, events.
    {"xadd", kW | kS},
    {"xack", kW | kS},
    {"xclaim", kW | kS},
    {"xreadgroup", kW},
    {"xpending", kAll},
    {"xlen", kS | kM | kK},
    {"xrange", kW | kS | kM},  // scripts: does an entry exist; results, events
    // submit: resume a cut-short submission; serve: newest events; speculate:
    // the newest results' durations
    {"xrevrange", kW | kS | kM},
    {"xtrim", kW},  // finalize: a complete job's tasks
    {"xdel", kS},   // retry: the dead-letter entry of a chunk put back
    {"xgroup|create", kS},
    {"xgroup|delconsumer", kW | kS},  // retire
    {"xinfo|consumers", kS},          // recover
    {"xinfo|groups", kS | kM | kK},   // serve: a job's lag; KEDA: lag mode
    // Expiry of a finished job's keys (finalize; a leaving sweeper's role),
    // deleting keys (submit --force, cleanup).
    {"pexpire", kW},
    {"persist", kS},  // retry: a complete job runs again
    {"del", kS},
    {"unlink", kS},
    {"scan", kS},  // cleanup --all: finds the ttg: keys
};

}  // namespace

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = {Role::kWorker, Role::kSubmitter, Role::kMonitor,
                                          Role::kKeda};
  return roles;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kWorker:
      return "worker";
    case Role::kSubmitter:
      return "submitter";
    case Role::kMonitor:
      return "monitor";
    case Role::kKeda:
      return "keda";
  }
  return "";
}

Result<Role> parse_role(std::string_view name) {
  for (Role role : all_roles()) {
    if (role_name(role) == name) return role;
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown role '" + std::string(name) +
                                                     "' (roles: worker, submitter, monitor, keda)");
}

std::string_view role_help(Role role) {
  switch (role) {
    case Role::kWorker:
      return "ttg worker: claim, compute, commit";
    case Role::kSubmitter:
      return "ttg submit, cancel, retry, cleanup, recover (and what monitor may do)";
    case Role::kMonitor:
      return "ttg status, jobs, results, dead: read only";
    case Role::kKeda:
      return "KEDA's redis-streams scaler: XPENDING, XLEN, XINFO GROUPS, INFO; read only";
  }
  return "";
}

std::string user_name(Role role) { return "ttg-" + std::string(role_name(role)); }

std::vector<std::string> commands(Role role) {
  std::vector<std::string> out;
  for (const Grant& g : kGrants) {
    if ((g.roles & bit(role)) != 0) out.emplace_back(g.command);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool read_only(Role role) { return role == Role::kMonitor || role == Role::kKeda; }

Password Password::of(std::string_view secret) {
  return Password(redis::password_sha256_hex(secret));
}

std::string Password::rule(Role role) const {
  if (is_placeholder()) return "#<sha256-of-the-" + user_name(role) + "-password>";
  return "#" + sha256_hex_;
}

std::vector<std::string> rules(Role role, const Password& password) {
  // reset: no password, no keys, no channels, no commands, off; then only
  // what the role needs. %R~ lets a read-only role read keys, never write.
  std::vector<std::string> out = {"reset", "on", password.rule(role), "resetchannels"};
  out.push_back((read_only(role) ? "%R~" : "~") + std::string(kKeyPrefix) + "*");
  out.push_back("-@all");
  for (const std::string& command : commands(role)) out.push_back("+" + command);
  return out;
}

namespace {

std::string joined(std::string line, const std::vector<std::string>& words) {
  for (const std::string& word : words) line += " " + word;
  return line;
}

}  // namespace

std::string setuser_line(Role role, const Password& password) {
  return joined("ACL SETUSER " + user_name(role), rules(role, password));
}

std::string aclfile_line(Role role, const Password& password) {
  return joined("user " + user_name(role), rules(role, password));
}

}  // namespace ttg::queue::acl

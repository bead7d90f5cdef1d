// `ttg acl` applied to a real redis-server whose default user is off: each
// role does its job through the real binary (a worker process completes a
// job, the submitter submits and administers, the monitor reads, KEDA's
// commands work) and nothing more. The server's ACL LOG must stay empty
// while the roles do their jobs: no command TTG sends is missing from a role.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "queue/acl.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "redis/connection.h"
#include "support/metrics.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using queue::acl::Role;
using testing::RunResult;

constexpr const char* kAdminPassword = "admin-Secret-pw";
constexpr const char* kRolePassword = "role-Secret-pw-42";

// The words of one line of `ttg acl` output, as a command.
redis::Command words(const std::string& line) {
  redis::Command out;
  for (const auto& w : util::split(line, ' ')) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

std::string joined(const redis::Command& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : util::split(text, '\n')) {
    if (!util::trim(l).empty()) out.push_back(l);
  }
  return out;
}

class AclRolesTest : public testing::RedisTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.extra_config = {std::string("user admin on >") + kAdminPassword + " ~* &* +@all"};
    o.user = "admin";
    o.password = kAdminPassword;
    return o;
  }

  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto dir = util::TempDir::create("ttg-acl-");
    ASSERT_TRUE(dir) << dir.error();
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));
    password_file_ = dir_->path() + "/role.pw";
    std::ofstream(password_file_) << kRolePassword << "\n";

    auto rules = testing::run_ttg({"acl", "--password-file", password_file_}, {"TTG_CONFIG="});
    ASSERT_EQ(rules.exit_code, 0) << rules.err;
    ASSERT_EQ(rules.out.find(kRolePassword), std::string::npos) << "the password was printed";
    auto admin = connect();
    auto lines = lines_of(rules.out);
    ASSERT_EQ(lines.size(), 4u) << rules.out;
    for (const auto& line : lines) {
      auto r = admin.command(words(line));
      ASSERT_TRUE(r) << line << ": " << r.error().message;
    }
    ASSERT_TRUE(admin.command({"ACL", "SETUSER", "default", "off"}));
    ASSERT_TRUE(admin.command({"ACL", "LOG", "RESET"}));
  }

  // Connection options of `role`'s user.
  redis::Options as(Role role) const {
    redis::Options o = server_->options();
    o.user = queue::acl::user_name(role);
    o.password = kRolePassword;
    return o;
  }

  // `ttg args...` as `role`'s user (the password from a file).
  RunResult ttg_as(Role role, std::vector<std::string> args) {
    redis::Options o = as(role);
    o.password.clear();
    args.insert(args.begin() + 1,
                {"--redis", redis::describe(o), "--redis-password-file", password_file_});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  // The denials Redis logged since SetUp, one line each.
  std::string acl_log() {
    auto admin = connect();
    auto log = admin.command({"ACL", "LOG"});
    if (!log) return "ACL LOG failed: " + log.error().message;
    std::string out;
    for (const auto& entry : log->elements()) out += entry.debug_string() + "\n";
    return out;
  }

  // Runs `argv` as `role` and expects NOPERM (kNoAuth).
  void expect_refused(Role role, const redis::Command& argv) {
    SCOPED_TRACE(std::string(queue::acl::role_name(role)) + ": " + joined(argv));
    auto conn = redis::Connection::connect(as(role));
    ASSERT_TRUE(conn) << conn.error().message;
    auto r = conn->command(argv);
    ASSERT_FALSE(r) << "allowed: " << r->debug_string();
    EXPECT_EQ(r.error().code, ErrorCode::kNoAuth) << r.error().message;
    EXPECT_NE(r.error().message.find("NOPERM"), std::string::npos) << r.error().message;
  }

  std::unique_ptr<util::TempDir> dir_;
  std::string password_file_;
};

// A worker of one slot on "host" serving every job.
queue::WorkerInfo worker_info(int64_t pid) {
  queue::WorkerInfo info;
  info.host = "host";
  info.pid = pid;
  info.slots = 1;
  return info;
}

TEST_F(AclRolesTest, UsersExistAndTheDefaultUserIsOff) {
  auto admin = connect();
  auto users = admin.command({"ACL", "USERS"});
  ASSERT_TRUE(users) << users.error().message;
  for (Role role : queue::acl::all_roles()) {
    EXPECT_NE(users->debug_string().find("\"" + queue::acl::user_name(role) + "\""),
              std::string::npos)
        << users->debug_string();
    auto conn = redis::Connection::connect(as(role));
    EXPECT_TRUE(conn) << queue::acl::role_name(role) << ": " << conn.error().message;
  }
  redis::Options anonymous = server_->options();
  anonymous.user.clear();
  anonymous.password.clear();
  auto conn = redis::Connection::connect(anonymous);
  ASSERT_FALSE(conn) << "the default user still works";
  EXPECT_EQ(conn.error().code, ErrorCode::kNoAuth) << conn.error().message;
}

TEST_F(AclRolesTest, PlaceholderPasswordsAreRefusedByRedis) {
  auto rules = testing::run_ttg({"acl", "--role", "worker"}, {"TTG_CONFIG="});
  ASSERT_EQ(rules.exit_code, 0) << rules.err;
  EXPECT_NE(rules.err.find("placeholder"), std::string::npos) << rules.err;
  auto lines = lines_of(rules.out);
  ASSERT_EQ(lines.size(), 1u) << rules.out;
  auto admin = connect();
  auto r = admin.command(words(lines[0]));
  ASSERT_FALSE(r) << "Redis took a placeholder for a password";
  EXPECT_NE(r.error().message.find("hash"), std::string::npos) << r.error().message;
  // The user set up in SetUp is unchanged.
  EXPECT_TRUE(redis::Connection::connect(as(Role::kWorker)));
}

TEST_F(AclRolesTest, EachRoleDoesItsJob) {
  // Submitter: a job whose chunk 2 always fails (retries, then the dead
  // letters), so the worker runs its failure scripts too.
  auto sub = ttg_as(Role::kSubmitter, {"submit", "--job", "acl1", "--params", "30", "--chunk-size",
                                       "5", "--kernel", "faulty", "--arg", "work_ms=0", "--arg",
                                       "fail_chunks=2", "--max-attempts", "2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;

  // Monitor: the job is there, pending.
  auto pending = ttg_as(Role::kMonitor, {"status", "acl1", "--json"});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  EXPECT_EQ(nlohmann::json::parse(pending.out)["state"], "pending");

  // Worker: a real process computes the whole job and exits.
  auto work = ttg_as(Role::kWorker, {"worker", "--job", "acl1", "--threads", "2", "--worker-id",
                                     "w1", "--idle-timeout", "5"});
  ASSERT_EQ(work.exit_code, 0) << work.err;

  // Monitor: status, jobs, results (which says one chunk has none).
  auto done = ttg_as(Role::kMonitor, {"status", "acl1", "--json"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto dj = nlohmann::json::parse(done.out);
  EXPECT_EQ(dj["state"], "complete");
  EXPECT_EQ(dj["done"], 5);
  EXPECT_EQ(dj["dead"], 1);
  auto jobs = ttg_as(Role::kMonitor, {"jobs", "--json"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  EXPECT_EQ(nlohmann::json::parse(jobs.out).size(), 1u) << jobs.out;
  auto results = ttg_as(Role::kMonitor, {"results", "acl1", "--format", "jsonl"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(lines_of(results.out).size(), 25u) << results.out;
  EXPECT_NE(results.err.find("1 of 6 chunks have no result (dead)"), std::string::npos)
      << results.err;
  // The report reads what results, status and dead read.
  auto page = ttg_as(Role::kMonitor, {"report", "acl1", "-o", "-"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(page.out.find("\"dead_total\":1"), std::string::npos);
  auto watch = ttg_as(Role::kMonitor, {"status"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err;

  // Dead letters: the monitor reads them, the submitter retries them (the
  // complete job runs again), a worker runs the chunk again (it fails
  // again: the job completes with it dead once more).
  auto dead = ttg_as(Role::kMonitor, {"dead", "acl1", "--json"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_EQ(nlohmann::json::parse(dead.out).size(), 1u) << dead.out;
  auto retry = ttg_as(Role::kSubmitter, {"retry", "acl1", "--all"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_NE(retry.out.find("retried 1 chunk of acl1 (2)"), std::string::npos) << retry.out;
  auto again = ttg_as(Role::kWorker, {"worker", "--job", "acl1", "--threads", "2", "--worker-id",
                                      "w1", "--idle-timeout", "5"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto after = ttg_as(Role::kMonitor, {"status", "acl1", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  auto aj = nlohmann::json::parse(after.out);
  EXPECT_EQ(aj["state"], "complete");
  EXPECT_EQ(aj["dead"], 1);
  EXPECT_EQ(aj["dead_retried"], 1);

  // KEDA's redis-streams scaler: pending entries, stream length, lag mode.
  {
    const std::string tasks = queue::JobKeys("acl1").tasks;
    auto keda = redis::Connection::connect(as(Role::kKeda));
    ASSERT_TRUE(keda) << keda.error().message;
    for (const redis::Command& argv :
         std::vector<redis::Command>{{"XPENDING", tasks, queue::kGroup},
                                     {"XLEN", tasks},
                                     {"XINFO", "GROUPS", tasks},
                                     {"INFO"},
                                     {"INFO", "server"},
                                     {"PING"}}) {
      auto r = keda->command(argv);
      EXPECT_TRUE(r) << joined(argv) << ": " << r.error().message;
    }
  }

  // Submitter: the operator's commands.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"submit", "--job", "acl2", "--params", "10"},
           {"submit", "--job", "acl2", "--params", "20", "--force"},
           {"cancel", "acl2"},
           {"status", "acl2", "--json"},
           {"recover"},
           {"cleanup", "--all", "--dry-run"},
           {"cleanup", "--job", "acl2", "--force"}}) {
    auto r = ttg_as(Role::kSubmitter, args);
    EXPECT_EQ(r.exit_code, 0) << joined(args) << ": " << r.err;
  }

  EXPECT_EQ(acl_log(), "") << "commands were refused while each role did its job";
}

TEST_F(AclRolesTest, MonitorServesTheDashboard) {
  // A finished job with a dead letter and events, and a running one.
  auto sub = ttg_as(Role::kSubmitter,
                    {"submit", "--job", "s1", "--params", "6", "--chunk-size", "1", "--kernel",
                     "faulty", "--arg", "fail_chunks=2", "--max-attempts", "2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  auto work =
      ttg_as(Role::kWorker, {"worker", "--job", "s1", "--worker-id", "w1", "--idle-timeout", "5"});
  ASSERT_EQ(work.exit_code, 0) << work.err;
  ASSERT_EQ(
      ttg_as(Role::kSubmitter, {"submit", "--job", "s2", "--params", "5", "--chunk-size", "10"})
          .exit_code,
      0);  // 1 chunk

  redis::Options o = as(Role::kMonitor);
  o.password.clear();
  const std::string log = dir_->path() + "/serve.log";
  util::Process serve =
      testing::start_ttg({"serve", "--redis", redis::describe(o), "--redis-password-file",
                          password_file_, "--port", "0", "--refresh-ms", "200"},
                         log, {"TTG_CONFIG="});
  int port = 0;
  ASSERT_TRUE(testing::wait_until([&] {
    const std::string text = testing::read_file(log);
    const auto at = text.find("serving http://127.0.0.1:");
    if (at == std::string::npos) return false;
    port = std::atoi(text.c_str() + at + std::string("serving http://127.0.0.1:").size());
    return port > 0;
  })) << testing::read_file(log);
  nlohmann::json s1;
  EXPECT_TRUE(testing::wait_until([&] {
    auto r = testing::http_fetch(port, "/api/jobs/s1");
    if (r.status != 200) return false;
    s1 = nlohmann::json::parse(r.body, nullptr, false);
    return s1.is_object() && s1["redis_up"] == true && s1["dead"].size() == 1 &&
           !s1["events"].empty();
  })) << s1.dump(2)
      << "\n"
      << testing::read_file(log);
  EXPECT_EQ(testing::http_fetch(port, "/healthz").status, 200);
  auto metrics = testing::http_get(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->find("ttg_job_chunks{ttg_job=\"s2\"} 1"), std::string::npos) << *metrics;
  serve.signal(SIGTERM);
  auto st = serve.wait_for(std::chrono::seconds(30));
  ASSERT_TRUE(st);
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  EXPECT_EQ(acl_log(), "") << "ttg serve was refused a command as the monitor";
}

TEST_F(AclRolesTest, WorkerQueueCallsAreAllowed) {
  // Every call of the worker's queue, driven by hand so that each script
  // runs, takeovers and hand-backs included.
  auto sub = ttg_as(Role::kSubmitter, {"submit", "--job", "wq", "--params", "6", "--chunk-size",
                                       "1", "--max-attempts", "6"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  auto a = queue::make_redis_queue(as(Role::kWorker), {"a", "a", 100});
  auto b = queue::make_redis_queue(as(Role::kWorker), {"b", "b", 100});
  auto jobs = a->active_jobs();
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].name, "wq");
  auto view = a->job("wq");
  ASSERT_TRUE(view) << view.error().message;
  const queue::JobRef ref = view->ref();
  // The registry: both register and beat; each checks the other's liveness.
  ASSERT_TRUE(a->heartbeat(worker_info(1))) << acl_log();
  ASSERT_TRUE(b->heartbeat(worker_info(2))) << acl_log();
  auto claimed = a->claim(ref, view->spec, 4);
  ASSERT_TRUE(claimed) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 4u);
  auto renewed = a->renew(ref, {(*claimed)[0].entry_id});
  ASSERT_TRUE(renewed) << renewed.error().message;
  queue::Completion c{(*claimed)[0], 0.01, "[]"};
  auto committed = a->commit({c});
  ASSERT_TRUE(committed) << committed.error().message;
  auto failed = a->fail((*claimed)[1], "boom");
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(failed->kind, queue::FailOutcome::Kind::kRetry);
  auto dead = a->dead_letter((*claimed)[2], "malformed on purpose");
  ASSERT_TRUE(dead) << dead.error().message;
  auto released = a->release(ref, {(*claimed)[3].entry_id});
  ASSERT_TRUE(released) << released.error().message;
  // A chunk handed back goes first to the next claim.
  auto handed = b->claim(ref, view->spec, 1);
  ASSERT_TRUE(handed) << handed.error().message;
  ASSERT_EQ(handed->size(), 1u);
  EXPECT_EQ((*handed)[0].entry_id, (*claimed)[3].entry_id);
  // b, as sweeper, hands over a's chunk in retry once its lease (100 ms) has
  // run out, and claims it; then a holds nothing and leaves the group.
  bool a_retired = testing::wait_until([&] {
    // Workers beat while they live: a silence would open a grace period.
    EXPECT_TRUE(a->heartbeat(worker_info(1)));
    EXPECT_TRUE(b->heartbeat(worker_info(2)));
    // b renews nothing, so it says which chunk it holds: its own lease
    // is not its sweep's to expire.
    auto sw = b->sweep({{ref, {(*handed)[0].entry_id}}}, true);
    EXPECT_TRUE(sw) << (sw ? "" : sw.error().message);
    (void)b->claim(ref, view->spec, 10);
    auto r = a->retire("wq");
    return r && *r;
  });
  EXPECT_TRUE(a_retired) << acl_log();
  ASSERT_TRUE(a->sweep({}, false)) << acl_log();
  ASSERT_TRUE(a->refuse(ref, "testing the refusal record")) << acl_log();
  ASSERT_TRUE(a->leave()) << acl_log();
  // recover (the submitter) hands back b's chunks once b is idle past the
  // lease; once a has claimed them, b holds nothing and recover deletes it.
  auto recover_says = [&](const std::string& want) {
    return testing::wait_until([&] {
      auto r = ttg_as(Role::kSubmitter, {"recover", "--lease-ms", "100"});
      return r.exit_code == 0 && r.out.find(want) != std::string::npos;
    });
  };
  // It hands b's chunks to the queue's own consumer at once, so b holds
  // nothing and is deleted in the same pass.
  EXPECT_TRUE(recover_says("of gone consumer b")) << acl_log();
  auto back = a->claim(ref, view->spec, 10);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->empty());
  {
    auto consumers =
        connect().command({"XINFO", "CONSUMERS", queue::JobKeys("wq").tasks, queue::kGroup});
    ASSERT_TRUE(consumers);
    for (const auto& entry : consumers->elements()) {
      EXPECT_NE(entry.size() > 1 ? entry[1].str() : "", "b") << "recover did not delete consumer b";
    }
  }
  ASSERT_TRUE(b->leave()) << acl_log();
  EXPECT_EQ(acl_log(), "") << "the worker's queue was refused commands";
}

TEST_F(AclRolesTest, EachRoleIsRefusedEverythingElse) {
  auto sub = ttg_as(Role::kSubmitter, {"submit", "--job", "ro", "--params", "10"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  queue::JobKeys k("ro");
  auto admin = connect();
  ASSERT_TRUE(admin.command({"SET", "other:key", "not TTG's"}));

  // No role may touch keys outside ttg:, or run server-wide commands.
  for (Role role : queue::acl::all_roles()) {
    expect_refused(role, {"FLUSHALL"});
    expect_refused(role, {"CONFIG", "SET", "maxmemory", "1"});
    expect_refused(role, {"KEYS", "*"});
    expect_refused(role, {"SCRIPT", "FLUSH"});
    expect_refused(role, {"ACL", "SETUSER", "ttg-worker", "+@all"});
    expect_refused(role, {"EVAL", "return 1", "0"});
    expect_refused(role, {"XLEN", "other:key"});
    expect_refused(role, {"XPENDING", "other:key", "g"});
  }
  expect_refused(Role::kWorker, {"DEL", k.meta});
  expect_refused(Role::kWorker, {"XADD", "other:stream", "*", "f", "v"});
  expect_refused(Role::kWorker, {"HSET", "other:hash", "f", "v"});
  expect_refused(Role::kSubmitter, {"HSET", "other:hash", "f", "v"});
  expect_refused(Role::kSubmitter,
                 {"XREADGROUP", "GROUP", queue::kGroup, "c", "STREAMS", k.tasks, ">"});

  // The monitor reads and never writes.
  for (const redis::Command& argv : std::vector<redis::Command>{
           {"HSET", k.meta, "state", "cancelled"},
           {"XADD", k.tasks, "*", "f", "v"},
           {"DEL", k.meta},
           {"UNLINK", k.tasks},
           {"XGROUP", "CREATE", k.tasks, "g2", "0"},
           {"SCRIPT", "LOAD", "return 1"},
           {"EVALSHA", std::string(40, 'a'), "0"},
           {"XREADGROUP", "GROUP", queue::kGroup, "c", "STREAMS", k.tasks, ">"}}) {
    expect_refused(Role::kMonitor, argv);
  }
  auto cancel = ttg_as(Role::kMonitor, {"cancel", "ro"});
  EXPECT_EQ(cancel.exit_code, 3) << cancel.err;
  EXPECT_NE(cancel.err.find("NOPERM"), std::string::npos) << cancel.err;
  auto submit = ttg_as(Role::kMonitor, {"submit", "--job", "ro2", "--params", "10"});
  EXPECT_EQ(submit.exit_code, 3) << submit.err;

  // KEDA reads the task stream's counts only.
  expect_refused(Role::kKeda, {"XRANGE", k.results, "-", "+"});
  expect_refused(Role::kKeda, {"HGETALL", k.meta});
  expect_refused(Role::kKeda, {"XADD", k.tasks, "*", "f", "v"});

  // Nothing was changed meanwhile.
  auto state = admin.command({"HGET", k.meta, "state"});
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->str(), "pending");
  auto other = admin.command({"GET", "other:key"});
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->str(), "not TTG's");
  // Redis logged the refusals: an empty ACL LOG in the other tests means
  // that nothing was refused.
  EXPECT_NE(acl_log(), "");
}

TEST_F(AclRolesTest, ReadOnlyRolesHaveNoWriteCommand) {
  auto admin = connect();
  // The flags Redis gives `command` (COMMAND INFO: [name, arity, flags, ...]).
  auto flags_of = [&](const std::string& command) {
    std::set<std::string> flags;
    auto info = admin.command({"COMMAND", "INFO", command});
    EXPECT_TRUE(info) << info.error().message;
    if (!info || info->size() != 1 || !(*info)[0].is_array()) {
      ADD_FAILURE() << "Redis does not know " << command;
      return flags;
    }
    for (const auto& f : (*info)[0][2].elements()) flags.insert(f.str());
    return flags;
  };
  ASSERT_EQ(flags_of("xadd").count("write"), 1u) << "the check would find no write command";
  for (Role role : {Role::kMonitor, Role::kKeda}) {
    for (const std::string& command : queue::acl::commands(role)) {
      SCOPED_TRACE(std::string(queue::acl::role_name(role)) + ": " + command);
      EXPECT_EQ(flags_of(command).count("write"), 0u);
    }
  }
}

TEST_F(AclRolesTest, AclFileDefinesTheSameUsers) {
  auto file = testing::run_ttg({"acl", "--format", "file", "--password-file", password_file_},
                               {"TTG_CONFIG="});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  const std::string path = dir_->path() + "/users.acl";
  {
    std::ofstream out(path);
    out << file.out << "user admin on >" << kAdminPassword << " ~* &* +@all\n"
        << "user default off\n";
  }
  redis::LocalServerOptions o;
  o.extra_config = {"aclfile \"" + path + "\""};
  o.user = "admin";
  o.password = kAdminPassword;
  auto from_file = testing::start_redis(o);
  ASSERT_NE(from_file, nullptr);
  auto file_admin = redis::Connection::connect(from_file->options());
  ASSERT_TRUE(file_admin) << file_admin.error().message;
  auto admin = connect();
  // ACL GETUSER as text, with the commands sorted (Redis lists them in no
  // fixed order).
  auto user_of = [](redis::Connection& conn, Role role) {
    auto r = conn.command({"ACL", "GETUSER", queue::acl::user_name(role)});
    if (!r) return "error: " + r.error().message;
    std::string out;
    for (size_t i = 0; i + 1 < r->size(); i += 2) {
      std::string value = (*r)[i + 1].debug_string();
      if ((*r)[i].str() == "commands") {
        auto words = util::split((*r)[i + 1].str(), ' ');
        std::sort(words.begin(), words.end());
        value.clear();
        for (const auto& w : words) value += w + " ";
      }
      out += (*r)[i].str() + ": " + value + "\n";
    }
    return out;
  };
  for (Role role : queue::acl::all_roles()) {
    SCOPED_TRACE(queue::acl::role_name(role));
    std::string want = user_of(admin, role);
    EXPECT_NE(want.find("commands: +"), std::string::npos) << want;
    EXPECT_EQ(user_of(*file_admin, role), want);
    redis::Options user = from_file->options();
    user.user = queue::acl::user_name(role);
    user.password = kRolePassword;
    EXPECT_TRUE(redis::Connection::connect(user));
  }
}

}  // namespace
}  // namespace ttg

// Hostile input to `ttg`, run as a user runs it: malformed Redis URLs, wrong
// and missing passwords, unreachable servers and ports that are not Redis,
// oversized files and specs, bad numbers in every numeric flag and
// environment variable, and bad usage. Each row gives a command line (with
// its environment and the files it names), the exit code (cli/exit_codes.h),
// a piece of stderr that says what is wrong and where (flag, variable or
// file:line), and secrets that must never be printed. After every row the
// private Redis, seeded with a running job and a key of someone else's, must
// hold exactly what it held before: every key, its type, its DUMP and TTL.
//
// The rejected spec files of tests/integration/cli/submit_spec_test.cc are
// not repeated here.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/config.h"
#include "queue/redis_queue.h"
#include "redis/local_server.h"
#include "support/fake_peer.h"
#include "support/redis_fixture.h"
#include "support/scratch_dir.h"
#include "support/ttg_process.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kUsage = 2;    // cli::kExitUsage
constexpr int kFailure = 1;  // cli::kExitFailure
constexpr int kRedis = 3;    // cli::kExitRedis

// Every variable of the settings table set to "" (which counts as unset), so
// that the caller's environment cannot change an outcome.
std::vector<std::string> clean_env() {
  std::vector<std::string> env;
  for (const auto& info : cli::settings_table()) {
    for (const auto& var : info.env) env.push_back(std::string(var.name) + "=");
  }
  return env;
}

// How long a rejected command may take unless its row says otherwise:
// generous, for sanitizer builds that parse the largest files slowly; the
// rows about time-outs set their own, tighter bounds.
constexpr milliseconds kMaxTime{40000};

// One hostile command line and what `ttg` must answer.
struct Row {
  Row() = default;
  Row(std::string what_, std::vector<std::string> args_, std::vector<std::string> env_,
      int exit_code_, std::string want_, std::vector<std::string> secrets_ = {},
      milliseconds max_time_ = kMaxTime)
      : what(std::move(what_)),
        args(std::move(args_)),
        env(std::move(env_)),
        exit_code(exit_code_),
        want(std::move(want_)),
        secrets(std::move(secrets_)),
        max_time(max_time_) {}

  std::string what;                  // the case, for failure messages
  std::vector<std::string> args;     // after `ttg`
  std::vector<std::string> env;      // NAME=value, on top of clean_env()
  int exit_code = 0;                 // cli/exit_codes.h
  std::string want;                  // must appear in stderr
  std::vector<std::string> secrets;  // must appear in neither stdout nor stderr
  milliseconds max_time = kMaxTime;  // the command must end within this
};

std::string command_line(const Row& row) {
  std::string s;
  for (const auto& e : row.env) s += (e.size() > 80 ? e.substr(0, 80) + "..." : e) + " ";
  s += "ttg";
  for (const auto& a : row.args) s += " '" + (a.size() > 80 ? a.substr(0, 80) + "..." : a) + "'";
  return s;
}

using testing::FakePeer;

// Everything a database holds: each key with its type, TTL and DUMP, and
// the keyspace line of every database.
struct Snapshot {
  std::map<std::string, std::string> keys;
  std::string keyspace;
  bool operator==(const Snapshot& o) const { return keys == o.keys && keyspace == o.keyspace; }
};

// What differs between `a` and `b`, for a failure message.
std::string diff(const Snapshot& a, const Snapshot& b) {
  std::string out;
  for (const auto& [k, v] : a.keys) {
    auto it = b.keys.find(k);
    if (it == b.keys.end()) {
      out += "  deleted " + k + "\n";
    } else if (it->second != v) {
      out += "  changed " + k + "\n";
    }
  }
  for (const auto& [k, v] : b.keys) {
    if (a.keys.count(k) == 0) out += "  added " + k + "\n";
  }
  if (a.keyspace != b.keyspace) out += "  keyspace: " + a.keyspace + " -> " + b.keyspace + "\n";
  return out;
}

class BadInputTest : public testing::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(seed());
  }

  // A job in the middle of its run, so that there is something to damage:
  // one chunk committed, one claimed by a worker, two still queued; and a
  // key in database 0 and one in database 3 that are not TTG's.
  void seed() {
    JobSpec spec;
    spec.kernel = "noop";
    spec.total_params = 20;
    spec.chunk_size = 5;
    queue::JobStore store(server_->options());
    auto sub = store.submit("live", spec, {});
    ASSERT_TRUE(sub) << sub.error().message;
    auto q = queue::make_redis_queue(server_->options(), {"seed-worker", "seed-worker", 60000});
    auto view = q->job("live");
    ASSERT_TRUE(view) << view.error().message;
    auto claimed = q->claim(view->ref(), view->spec, 2);
    ASSERT_TRUE(claimed) << claimed.error().message;
    ASSERT_EQ(claimed->size(), 2u);
    queue::Completion done{(*claimed)[0], 0.01, "[{\"param_index\":0}]"};
    auto committed = q->commit({done});
    ASSERT_TRUE(committed) << committed.error().message;
    auto conn = connect();
    ASSERT_TRUE(conn.command({"SET", "someone-elses", "precious"}));
    ASSERT_TRUE(conn.command({"SELECT", "3"}));
    ASSERT_TRUE(conn.command({"SET", "in-db-3", "precious"}));
    auto status = store.status("live");
    ASSERT_TRUE(status) << status.error().message;
    ASSERT_EQ(status->state, JobState::kRunning);
    ASSERT_EQ(status->done, 1);
  }

  Snapshot snapshot() {
    Snapshot s;
    auto conn = connect();
    auto keys = conn.command({"KEYS", "*"});
    EXPECT_TRUE(keys) << keys.error().message;
    if (!keys) return s;
    for (const auto& k : keys->elements()) {
      const std::string& key = k.str();
      auto type = conn.command({"TYPE", key});
      auto ttl = conn.command({"PTTL", key});
      auto dump = conn.command({"DUMP", key});
      EXPECT_TRUE(type && ttl && dump) << key;
      if (!type || !ttl || !dump) continue;
      s.keys[key] = type->str() + "|" + std::to_string(ttl->integer()) + "|" + dump->str();
    }
    auto info = conn.command({"INFO", "keyspace"});
    EXPECT_TRUE(info) << info.error().message;
    if (info) {
      // "db0:keys=7,expires=0,avg_ttl=0": keep the key counts only.
      std::istringstream lines(info->str());
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("db", 0) == 0) s.keyspace += line.substr(0, line.find(",expires")) + " ";
      }
    }
    return s;
  }

  // The URL of the test's server.
  std::string url() const { return server_->url(); }

  // Writes `text` to a file of the test's directory; returns its path.
  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  // A file of `size` bytes that starts with `head` and takes no disk space
  // beyond it (a sparse file).
  std::string sparse(const std::string& name, const std::string& head, std::uintmax_t size) {
    std::string path = write(name, head);
    std::filesystem::resize_file(path, size);
    return path;
  }

  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

  // Runs every row and checks it; Redis must be unchanged after each.
  void check(const std::vector<Row>& rows) {
    RecordProperty("rows", static_cast<int>(rows.size()));
    Snapshot before = snapshot();
    ASSERT_FALSE(before.keys.empty());
    const std::vector<std::string> base_env = clean_env();
    for (const Row& row : rows) {
      SCOPED_TRACE(row.what + ": " + command_line(row));
      std::vector<std::string> env = base_env;
      env.insert(env.end(), row.env.begin(), row.env.end());
      auto start = steady_clock::now();
      // Killed past the bound (and reported by run_ttg) rather than waited for.
      auto r = testing::run_ttg(row.args, env, static_cast<int>(row.max_time.count()) + 5000);
      auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
      EXPECT_EQ(r.exit_code, row.exit_code) << "stderr: " << r.err << "stdout: " << r.out;
      EXPECT_NE(r.err.find(row.want), std::string::npos)
          << "want in stderr: " << row.want << "\nstderr: " << r.err;
      EXPECT_LE(took, row.max_time) << "took " << took.count() << " ms";
      for (const auto& secret : row.secrets) {
        EXPECT_EQ(r.err.find(secret), std::string::npos) << "stderr shows a secret: " << r.err;
        EXPECT_EQ(r.out.find(secret), std::string::npos) << "stdout shows a secret: " << r.out;
      }
      Snapshot after = snapshot();
      if (!(after == before)) {
        ADD_FAILURE() << "Redis changed:\n" << diff(before, after);
        before = std::move(after);  // so that only this row is blamed
      }
    }
  }

  testing::ScratchDir dir_{"ttg-bad-input-"};
};

// ---- Redis URLs ----

TEST_F(BadInputTest, MalformedRedisUrls) {
  const std::string secret = "hunter2-Secret";
  auto closed = redis::pick_free_port();
  ASSERT_TRUE(closed) << closed.error().message;
  const std::string dead = "127.0.0.1:" + std::to_string(*closed);
  struct Url {
    std::string url;
    std::string want;  // after "invalid Redis URL: "
  };
  const Url urls[] = {
      {"http://127.0.0.1:6379", "must start with redis://, rediss:// or unix://"},
      {"rediss://127.0.0.1:notaport", "port must be an integer from 1 to 65535"},
      {"rediss://", "missing host"},
      {"127.0.0.1:6379", "must start with redis://, rediss:// or unix://"},
      {"redis://127.0.0.1:notaport", "port must be an integer from 1 to 65535"},
      {"redis://127.0.0.1:0", "port must be an integer from 1 to 65535"},
      {"redis://127.0.0.1:99999", "port must be an integer from 1 to 65535"},
      {"redis://127.0.0.1:-1", "port must be an integer from 1 to 65535"},
      {"redis://127.0.0.1:99999999999999999999", "port must be an integer from 1 to 65535"},
      {"redis://127.0.0.1:", "port must be an integer from 1 to 65535"},
      {"redis://:6379", "missing host"},
      {"redis://", "missing host"},
      {"redis:///0", "missing host"},
      {"redis://[::1", "unclosed '[' in host"},
      {"redis://[::1]x", "junk after ']' in host"},
      {"redis://127.0.0.1:6379/notadb", "database number must be an integer from 0 to 1000000"},
      {"redis://127.0.0.1:6379/-1", "database number must be an integer from 0 to 1000000"},
      {"redis://127.0.0.1:6379/99999999999", "database number must be an integer"},
      {"unix://relative.sock", "unix socket path must be absolute"},
      {"unix:///tmp/x.sock?db=x", "database number must be an integer"},
      {"unix:///tmp/x.sock?timeout=1", "unknown query parameter"},
      {"\x01\x02garbage\xff", "must start with redis://, rediss:// or unix://"},
      {"", ""},
      // Passwords in malformed URLs: never echoed, wherever the parser stops.
      {"redis://user:" + secret + "@127.0.0.1:99999", "port must be an integer from 1 to 65535"},
      {"redis://user:" + secret + "@:6379", "missing host"},
      {"redis://user:" + secret, "port must be an integer from 1 to 65535"},
      {"redis://user:" + secret + "/x@127.0.0.1:6379", "database number must be an integer"},
      {"redis://user:" + secret + "%zz@127.0.0.1:6379", "malformed percent-escape in password"},
      {"http://user:" + secret + "@127.0.0.1:6379",
       "must start with redis://, rediss:// or unix://"},
  };
  std::vector<Row> rows;
  // Every command that talks to Redis, in turn.
  const std::vector<std::vector<std::string>> commands = {
      {"status"},
      {"submit", "--params", "10", "--job", "x"},
      {"worker"},
      {"results", "live"},
      {"cancel", "live"},
      {"jobs"},
      {"cleanup", "--all", "--force"},
      {"recover"}};
  size_t n = 0;
  for (const auto& u : urls) {
    std::vector<std::string> args = commands[n++ % commands.size()];
    args.insert(args.end(), {"--redis", u.url});
    const std::string message = u.url.empty() ? "empty Redis URL" : "invalid Redis URL: " + u.want;
    rows.push_back({"flag", args, {}, kUsage, "--redis: " + message, {secret}});
    if (u.url.empty()) continue;  // an empty variable counts as unset
    rows.push_back({"env",
                    commands[n++ % commands.size()],
                    {"TTG_REDIS_URL=" + u.url},
                    kUsage,
                    "TTG_REDIS_URL: " + message,
                    {secret}});
  }
  // In a config file, with its line.
  rows.push_back({"config file",
                  {"status", "--config",
                   write("ttg.yaml", "log_level: info\nredis_url: redis://u:" + secret + "@h:0\n")},
                  {},
                  kUsage,
                  path("ttg.yaml") + ":2: invalid Redis URL: port must be",
                  {secret}});
  // The password of a well-formed URL is not shown when the server is not there.
  rows.push_back({"password of an unreachable server",
                  {"status", "--redis", "redis://user:" + secret + "@" + dead + "/2"},
                  {},
                  kRedis,
                  "redis://user@" + dead + "/2",
                  {secret}});
  // (A worker waits --connect-timeout for a Redis that is not up yet; 0 =
  // one try. worker_startup_test.cc tests the waiting.)
  rows.push_back({"password of an unreachable server, from the environment",
                  {"worker", "--job", "live"},
                  {"TTG_REDIS_URL=redis://:" + secret + "@" + dead, "TTG_CONNECT_TIMEOUT=0"},
                  kRedis,
                  "redis://" + dead,
                  {secret}});
  // The prototype's variables.
  rows.push_back({"REDIS_PORT 0",
                  {"jobs"},
                  {"REDIS_PORT=0"},
                  kUsage,
                  "REDIS_PORT: expected a positive integer, got '0'"});
  rows.push_back({"REDIS_PORT too big",
                  {"jobs"},
                  {"REDIS_PORT=65536"},
                  kUsage,
                  "REDIS_PORT: must be at most 65535"});
  rows.push_back({"REDIS_PORT text",
                  {"jobs"},
                  {"REDIS_PORT=redis"},
                  kUsage,
                  "REDIS_PORT: expected a positive integer, got 'redis'"});
  check(rows);
}

// ---- Unreachable Redis, and ports that are not Redis ----

TEST_F(BadInputTest, UnreachableRedisAndPeersThatAreNotRedis) {
  auto closed = redis::pick_free_port();
  ASSERT_TRUE(closed) << closed.error().message;
  const std::string dead = "127.0.0.1:" + std::to_string(*closed);
  FakePeer http("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", FakePeer::Then::kKeepOpen);
  FakePeer junk(std::string("\x16\x03\x01\x00\x05\0\0\0\0\0", 10), FakePeer::Then::kKeepOpen);
  FakePeer hangs_up("", FakePeer::Then::kClose);
  FakePeer silent("", FakePeer::Then::kKeepOpen);
  std::vector<Row> rows;
  // A worker waits --connect-timeout for a Redis that does not answer yet;
  // 0 = one try (worker_startup_test.cc tests the waiting).
  const std::vector<std::vector<std::string>> commands = {
      {"status"},
      {"submit", "--params", "10", "--job", "x"},
      {"worker", "--job", "live", "--idle-timeout", "1", "--connect-timeout", "0"},
      {"results", "live"},
      {"cancel", "live"},
      {"jobs"},
      {"cleanup", "--job", "live", "--force"},
      {"recover"}};
  for (const auto& cmd : commands) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--redis", "redis://" + dead});
    rows.push_back(
        {"closed port", args, {}, kRedis, "redis://" + dead + ": connect", {}, milliseconds(5000)});
  }
  rows.push_back({"REDIS_HOST and REDIS_PORT of a closed port",
                  {"status"},
                  {"REDIS_HOST=127.0.0.1", "REDIS_PORT=" + std::to_string(*closed)},
                  kRedis,
                  "redis://" + dead,
                  {},
                  milliseconds(5000)});
  rows.push_back({"missing unix socket",
                  {"jobs", "--redis", "unix://" + path("no-such.sock")},
                  {},
                  kRedis,
                  "unix://" + path("no-such.sock"),
                  {},
                  milliseconds(5000)});
  for (const auto& cmd : commands) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--redis", http.url()});
    rows.push_back({"HTTP server",
                    args,
                    {},
                    kRedis,
                    http.address() + ": PING: not a Redis server",
                    {},
                    milliseconds(5000)});
  }
  rows.push_back({"binary junk",
                  {"submit", "--params", "10", "--job", "x", "--redis", junk.url()},
                  {},
                  kRedis,
                  junk.address() + ": PING: not a Redis server",
                  {},
                  milliseconds(5000)});
  rows.push_back({"peer hangs up",
                  {"worker", "--job", "live", "--connect-timeout", "0", "--redis", hangs_up.url()},
                  {},
                  kRedis,
                  hangs_up.address() + ": PING: server closed the connection",
                  {},
                  milliseconds(5000)});
  // Accepts and never answers: the command time-out (5 s) ends the wait.
  for (const auto& cmd :
       std::vector<std::vector<std::string>>{{"status", "live"},
                                             {"submit", "--params", "10", "--job", "x"},
                                             {"worker", "--connect-timeout", "0"}}) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--redis", silent.url()});
    rows.push_back({"silent peer",
                    args,
                    {},
                    kRedis,
                    silent.address() + ": PING: timed out",
                    {},
                    milliseconds(12000)});
  }
  check(rows);
}

// ---- Passwords and ACL users ----

class BadAuthTest : public BadInputTest {
 protected:
  static constexpr const char* kPassword = "Corr3ct-Horse-pw";
  static constexpr const char* kWrong = "Wr0ng-Guess-pw";
  static constexpr const char* kReaderPassword = "Read3r-Only-pw";
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.password = kPassword;
    // A user who may read but not write, and one who may do nothing.
    o.extra_config = {
        std::string("user reader on >") + kReaderPassword + " ~* &* +@read +@connection",
        std::string("user nobody on >") + kReaderPassword + " ~* &* -@all"};
    return o;
  }
  std::string authority() const { return "127.0.0.1:" + std::to_string(server_->port()); }
};

TEST_F(BadAuthTest, WrongMissingAndUnprivilegedCredentials) {
  const std::string host = authority();
  const std::vector<std::string> secrets = {kPassword, kWrong, kReaderPassword};
  std::vector<Row> rows = {
      {"no password",
       {"status", "--redis", url()},
       {},
       kRedis,
       "redis://" + host + ": PING: NOAUTH",
       secrets},
      {"no password, worker",
       {"worker", "--job", "live", "--redis", url()},
       {},
       kRedis,
       "redis://" + host + ": PING: NOAUTH",
       secrets},
      {"wrong password from the environment",
       {"submit", "--params", "5", "--job", "x", "--redis", url()},
       {std::string("TTG_REDIS_PASSWORD=") + kWrong},
       kRedis,
       "redis://" + host + ": AUTH: WRONGPASS",
       secrets},
      {"wrong password from a file",
       {"cancel", "live", "--redis", url(), "--redis-password-file",
        write("pw", std::string(kWrong) + "\n")},
       {},
       kRedis,
       "redis://" + host + ": AUTH: WRONGPASS",
       secrets},
      {"wrong password in the URL",
       {"results", "live", "--redis", "redis://:" + std::string(kWrong) + "@" + host},
       {},
       kRedis,
       "redis://" + host + ": AUTH: WRONGPASS",
       secrets},
      {"unknown user in the URL",
       {"jobs", "--redis", "redis://ghost:" + std::string(kPassword) + "@" + host},
       {},
       kRedis,
       "redis://ghost@" + host + ": AUTH: WRONGPASS",
       secrets},
      {"right password for the wrong user",
       {"cleanup", "--all", "--force", "--redis",
        "redis://reader:" + std::string(kPassword) + "@" + host},
       {},
       kRedis,
       "redis://reader@" + host + ": AUTH: WRONGPASS",
       secrets},
      {"missing password file",
       {"status", "--redis", url(), "--redis-password-file", path("missing-pw")},
       {},
       kUsage,
       "--redis-password-file: cannot read password file '" + path("missing-pw") + "'",
       secrets},
      {"empty password file",
       {"status", "--redis", url(), "--redis-password-file", write("empty-pw", "\n")},
       {},
       kUsage,
       "--redis-password-file: password file '" + path("empty-pw") + "' is empty",
       secrets},
      {"password file is a directory",
       {"status", "--redis", url(), "--redis-password-file", dir_.path()},
       {},
       kUsage,
       "--redis-password-file: cannot read password file '" + dir_.path() + "'",
       secrets},
      {"endless password file",
       {"status", "--redis", url(), "--redis-password-file", "/dev/zero"},
       {},
       kUsage,
       "--redis-password-file: cannot read password file '/dev/zero': larger than",
       secrets},
      {"two passwords",
       {"status", "--redis", url(), "--redis-password-file", write("pw2", std::string(kPassword))},
       {std::string("TTG_REDIS_PASSWORD=") + kPassword},
       kUsage,
       "TTG_REDIS_PASSWORD and --redis-password-file: two Redis passwords given",
       secrets},
      // Authenticated, but not allowed: refused, exit 3, and nothing written.
      {"user who may not write submits",
       {"submit", "--params", "5", "--job", "x", "--redis", "redis://reader@" + host},
       {std::string("TTG_REDIS_PASSWORD=") + kReaderPassword},
       kRedis,
       "NOPERM",
       secrets},
      {"user who may not write cancels",
       {"cancel", "live", "--redis", "redis://reader@" + host},
       {std::string("TTG_REDIS_PASSWORD=") + kReaderPassword},
       kRedis,
       "NOPERM",
       secrets},
      {"user who may not write cleans up",
       {"cleanup", "--job", "live", "--force", "--redis", "redis://reader@" + host},
       {std::string("TTG_REDIS_PASSWORD=") + kReaderPassword},
       kRedis,
       "NOPERM",
       secrets},
      {"user who may do nothing",
       {"status", "live", "--redis", "redis://nobody@" + host},
       {std::string("TTG_REDIS_PASSWORD=") + kReaderPassword},
       kRedis,
       "redis://nobody@" + host + ": PING: NOPERM",
       secrets},
  };
  check(rows);
}

// ---- Oversized files, specs, chunks and jobs ----

TEST_F(BadInputTest, OversizedInputIsRefusedBeforeRedis) {
  std::vector<Row> rows;
  auto submit = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "submit");
    args.insert(args.end(), {"--job", "big", "--redis", url()});
    return args;
  };
  // Files too big to read, or endless.
  const std::string big_csv = sparse("big.csv", "a\n1\n", (64u << 20) + 1);
  rows.push_back({"params file over 64 MiB",
                  submit({"--kernel", "noop", "--params-file", big_csv}),
                  {},
                  kUsage,
                  "--params-file: cannot read '" + big_csv + "': larger than 64 MiB"});
  rows.push_back({"endless params file",
                  submit({"--kernel", "noop", "--params-file", "/dev/zero"}),
                  {},
                  kUsage,
                  "--params-file: cannot read '/dev/zero': larger than 64 MiB"});
  const std::string big_spec = sparse("big.yaml", "kernel: noop\n", (16u << 20) + 1);
  rows.push_back({"spec file over 16 MiB",
                  submit({"--spec", big_spec}),
                  {},
                  kUsage,
                  "--spec: cannot read '" + big_spec + "': larger than 16 MiB"});
  rows.push_back({"endless spec file",
                  submit({"--spec", "/dev/zero"}),
                  {},
                  kUsage,
                  "--spec: cannot read '/dev/zero': larger than 16 MiB"});
  const std::string big_conf = sparse("big-ttg.yaml", "log_level: info\n", (1u << 20) + 1);
  rows.push_back({"config file over 1 MiB",
                  {"status", "--config", big_conf},
                  {},
                  kUsage,
                  "--config: cannot read '" + big_conf + "': larger than 1 MiB"});
  rows.push_back({"endless config file",
                  {"jobs"},
                  {"TTG_CONFIG=/dev/zero"},
                  kUsage,
                  "TTG_CONFIG: cannot read '/dev/zero': larger than 1 MiB"});
  // Tables with too many rows or columns.
  {
    std::string text = "a\n";
    for (int i = 0; i <= 1000000; ++i) text += "1\n";
    const std::string rows_csv = write("rows.csv", text);
    rows.push_back({"table of 1000001 rows",
                    submit({"--kernel", "noop", "--params-file", rows_csv}),
                    {},
                    kUsage,
                    rows_csv + ":1000002: more than 1000000 rows"});
  }
  {
    std::string header, values;
    for (int i = 0; i < 257; ++i) {
      header += (i ? ",c" : "c") + std::to_string(i);
      values += i ? ",1" : "1";
    }
    const std::string cols_csv = write("cols.csv", header + "\n" + values + "\n");
    rows.push_back({"table of 257 columns",
                    submit({"--kernel", "noop", "--params-file", cols_csv}),
                    {},
                    kUsage,
                    cols_csv + ":1: 257 columns, more than 256"});
    std::string object = "{";
    for (int i = 0; i < 257; ++i) object += (i ? ",\"c" : "\"c") + std::to_string(i) + "\": 1";
    const std::string cols_jsonl = write("cols.jsonl", object + "}\n");
    rows.push_back({"JSON lines of 257 keys",
                    submit({"--kernel", "noop", "--params-file", cols_jsonl}),
                    {},
                    kUsage,
                    cols_jsonl + ":1: 257 columns, more than 256"});
  }
  {
    const std::string long_cell = write("cell.csv", "label\n\"" + std::string(5000, 'x') + "\"\n");
    rows.push_back({"table cell of 5000 bytes",
                    submit({"--kernel", "noop", "--params-file", long_cell}),
                    {},
                    kUsage,
                    long_cell + ":2: column 'label': a string of 5000 bytes, more than 4096"});
  }
  // Specs with an enormous string or list, or too many dimensions.
  {
    const std::string s = write("string.yaml", "kernel: noop\nparams:\n  dims:\n    a: [1, \"" +
                                                   std::string(8u << 20, 'y') + "\"]\n");
    rows.push_back({"spec with an 8 MiB string",
                    submit({"--spec", s}),
                    {},
                    kUsage,
                    s + ":4: dimension 'a': value 2: a string of 8388608 bytes, more than 4096"});
    std::string list = "kernel: noop\nparams:\n  dims:\n    a: [";
    for (int i = 0; i <= 1000000; ++i) list += i ? ",1" : "1";
    const std::string l = write("list.yaml", list + "]\n");
    rows.push_back({"spec with a list of 1000001 values",
                    submit({"--spec", l}),
                    {},
                    kUsage,
                    l + ":4: dimension 'a': more than 1000000 values"});
    std::string dims = "kernel: noop\nparams:\n  dims:\n";
    for (int i = 0; i < 257; ++i) dims += "    d" + std::to_string(i) + ": [1]\n";
    const std::string d = write("dims.yaml", dims);
    rows.push_back({"spec with 257 dimensions",
                    submit({"--spec", d}),
                    {},
                    kUsage,
                    d + ":4: params.dims: 257 dimensions, more than 256"});
    // Aliases repeat one list without growing the file.
    std::string alias = "kernel: noop\nparams:\n  dims:\n    d0: &v [";
    for (int i = 0; i < 1000000; ++i) alias += i ? ",1" : "1";
    alias += "]\n";
    for (int i = 1; i < 12; ++i) alias += "    d" + std::to_string(i) + ": *v\n";
    const std::string a = write("alias.yaml", alias);
    rows.push_back({"spec whose aliases repeat a long list",
                    submit({"--spec", a}),
                    {},
                    kUsage,
                    a + ":14: params: more than 10000000 listed values"});
  }
  {
    // Nine lines of nested aliases: 10^9 values once copied.
    std::string laughs = "kernel: noop\nparams: 10\nargs:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n";
    for (char c = 'b'; c <= 'i'; ++c) {
      std::string prev(1, static_cast<char>(c - 1));
      laughs += std::string("  ") + c + ": &" + c + " [";
      for (int i = 0; i < 10; ++i) laughs += (i ? ",*" : "*") + prev;
      laughs += "]\n";
    }
    const std::string l = write("laughs.yaml", laughs);
    rows.push_back({"spec whose args are a billion laughs",
                    submit({"--spec", l}),
                    {},
                    kUsage,
                    l + ":4: args.e: more than 100000 values (an alias counts each time"});
  }
  // One giant chunk, and more chunks than a job may have.
  rows.push_back({"chunk size over the limit",
                  submit({"--params", "10", "--chunk-size", "1000001"}),
                  {},
                  kUsage,
                  "--chunk-size: must be at most 1000000"});
  rows.push_back({"chunk size over the limit, from CHUNK_SIZE",
                  submit({"--params", "10"}),
                  {"CHUNK_SIZE=9223372036854775807"},
                  kUsage,
                  "CHUNK_SIZE: must be at most 1000000"});
  {
    const std::string s = write("chunk.yaml", "kernel: noop\nparams: 10\nchunk_size: 2000000\n");
    rows.push_back({"chunk size over the limit, in a spec",
                    submit({"--spec", s}),
                    {},
                    kUsage,
                    s + ":3: chunk_size: must be at most 1000000, got 2000000"});
  }
  rows.push_back({"chunk count over the limit",
                  submit({"--params", "9223372036854775807", "--chunk-size", "1"}),
                  {},
                  kUsage,
                  "--chunk-size 1: 9223372036854775807 points make 9223372036854775807 chunks, "
                  "more than 100000000"});
  rows.push_back({"chunk count over the limit, default chunk size of exec",
                  submit({"--params", "1000000001", "--exec", "true"}),
                  {},
                  kUsage,
                  "--chunk-size 10 (default): 1000000001 points make 100000001 chunks"});
  rows.push_back({"chunk count over the limit, automatic chunk size",
                  submit({"--params", "100000000000001", "--kernel", "noop"}),
                  {},
                  kUsage,
                  "--chunk-size auto (default): 100000000000001 points make 100000001 chunks even "
                  "of the largest size (1000000 points)"});
  rows.push_back({"chunk count over the limit, from TOTAL_PARAMETERS",
                  submit({}),
                  {"TOTAL_PARAMETERS=9223372036854775807", "CHUNK_SIZE=1000"},
                  kUsage,
                  "CHUNK_SIZE 1000: 9223372036854775807 points make 9223372036854776 chunks"});
  {
    const std::string s = write("space.yaml",
                                "kernel: noop\nparams:\n  dims:\n    a: {range: {start: 0, stop: "
                                "2000000000}}\n    b: {range: {start: 0, stop: 2000000000}}\n");
    rows.push_back({"chunk count of a spec's space",
                    submit({"--spec", s, "--chunk-size", "1000"}),
                    {},
                    kUsage,
                    "--chunk-size 1000: 4000000000000000000 points make"});
  }
  rows.push_back({"chunk count over the limit, static worker",
                  {"worker", "--static", "--index", "0", "--count", "1", "--params",
                   "9223372036854775807", "--chunk-size", "1", "--output", path("static.json")},
                  {},
                  kUsage,
                  "ttg worker: --chunk-size 1: 9223372036854775807 points make"});
  rows.push_back({"job name of 101 characters",
                  {"submit", "--params", "10", "--job", std::string(101, 'j'), "--redis", url()},
                  {},
                  kUsage,
                  "--job: job name must have 1 to 100 characters"});
  // (An environment string holds at most 128 KiB.)
  rows.push_back({"job name of 100000 characters",
                  {"submit", "--params", "10", "--redis", url()},
                  {"TTG_JOB=" + std::string(100000, 'j')},
                  kUsage,
                  "TTG_JOB: job name must have 1 to 100 characters"});
  check(rows);
}

// ---- Numbers: every numeric flag and variable ----

// A numeric setting, how a command takes it, and its range.
struct Numeric {
  std::string source;  // "--params" or "TOTAL_PARAMETERS"
  std::vector<std::string> command;
  int64_t min;
  std::string max;  // the largest value, as text
};

TEST_F(BadInputTest, BadNumbersInEveryNumericFlagAndVariable) {
  const std::vector<std::string> submit = {"submit", "--job", "n"};
  const std::vector<std::string> worker = {"worker", "--job", "live"};
  const std::vector<std::string> status = {"status", "live"};
  const std::vector<std::string> results = {"results", "live"};
  const std::vector<std::string> config = {"config"};
  const Numeric settings[] = {
      {"--params", submit, 1, "9223372036854775807"},
      {"--chunk-size", submit, 1, "1000000"},
      {"--max-attempts", submit, 1, "1000"},
      {"--work-ms", submit, 0, "86400000"},
      {"--params", worker, 1, "9223372036854775807"},
      {"--chunk-size", worker, 1, "1000000"},
      {"--max-attempts", worker, 1, "1000"},
      {"--work-ms", worker, 0, "86400000"},
      {"--threads", worker, 1, "4096"},
      {"--lease-ms", worker, 100, "86400000"},
      {"--reclaim-interval-ms", worker, 10, "86400000"},
      {"--idle-timeout", worker, 0, "2147483647"},
      {"--drain-timeout", worker, 0, "2147483647"},
      {"--connect-timeout", worker, 0, "86400"},
      {"--metrics-port", config, 0, "65535"},
      {"--metrics-port", worker, 0, "65535"},
      {"TOTAL_PARAMETERS", submit, 1, "9223372036854775807"},
      {"CHUNK_SIZE", submit, 1, "1000000"},
      {"BATCH_SIZE", worker, 1, "1000000"},
      {"TTG_MAX_ATTEMPTS", submit, 1, "1000"},
      {"SIMULATE_WORK_MS", worker, 0, "86400000"},
      {"TTG_THREADS", worker, 1, "4096"},
      {"TTG_LEASE_MS", worker, 100, "86400000"},
      {"STALE_THRESHOLD_MS", status, 100, "86400000"},
      {"TTG_RECLAIM_INTERVAL_MS", worker, 10, "86400000"},
      {"STALE_CHECK_INTERVAL_SECONDS", worker, 1, "86400"},
      {"IDLE_TIMEOUT_SECONDS", results, 0, "2147483647"},
      {"TTG_DRAIN_TIMEOUT", worker, 0, "2147483647"},
      {"TTG_CONNECT_TIMEOUT", worker, 0, "86400"},
      {"TTG_METRICS_PORT", worker, 0, "65535"},
      {"REDIS_PORT", config, 1, "65535"},
  };
  // Not numbers at all, or out of every range.
  const std::vector<std::string> garbage = {
      "abc",   "1.5", "1e400", "99999999999999999999", "-99999999999999999999", "0x10", "12abc",
      "1,000", "NaN", "-"};
  std::vector<Row> rows;
  for (const auto& s : settings) {
    const bool is_flag = s.source.rfind("--", 0) == 0;
    auto row = [&](const std::string& value, const std::string& want) {
      Row r;
      r.what = s.source + " " + value;
      r.args = s.command;
      if (is_flag) {
        r.args.insert(r.args.end(), {s.source, value});
      } else {
        r.env = {s.source + "=" + value};
      }
      r.args.insert(r.args.end(), {"--redis", url()});
      r.exit_code = kUsage;
      r.want = "ttg: " + s.source + ": " + want;
      rows.push_back(std::move(r));
    };
    // A chunk size may also be "auto".
    const bool chunk =
        s.source == "--chunk-size" || s.source == "CHUNK_SIZE" || s.source == "BATCH_SIZE";
    const std::string kind = chunk        ? "a positive integer or auto"
                             : s.min >= 1 ? "a positive integer"
                             : s.min == 0 ? "a non-negative integer"
                                          : "an integer";
    for (const auto& g : garbage) row(g, "expected " + kind + ", got '" + g + "'");
    if (is_flag) row("", "expected " + kind + ", got ''");
    row(" ", "expected " + kind + ", got ' '");
    // Below the minimum: -1, and 0 where at least 1 is required.
    if (s.min <= 1) {
      row("-1", "expected " + kind + ", got '-1'");
    } else {
      row("-1", "must be at least " + std::to_string(s.min));
      row(std::to_string(s.min - 1), "must be at least " + std::to_string(s.min));
    }
    if (s.min == 1) row("0", "expected " + kind + ", got '0'");
    // One past the maximum (the int64 maximum itself is fine for --params).
    if (s.max != "9223372036854775807") {
      row(std::to_string(std::stoll(s.max) + 1), "must be at most " + s.max);
      row("9223372036854775807", "must be at most " + s.max);
    } else {
      row("9223372036854775808", "expected " + kind + ", got '9223372036854775808'");
    }
  }
  // Names that go into Redis and into log lines.
  rows.push_back({"WORKER_ID of 100000 bytes",
                  worker,
                  {"WORKER_ID=" + std::string(100000, 'w')},
                  kUsage,
                  "ttg: WORKER_ID: must be at most 256 bytes, got 100000"});
  rows.push_back({"WORKER_ID with a newline",
                  worker,
                  {"WORKER_ID=w1\nlevel=error forged"},
                  kUsage,
                  "ttg: WORKER_ID: control character at byte 3"});
  rows.push_back({"--worker-id with a tab",
                  {"worker", "--worker-id", "a\tb", "--redis", url()},
                  {},
                  kUsage,
                  "ttg: --worker-id: control character at byte 2"});
  rows.push_back({"POD_NAME with an escape",
                  worker,
                  {"POD_NAME=\x1b[31mred"},
                  kUsage,
                  "ttg: POD_NAME: control character at byte 1"});
  // The static worker's own flags.
  const std::vector<std::string> static_worker = {"worker", "--static", "--params", "4"};
  for (const std::string flag : {"--index", "--count"}) {
    for (const std::string value : {"abc", "1.5", "1e400", "99999999999999999999"}) {
      std::vector<std::string> args = static_worker;
      args.insert(args.end(), {flag, value});
      rows.push_back({"static " + flag + " " + value, args, {}, kUsage, flag});
    }
  }
  rows.push_back({"static index out of range",
                  {"worker", "--static", "--params", "4", "--index", "2", "--count", "2"},
                  {},
                  kUsage,
                  "--static needs --count N >= 1 and --index I with 0 <= I < N"});
  rows.push_back({"static count 0",
                  {"worker", "--static", "--params", "4", "--index", "0", "--count", "0"},
                  {},
                  kUsage,
                  "--static needs --count N >= 1 and --index I with 0 <= I < N"});
  rows.push_back({"static index -1",
                  {"worker", "--static", "--params", "4", "--index", "-1", "--count", "2"},
                  {},
                  kUsage,
                  "--static needs --count N >= 1 and --index I with 0 <= I < N"});
  check(rows);
}

// ---- Usage: commands, flags, values, job names ----

TEST_F(BadInputTest, BadUsageAndUnknownJobs) {
  const std::string u = url();
  const std::string bad_conf = write("bad.yaml", "log_level: info\nchunksize: 5\n");
  std::vector<Row> rows = {
      {"unknown command", {"frobnicate"}, {}, kUsage, "ttg: unknown command 'frobnicate'"},
      {"unknown command that looks like a job", {"live"}, {}, kUsage, "unknown command 'live'"},
      {"no command", {}, {}, kUsage, "Usage: ttg"},
      {"unknown flag",
       {"submit", "--params", "10", "--bogus", "--redis", u},
       {},
       kUsage,
       "--bogus"},
      {"unknown global flag", {"--bogus", "status"}, {}, kUsage, "--bogus"},
      {"another command's flag",
       {"status", "--threads", "2", "--redis", u},
       {},
       kUsage,
       "--threads"},
      {"a worker flag on submit",
       {"submit", "--params", "10", "--lease-ms", "500", "--redis", u},
       {},
       kUsage,
       "--lease-ms"},
      {"missing value", {"submit", "--redis", u, "--params"}, {}, kUsage, "--params"},
      // CLI11 takes "--chunk-size" as the value of --params.
      {"missing value before another flag",
       {"submit", "--params", "--chunk-size", "5", "--redis", u},
       {},
       kUsage,
       "The following argument was not expected: 5"},
      {"missing Redis URL", {"status", "--redis"}, {}, kUsage, "--redis"},
      {"empty command",
       {"submit", "--params", "10", "--exec", "", "--redis", u},
       {},
       kUsage,
       "ttg submit: --exec: empty command"},
      {"missing job of results", {"results", "--redis", u}, {}, kUsage, "job"},
      {"missing job of cancel", {"cancel", "--redis", u}, {}, kUsage, "job"},
      {"missing job of dead", {"dead", "--redis", u}, {}, kUsage, "job"},
      {"retry of nothing named",
       {"retry", "live", "--redis", u},
       {},
       kUsage,
       "ttg retry: say which chunks: --chunks LIST (e.g. 3,5-7) or --all"},
      {"retry of both",
       {"retry", "live", "--all", "--chunks", "1", "--redis", u},
       {},
       kUsage,
       "excludes"},
      {"retry of a list that is not one",
       {"retry", "live", "--chunks", "3,x", "--redis", u},
       {},
       kUsage,
       "ttg retry: --chunks: '3,x' is not a list of chunks such as 3,5-7: 'x' is not a chunk"},
      {"retry of a range backwards",
       {"retry", "live", "--chunks", "7-3", "--redis", u},
       {},
       kUsage,
       "the range '7-3' ends before it starts"},
      {"retry of chunks that are not dead",
       {"retry", "live", "--chunks", "0-3,9", "--redis", u},
       {},
       kFailure,
       "ttg retry: not retried: chunks 1-3: not dead (queued or being computed)"},
      {"retry of every dead chunk when there is none",
       {"retry", "live", "--all", "--redis", u},
       {},
       0,
       ""},
      {"extra positional", {"status", "live", "other", "--redis", u}, {}, kUsage, "other"},
      {"duplicated flag",
       {"submit", "--params", "10", "--params", "20", "--job", "d", "--redis", u},
       {},
       kUsage,
       "--params"},
      {"a Redis URL where none is expected",
       {"status", "live", "redis://u:hunter2-Secret@h:1", "--redis", u},
       {},
       kUsage,
       "not expected: redis://u:***@h:1",
       {"hunter2-Secret"}},
      {"a Redis URL on a command without Redis",
       {"kernels", "--redis=redis://u:hunter2-Secret@h:1"},
       {},
       kUsage,
       "'--redis' is not a flag of 'ttg kernels' (it is one of: ttg demo, submit, worker",
       {"hunter2-Secret"}},
      {"a mistyped flag with a Redis URL",
       {"status", "--rediss=redis://u:hunter2-Secret@h:1"},
       {},
       kUsage,
       "unknown flag '--rediss' of 'ttg status' (did you mean '--redis'?)",
       {"hunter2-Secret"}},
      {"a mistyped command",
       {"sumbit", "--params", "10"},
       {},
       kUsage,
       "ttg: unknown command 'sumbit' (did you mean 'submit'?)"},
      {"duplicated Redis URL",
       {"status", "--redis", u, "--redis", "redis://u:hunter2-Secret@h:1"},
       {},
       kUsage,
       "--redis",
       {"hunter2-Secret"}},
      {"bad results format",
       {"results", "live", "--format", "xml", "--redis", u},
       {},
       kUsage,
       "--format"},
      {"bad log level", {"status", "--log-level", "loud", "--redis", u}, {}, kUsage, "--log-level"},
      {"bad log format", {"status", "--redis", u}, {"LOG_FORMAT=xml"}, kUsage, "LOG_FORMAT"},
      {"missing config file",
       {"status", "--config", path("nope.yaml"), "--redis", u},
       {},
       kUsage,
       "--config: cannot read '" + path("nope.yaml") + "'"},
      {"config file with an unknown key",
       {"status", "--redis", u},
       {"TTG_CONFIG=" + bad_conf},
       kUsage,
       bad_conf + ":2: unknown key 'chunksize' (did you mean 'chunk_size'?)"},
      {"cleanup of nothing named",
       {"cleanup", "--redis", u},
       {},
       kUsage,
       "give either --job NAME or --all"},
      {"cleanup of both",
       {"cleanup", "--all", "--job", "live", "--redis", u},
       {},
       kUsage,
       "give either --job NAME or --all"},
      {"cleanup without --force or a terminal",
       {"cleanup", "--job", "live", "--redis", u},
       {},
       kUsage,
       "add --force to delete"},
      {"bad job name",
       {"submit", "--params", "10", "--job", "a:b", "--redis", u},
       {},
       kUsage,
       "--job: job name 'a:b' may only hold"},
      {"empty job name given as a flag",
       {"submit", "--params", "10", "--job", "", "--redis", u},
       {},
       kUsage,
       "--job: job name must have 1 to 100 characters"},
      {"bad job name of status",
       {"status", "a}b", "--redis", u},
       {},
       kUsage,
       "job name 'a}b' may only hold"},
      {"bad job name of results",
       {"results", "*", "--redis", u},
       {},
       kUsage,
       "job name '*' may only hold"},
      {"bad job name of cancel",
       {"cancel", "ttg:{live}", "--redis", u},
       {},
       kUsage,
       "job name 'ttg:{live}' may only hold"},
      {"bad job name of retry",
       {"retry", "a:b", "--all", "--redis", u},
       {},
       kUsage,
       "job name 'a:b' may only hold"},
      {"bad job name of cleanup",
       {"cleanup", "--job", "*", "--force", "--redis", u},
       {},
       kUsage,
       "--job: job name '*' may only hold"},
      {"bad job name of a worker",
       {"worker", "--job", "a b", "--redis", u},
       {},
       kUsage,
       "--job: job name 'a b' may only hold"},
      {"unknown job: status",
       {"status", "nosuch", "--redis", u},
       {},
       kFailure,
       "ttg status: job 'nosuch' does not exist"},
      {"unknown job: status from TTG_JOB",
       {"status", "--redis", u},
       {"TTG_JOB=nosuch"},
       kFailure,
       "ttg status: job 'nosuch' does not exist"},
      {"unknown job: results",
       {"results", "nosuch", "--redis", u},
       {},
       kFailure,
       "ttg results: job 'nosuch' does not exist"},
      {"unknown job: cancel",
       {"cancel", "nosuch", "--redis", u},
       {},
       kFailure,
       "ttg cancel: job 'nosuch' does not exist"},
      {"unknown job: dead",
       {"dead", "nosuch", "--redis", u},
       {},
       kFailure,
       "ttg dead: job 'nosuch' does not exist"},
      {"unknown job: retry",
       {"retry", "nosuch", "--chunks", "1", "--redis", u},
       {},
       kFailure,
       "ttg retry: job 'nosuch' does not exist"},
      // A worker may start before its job is submitted: it waits, says so,
      // and at its idle time-out exits non-zero, leaving nothing behind.
      {"worker of a job that never comes",
       {"worker", "--job", "nosuch", "--idle-timeout", "1", "--redis", u},
       {},
       1,
       "job 'nosuch' was never submitted"},
      {"results to a file that cannot be written",
       {"results", "live", "-o", path("no/such/dir/out.csv"), "--redis", u},
       {},
       kFailure,
       "cannot write " + path("no/such/dir/out.csv")},
  };
  check(rows);
}

}  // namespace
}  // namespace ttg

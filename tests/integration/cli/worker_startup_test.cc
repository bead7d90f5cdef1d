// Starting order: a worker started before its Redis waits for it
// (--connect-timeout, redis::wait_for_server), says so in its log once and
// then every 10 s, and exits 3 when the time is up; a wrong password fails
// at once. Against real redis-server processes started and stopped by pid,
// and a peer that hangs up on every connection, which counts the tries.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "queue/redis_queue.h"
#include "redis/startup.h"
#include "support/fake_peer.h"
#include "support/worker_fixture.h"
#include "util/strings.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// ---- redis::wait_for_server ----

class StartupWaitTest : public testing::RedisTest {};

TEST_F(StartupWaitTest, GivesUpWhenTheTimeIsUp) {
  redis::Options options = server_->options();
  server_->stop();
  redis::StartupWait wait;
  wait.timeout = milliseconds(300);
  std::atomic<bool> stop{false};
  int reports = 0;
  auto start = steady_clock::now();
  auto st =
      redis::wait_for_server(options, wait, stop, [&](const Error&, milliseconds) { ++reports; });
  auto took = steady_clock::now() - start;
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConnection) << st.error().message;
  EXPECT_NE(st.error().message.find(redis::describe(options)), std::string::npos);
  EXPECT_NE(st.error().message.find("(tried for 0.3 s)"), std::string::npos) << st.error().message;
  EXPECT_EQ(reports, 1) << "reported once, then every 10 s";
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));

  // No time at all: one try, the error as it is.
  wait.timeout = milliseconds(0);
  auto once = redis::wait_for_server(options, wait, stop, nullptr);
  ASSERT_FALSE(once);
  EXPECT_EQ(once.error().message.find("tried for"), std::string::npos) << once.error().message;
}

TEST_F(StartupWaitTest, ConnectsOnceTheServerIsUp) {
  redis::Options options = server_->options();
  server_->stop();
  redis::StartupWait wait;
  wait.timeout = milliseconds(30000);
  std::atomic<bool> stop{false};
  std::atomic<int> reports{0};
  auto waiting = std::async(std::launch::async, [&] {
    return redis::wait_for_server(options, wait, stop,
                                  [&](const Error&, milliseconds) { reports.fetch_add(1); });
  });
  ASSERT_TRUE(testing::wait_until([&] { return reports.load() > 0; }));
  ASSERT_TRUE(server_->restart());
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(15)), std::future_status::ready);
  auto st = waiting.get();
  EXPECT_TRUE(st) << st.error().message;
}

TEST_F(StartupWaitTest, StopsWhenAsked) {
  redis::Options options = server_->options();
  server_->stop();
  redis::StartupWait wait;
  wait.timeout = milliseconds(30000);
  std::atomic<bool> stop{false};
  auto start = steady_clock::now();
  auto st = redis::wait_for_server(options, wait, stop,
                                   [&](const Error&, milliseconds) { stop.store(true); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kCancelled);
  EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
}

class StartupWaitAuthTest : public testing::RedisTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.password = "Right-pw-1";
    return o;
  }
};

TEST_F(StartupWaitAuthTest, AWrongPasswordFailsAtOnce) {
  redis::Options options = server_->options();
  options.password = "Wrong-pw-2";
  redis::StartupWait wait;
  std::atomic<bool> stop{false};
  int reports = 0;
  auto start = steady_clock::now();
  auto st =
      redis::wait_for_server(options, wait, stop, [&](const Error&, milliseconds) { ++reports; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kWrongPass) << st.error().message;
  EXPECT_EQ(reports, 0);
  EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
}

// ---- ttg worker ----

// A job's keys survive the server's restart (append-only file), so a worker
// started while the server is down finds its job once it is back.
class WorkerStartupTest : public testing::WorkerProcessFixture {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.append_only = true;
    return o;
  }

  util::Process start_worker(const std::string& url, const std::vector<std::string>& more,
                             const std::vector<std::string>& env = {}) {
    std::string log = dir_->path() + "/worker-" + std::to_string(logs_.size()) + ".log";
    logs_.push_back(log);
    std::vector<std::string> args = {"worker",         "--job", "early",     "--redis", url,
                                     "--idle-timeout", "2",     "--threads", "2"};
    args.insert(args.end(), more.begin(), more.end());
    std::vector<std::string> full_env = {"TTG_CONFIG=", "TTG_CONNECT_TIMEOUT=", "LOG_FORMAT=json"};
    full_env.insert(full_env.end(), env.begin(), env.end());
    return testing::start_ttg(args, log, full_env);
  }
};

TEST_F(WorkerStartupTest, AWorkerStartedBeforeRedisWaitsForIt) {
  JobSpec spec;
  spec.kernel = "noop";
  spec.total_params = 30;
  spec.chunk_size = 10;
  auto sub = store_->submit("early", spec, queue::SubmitOptions{false, 2000});
  ASSERT_TRUE(sub) << sub.error().message;
  const std::string url = server_->url();
  server_->stop();

  util::Process worker = start_worker(url, {});  // the default --connect-timeout: 60 s
  const std::string& log = logs_.back();
  ASSERT_TRUE(testing::wait_until(
      [&] { return testing::read_file(log).find("cannot reach Redis yet") != std::string::npos; },
      milliseconds(20000)))
      << testing::read_file(log);
  EXPECT_TRUE(worker.running()) << "the worker gave up instead of waiting";

  // Redis comes up after the worker: the worker gets on with the job.
  ASSERT_TRUE(server_->restart());
  auto status = worker.wait_for(milliseconds(60000));
  ASSERT_TRUE(status) << "the worker did not finish";
  EXPECT_EQ(*status, 0) << testing::read_file(log);
  std::string text = testing::read_file(log);
  EXPECT_EQ(count_of(text, "cannot reach Redis yet"), 1) << text;
  EXPECT_NE(text.find("reached Redis"), std::string::npos) << text;
  EXPECT_NE(text.find("\"connect_timeout_s\":\"60\""), std::string::npos) << text;
  // A new store: the fixture's lost its connection when the server stopped.
  queue::JobStore store(server_->options());
  auto state = store.status("early");
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->done, 3);
}

TEST_F(WorkerStartupTest, ItSaysSoOnceThenEveryTenSecondsAndExitsThreeWhenTheTimeIsUp) {
  // A peer that hangs up on every connection: each of the worker's tries is
  // one accepted connection.
  testing::FakePeer peer("", testing::FakePeer::Then::kClose);
  auto start = steady_clock::now();
  util::Process worker = start_worker(peer.url(), {}, {"TTG_CONNECT_TIMEOUT=12"});
  const std::string& log = logs_.back();
  ASSERT_TRUE(testing::wait_until([&] { return peer.accepted() >= 5; }, milliseconds(20000)))
      << "tries: " << peer.accepted();
  EXPECT_EQ(count_of(testing::read_file(log), "cannot reach Redis"), 1)
      << "five tries, one line: " << testing::read_file(log);

  auto status = worker.wait_for(milliseconds(40000));
  ASSERT_TRUE(status) << "the worker did not give up";
  auto took = steady_clock::now() - start;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << testing::read_file(log);
  EXPECT_GE(took, milliseconds(12000));
  std::string text = testing::read_file(log);
  EXPECT_EQ(count_of(text, "cannot reach Redis yet"), 1) << text;
  // One more line after 10 s of the 12.
  EXPECT_EQ(count_of(text, "still cannot reach Redis"), 1) << text;
  EXPECT_NE(text.find("ttg worker: " + peer.url() + ": PING: server closed the connection"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(tried for 12"), std::string::npos) << text;
}

TEST_F(WorkerStartupTest, ZeroMeansOneTry) {
  const std::string url = server_->url();
  server_->stop();
  auto start = steady_clock::now();
  util::Process worker = start_worker(url, {"--connect-timeout", "0"});
  auto status = worker.wait_for(milliseconds(10000));
  ASSERT_TRUE(status) << testing::read_file(logs_.back());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3);
  EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
  EXPECT_EQ(count_of(testing::read_file(logs_.back()), "cannot reach Redis yet"), 0);
}

TEST_F(WorkerStartupTest, SigtermWhileWaitingStopsIt) {
  const std::string url = server_->url();
  server_->stop();
  util::Process worker = start_worker(url, {});
  const std::string& log = logs_.back();
  ASSERT_TRUE(testing::wait_until(
      [&] { return testing::read_file(log).find("cannot reach Redis yet") != std::string::npos; },
      milliseconds(20000)))
      << testing::read_file(log);
  worker.signal(SIGTERM);
  auto status = worker.wait_for(milliseconds(10000));
  ASSERT_TRUE(status) << "SIGTERM did not stop the waiting worker";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << testing::read_file(log);
  EXPECT_NE(testing::read_file(log).find("stopped before reaching Redis"), std::string::npos)
      << testing::read_file(log);
}

class WorkerStartupAuthTest : public WorkerStartupTest {
 protected:
  redis::LocalServerOptions server_options() const override {
    redis::LocalServerOptions o;
    o.password = "Right-pw-1";
    return o;
  }
};

TEST_F(WorkerStartupAuthTest, AWrongPasswordFailsAtOnce) {
  auto start = steady_clock::now();
  util::Process worker = start_worker(server_->url(), {}, {"TTG_REDIS_PASSWORD=Wrong-pw-2"});
  auto status = worker.wait_for(milliseconds(10000));
  ASSERT_TRUE(status) << testing::read_file(logs_.back());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3);
  EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
  std::string text = testing::read_file(logs_.back());
  EXPECT_NE(text.find("WRONGPASS"), std::string::npos) << text;
  EXPECT_EQ(text.find("Wrong-pw-2"), std::string::npos) << "the password is never shown";
  EXPECT_EQ(count_of(text, "cannot reach Redis yet"), 0) << text;
}

}  // namespace
}  // namespace ttg

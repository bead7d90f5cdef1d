// The worker's health endpoint (`ttg worker --metrics-port`: /healthz and
// /readyz beside /metrics): real worker processes on a real redis-server,
// fetched over HTTP on loopback. Liveness while the worker runs; readiness
// once registered, lost while Redis is down and back after it returns, and
// lost while the worker drains a long chunk after SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>

#include "queue/keys.h"
#include "redis/local_server.h"
#include "support/metrics.h"
#include "support/worker_fixture.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::HttpReply;
using testing::wait_until;

class WorkerHealthTest : public testing::WorkerProcessFixture {
 protected:
  int free_port() {
    auto port = redis::pick_free_port();
    EXPECT_TRUE(port) << port.error().message;
    return port ? *port : 0;
  }

  // Waits until `path` answers `status`; the last reply.
  HttpReply await(int port, const std::string& path, int status,
                  milliseconds timeout = milliseconds(20000)) {
    HttpReply r;
    EXPECT_TRUE(
        wait_until([&] { return (r = testing::http_fetch(port, path)).status == status; }, timeout))
        << path << " never answered " << status << "; last: " << r.status << " " << r.body;
    return r;
  }

  bool held_by(const std::string& job, const std::string& consumer) {
    auto conn = redis::Connection::connect(server_->options());
    if (!conn) return false;
    auto p = conn->command(
        {"XPENDING", queue::JobKeys(job).tasks, queue::kGroup, "-", "+", "10", consumer});
    return p && p->size() > 0;
  }

  int exit_code(util::Process& p, milliseconds timeout = milliseconds(60000)) {
    auto st = p.wait_for(timeout);
    if (!st) return -100;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
  }
};

TEST_F(WorkerHealthTest, HealthyAndReadyWhileRunningBesideItsMetrics) {
  const int port = free_port();
  size_t w = start_worker("w", {"--idle-timeout", "0", "--metrics-port", std::to_string(port)});
  // Alive from the start: "ok: starting" until the main loop's first
  // round, then "ok".
  HttpReply live = await(port, "/healthz", 200);
  EXPECT_TRUE(live.body == "ok\n" || live.body == "ok: starting\n") << live.body;
  EXPECT_EQ(live.content_type, "text/plain; charset=utf-8");
  EXPECT_TRUE(
      wait_until([&] { return (live = testing::http_fetch(port, "/healthz")).body == "ok\n"; },
                 milliseconds(20000)))
      << "last: " << live.status << " " << live.body;
  EXPECT_EQ(live.status, 200);
  HttpReply ready = await(port, "/readyz", 200);
  EXPECT_EQ(ready.body, "ok\n");
  // /metrics is served as before, by the same listener.
  auto text = testing::http_get(port, "/metrics");
  ASSERT_TRUE(text.has_value());
  auto e = testing::Exposition::parse(*text);
  EXPECT_EQ(e.errors, "");
  EXPECT_EQ(e.sum("ttg_build_info", {{"worker", "w"}}), 1.0);
  // HEAD answers as GET; other methods and paths are refused.
  EXPECT_EQ(testing::http_fetch(port, "/readyz", "HEAD").status, 200);
  HttpReply post = testing::http_fetch(port, "/readyz", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(testing::http_fetch(port, "/nothing").status, 404);
  workers_[w].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[w]), 0);
}

TEST_F(WorkerHealthTest, NotReadyWhileRedisIsDownAndReadyAgainAfter) {
  const int port = free_port();
  size_t w = start_worker("w", {"--idle-timeout", "0", "--metrics-port", std::to_string(port)});
  await(port, "/readyz", 200);
  server_->stop();
  HttpReply down = await(port, "/readyz", 503);
  EXPECT_TRUE(down.body.find("redis unreachable") != std::string::npos ||
              down.body.find("not registered") != std::string::npos)
      << down.body;
  EXPECT_EQ(down.body.find('\n'), down.body.size() - 1) << "one line: " << down.body;
  // Alive all the same: the worker keeps trying, its loop goes round.
  EXPECT_EQ(testing::http_fetch(port, "/healthz").status, 200);
  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  HttpReply up = await(port, "/readyz", 200, milliseconds(30000));
  EXPECT_EQ(up.body, "ok\n");
  workers_[w].signal(SIGTERM);
  EXPECT_EQ(exit_code(workers_[w]), 0);
}

TEST_F(WorkerHealthTest, NotReadyWhileDrainingALongChunkAfterSigterm) {
  JobSpec spec;
  spec.kernel = "simulate";
  spec.total_params = 1;
  spec.chunk_size = 1;
  spec.args = {{"work_ms", 8000}};
  ASSERT_TRUE(store_->submit("d", spec, {}));
  const int port = free_port();
  size_t w = start_worker("w", {"--job", "d", "--threads", "1", "--drain-timeout", "120",
                                "--metrics-port", std::to_string(port)});
  await(port, "/readyz", 200);
  ASSERT_TRUE(wait_until([&] { return held_by("d", "w"); }, milliseconds(20000)));
  workers_[w].signal(SIGTERM);
  // The chunk is computed to its end (the drain time-out is longer):
  // meanwhile the worker is alive and not ready.
  HttpReply draining = await(port, "/readyz", 503);
  EXPECT_NE(draining.body.find("draining"), std::string::npos) << draining.body;
  EXPECT_EQ(testing::http_fetch(port, "/healthz").status, 200);
  EXPECT_EQ(exit_code(workers_[w]), 0);
  auto s = store_->status("d");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->state, JobState::kComplete);
}

}  // namespace
}  // namespace ttg

#include "support/redis_fixture.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "util/strings.h"

namespace ttg::testing {

bool have_redis_server() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  for (const auto& dir : util::split(path, ':')) {
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(dir + "/redis-server", ec)) return true;
  }
  return false;
}

std::unique_ptr<redis::LocalServer> start_redis(redis::LocalServerOptions options) {
  auto server = redis::LocalServer::start(std::move(options));
  if (!server) {
    ADD_FAILURE() << "cannot start redis-server: " << server.error().message;
    return nullptr;
  }
  return std::make_unique<redis::LocalServer>(std::move(*server));
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(step);  // polling backoff, bounded by deadline
    step = std::min(step * 2, std::chrono::milliseconds(25));
  }
}

void RedisTest::SetUp() {
  if (!have_redis_server()) GTEST_SKIP() << "redis-server is not installed (run scripts/setup.sh)";
  server_ = start_redis(server_options());
  ASSERT_NE(server_, nullptr);
}

void RedisTest::TearDown() { server_.reset(); }

redis::Connection RedisTest::connect() {
  auto conn = redis::Connection::connect(server_->options());
  if (!conn) {
    // gtest reports the exception as the test's failure, and the fixture's
    // destructor still stops the server.
    throw std::runtime_error("connect to the test's redis-server: " + conn.error().message);
  }
  return std::move(*conn);
}

}  // namespace ttg::testing

#pragma once
// A private redis-server for one test: started in SetUp on a free loopback
// port (or a unix socket), stopped by pid in TearDown. Tests never touch a
// shared Redis.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "redis/connection.h"
#include "redis/local_server.h"

namespace ttg::testing {

// True when a redis-server binary is on PATH.
bool have_redis_server();

// Starts a server with `options`; fails the current test (ADD_FAILURE) and
// returns nullptr when it cannot start.
std::unique_ptr<redis::LocalServer> start_redis(redis::LocalServerOptions options = {});

// Polls `condition` every few milliseconds until it is true or `timeout`
// passes; returns its last value. The way tests wait for something.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Base fixture: a fresh server per test. Subclasses may override
// server_options() to ask for a unix socket, AOF or a password.
class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  virtual redis::LocalServerOptions server_options() const { return {}; }

  // A new connection to the server; fails the test if it cannot connect.
  redis::Connection connect();

  std::unique_ptr<redis::LocalServer> server_;
};

}  // namespace ttg::testing

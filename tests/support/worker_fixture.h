#pragma once
// A private redis-server plus `ttg worker` processes for one test: a temp
// directory for their logs, a JobStore on the server, and the workers, which
// are killed at teardown. A failing test prints every worker's log.

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "util/process.h"
#include "util/temp_dir.h"

namespace ttg::testing {

class WorkerProcessFixture : public RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto dir = util::TempDir::create("ttg-workers-");
    ASSERT_TRUE(dir) << dir.error();
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));
    store_ = std::make_unique<queue::JobStore>(server_->options());
  }

  void TearDown() override {
    workers_.clear();  // kills what is still running
    if (HasFailure()) {
      for (const auto& log : logs_) std::cerr << "---- " << log << "\n" << read_file(log);
    }
    RedisTest::TearDown();
  }

  // Starts `ttg worker --redis URL --worker-id NAME --log-level info
  // EXTRA...` with its log in dir_; returns its index in workers_.
  size_t start_worker(const std::string& name, const std::vector<std::string>& extra = {},
                      const std::vector<std::string>& env = {}) {
    std::string log = dir_->path() + "/" + name + "-" + std::to_string(logs_.size()) + ".log";
    logs_.push_back(log);
    std::vector<std::string> args{"worker", "--redis",     server_->url(), "--worker-id",
                                  name,     "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    workers_.push_back(start_ttg(args, log, env));
    return workers_.size() - 1;
  }

  std::unique_ptr<util::TempDir> dir_;
  std::unique_ptr<queue::JobStore> store_;
  std::vector<util::Process> workers_;
  std::vector<std::string> logs_;
};

}  // namespace ttg::testing

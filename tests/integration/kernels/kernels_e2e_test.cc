// Kernels end to end: `ttg submit` and two `ttg worker` processes against a
// private redis-server, for a plugin kernel (examples/plugin), an external
// program (examples/exec/square.py), and time-outs and crashes that end as
// dead letters carrying their reason.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <map>
#include <set>

#include "kernels/kernel.h"
#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "support/worker_fixture.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;
using testing::wait_until;

class KernelsEndToEndTest : public testing::WorkerProcessFixture {
 protected:
  testing::RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args);
  }

  size_t start_worker(const std::string& name, const std::string& job,
                      std::vector<std::string> extra = {}) {
    std::string log = dir_->path() + "/" + name + ".log";
    logs_.push_back(log);
    std::vector<std::string> args{"worker", "--redis",     server_->url(), "--job",
                                  job,      "--worker-id", name,           "--idle-timeout",
                                  "60",     "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    workers_.push_back(testing::start_ttg(args, log));
    return workers_.size() - 1;
  }

  int exit_code(size_t worker, milliseconds timeout = milliseconds(60000)) {
    auto st = workers_[worker].wait_for(timeout);
    if (!st) return -100;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -WTERMSIG(*st);
  }

  bool complete(const std::string& job) {
    auto s = store_->status(job);
    return s && s->state == JobState::kComplete;
  }

  // Every chunk has exactly one result, equal bit for bit to a computation
  // in this process; returns the records of all chunks in order.
  std::vector<nlohmann::json> exactly_once_and_reproducible(const std::string& job,
                                                            const kernels::Registry& plugins) {
    auto status = store_->status(job);
    EXPECT_TRUE(status);
    if (!status) return {};
    const JobSpec& spec = status->spec;
    std::map<int64_t, std::vector<std::string>> by_chunk;
    std::set<std::string> workers;
    EXPECT_TRUE(store_->for_each_result(job, [&](const queue::ResultRecord& r) {
      by_chunk[util::parse_int(r.fields.at("chunk_id")).value_or(-1)].push_back(
          r.fields.at("result_data"));
      workers.insert(r.fields.at("worker_id"));
    }));
    auto kernel = kernels::make_kernel(spec, plugins);
    EXPECT_TRUE(kernel) << kernel.error().message;
    if (!kernel) return {};
    kernels::CancelFlag cancel{false};
    std::vector<nlohmann::json> records;
    EXPECT_EQ(static_cast<int64_t>(by_chunk.size()), spec.total_chunks());
    for (int64_t c = 0; c < spec.total_chunks(); ++c) {
      const auto& got = by_chunk[c];
      EXPECT_EQ(got.size(), 1u) << "chunk " << c;
      if (got.empty()) continue;
      auto want = (*kernel)->run(
          {job, c, spec.chunk_begin(c), spec.chunk_end(c), 1, kernels::points_for(spec)}, cancel);
      EXPECT_TRUE(want) << want.error().message;
      if (want) {
        EXPECT_EQ(got[0], *want) << "chunk " << c << " differs from a recomputation";
      }
      for (auto& rec : nlohmann::json::parse(got[0])) records.push_back(rec);
    }
    std::string names;
    for (const auto& w : workers) names += " " + w;
    std::cerr << "results committed by:" << names << "\n";
    return records;
  }
};

TEST_F(KernelsEndToEndTest, PluginJobRunsOnTwoWorkersAndAWorkerWithoutThePluginRefusesIt) {
  const std::string lib = TTG_EXAMPLE_PLUGIN;
  auto submitted =
      ttg({"submit", "--job", "pj", "--params", "60", "--chunk-size", "3", "--kernel-lib", lib,
           "--kernel", "quadratic", "--arg", "a=2", "--arg", "c=1", "--arg", "noise=0.25"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  auto status = store_->status("pj");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->spec.kernel, "quadratic");
  EXPECT_EQ(status->spec.args["kernel_version"], "1.0.0") << status->spec.args.dump();

  // Without the library a worker says why and leaves the job alone.
  size_t refuser = start_worker("no-plugin", "pj");
  EXPECT_EQ(exit_code(refuser), 2);
  std::string log = testing::read_file(logs_[refuser]);
  EXPECT_NE(log.find("job pj: cannot run kernel 'quadratic' here: unknown kernel 'quadratic'"),
            std::string::npos)
      << log;
  EXPECT_EQ(store_->status("pj")->done, 0);

  size_t a = start_worker("a", "pj", {"--kernel-lib", lib, "--threads", "2"});
  size_t b = start_worker("b", "pj", {"--kernel-lib", lib, "--threads", "2"});
  ASSERT_TRUE(wait_until([&] { return complete("pj"); }, milliseconds(60000)));
  EXPECT_EQ(exit_code(a), 0);
  EXPECT_EQ(exit_code(b), 0);

  kernels::Registry plugins;
  ASSERT_TRUE(plugins.load(lib));
  auto records = exactly_once_and_reproducible("pj", plugins);
  ASSERT_EQ(records.size(), 60u);
  std::set<int64_t> indices;
  for (const auto& r : records) {
    int64_t i = r["param_index"];
    indices.insert(i);
    EXPECT_DOUBLE_EQ(r["y"].get<double>(), 2.0 * static_cast<double>(i * i) + 1.0);
    EXPECT_NE(r["y_noisy"], r["y"]);
  }
  EXPECT_EQ(indices.size(), 60u);
  EXPECT_EQ(store_->status("pj")->dead, 0);
}

TEST_F(KernelsEndToEndTest, PluginOfAnotherVersionIsRefused) {
  // A job recorded for version 0.9.0 of the kernel; the workers have 1.0.0.
  JobSpec spec;
  spec.kernel = "quadratic";
  spec.args = {{"kernel_version", "0.9.0"}};
  spec.total_params = 4;
  spec.chunk_size = 2;
  ASSERT_TRUE(store_->submit("old", spec, {}));
  size_t w = start_worker("w", "old", {"--kernel-lib", TTG_EXAMPLE_PLUGIN});
  EXPECT_EQ(exit_code(w), 2);
  std::string log = testing::read_file(logs_[w]);
  EXPECT_NE(log.find("the job needs plugin kernel 'quadratic' version 0.9.0"), std::string::npos)
      << log;
  EXPECT_EQ(store_->status("old")->done, 0);
}

TEST_F(KernelsEndToEndTest, ExecJobRunsOnTwoWorkers) {
  const std::string command = "python3 " TTG_EXAMPLES_DIR "/exec/square.py";
  auto submitted = ttg({"submit", "--job", "ej", "--params", "50", "--chunk-size", "5", "--exec",
                        command, "--arg", "outputs=square"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  auto status = store_->status("ej");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->spec.kernel, "exec");
  EXPECT_EQ(status->spec.args["command"], command);

  size_t a = start_worker("a", "ej", {"--threads", "2", "--allow-exec"});
  size_t b = start_worker("b", "ej", {"--threads", "2", "--allow-exec"});
  ASSERT_TRUE(wait_until([&] { return complete("ej"); }, milliseconds(60000)));
  EXPECT_EQ(exit_code(a), 0);
  EXPECT_EQ(exit_code(b), 0);

  auto records = exactly_once_and_reproducible("ej", kernels::Registry());
  ASSERT_EQ(records.size(), 50u);
  for (const auto& r : records) {
    int64_t i = r["param_index"];
    EXPECT_EQ(r["square"], i * i) << r.dump();
  }
  EXPECT_EQ(store_->status("ej")->dead, 0);
}

TEST_F(KernelsEndToEndTest, ExecProgramThatCrashesIsDeadLetteredWithItsStderr) {
  auto submitted = ttg(
      {"submit", "--job", "crash", "--params", "2", "--chunk-size", "1", "--max-attempts", "2",
       "--exec", "python3 -c 'import sys; sys.stderr.write(\"out of cheese\\n\"); sys.exit(5)'"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  size_t a = start_worker("a", "crash", {"--allow-exec"});
  size_t b = start_worker("b", "crash", {"--allow-exec"});
  ASSERT_TRUE(wait_until([&] { return complete("crash"); }, milliseconds(60000)));
  EXPECT_EQ(exit_code(a), 0);
  EXPECT_EQ(exit_code(b), 0);
  auto dead = store_->dead_letters("crash");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 2u);
  for (const auto& d : *dead) {
    EXPECT_EQ(d.fields.at("reason"), "max_attempts");
    const std::string& e = d.fields.at("last_error");
    EXPECT_NE(e.find("(exit 5)"), std::string::npos) << e;
    EXPECT_NE(e.find("stderr: out of cheese"), std::string::npos) << e;
  }
}

TEST_F(KernelsEndToEndTest, ChunkPastItsTimeOutIsDeadLetteredAndTheOthersComplete) {
  auto submitted =
      ttg({"submit", "--job", "slow", "--params", "4", "--chunk-size", "1", "--max-attempts", "2",
           "--kernel", "faulty", "--arg", "hang_chunks=1", "--arg", "timeout_ms=200"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  size_t w = start_worker("w", "slow", {"--threads", "2"});
  ASSERT_TRUE(wait_until([&] { return complete("slow"); }, milliseconds(60000)));
  EXPECT_EQ(exit_code(w), 0);
  auto s = store_->status("slow");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->done, 3);
  EXPECT_EQ(s->dead, 1);
  auto dead = store_->dead_letters("slow");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].fields.at("chunk_id"), "1");
  EXPECT_NE((*dead)[0].fields.at("last_error").find("timed out after 200 ms"), std::string::npos)
      << (*dead)[0].fields.at("last_error");
}

}  // namespace
}  // namespace ttg

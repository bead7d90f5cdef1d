// The queue's commands through the real binary against a private Redis:
// submit, worker, status, jobs, results, cancel, and the static mode.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/redis_fixture.h"
#include "support/ttg_process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using testing::RedisTest;
using testing::RunResult;

class QueueCommandsTest : public RedisTest {
 protected:
  RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  int64_t dbsize() {
    auto conn = connect();
    auto r = conn.command({"DBSIZE"});
    return r ? r->integer() : -1;
  }
};

TEST_F(QueueCommandsTest, SubmitWorkStatusResultsJobsCancel) {
  auto sub =
      ttg({"submit", "--job", "s1", "--params", "40", "--chunk-size", "10", "--arg", "work_ms=0"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_NE(sub.out.find("submitted job s1: 4 chunks (40 params)"), std::string::npos) << sub.out;

  auto again =
      ttg({"submit", "--job", "s1", "--params", "40", "--chunk-size", "10", "--arg", "work_ms=0"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("exists already with this spec; nothing written"), std::string::npos)
      << again.out;
  auto other = ttg({"submit", "--job", "s1", "--params", "80"});
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_NE(other.err.find("total_params: 40 stored, 80 given"), std::string::npos) << other.err;

  auto pending = ttg({"status", "s1", "--json"});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  auto pj = nlohmann::json::parse(pending.out);
  EXPECT_EQ(pj["state"], "pending");
  EXPECT_EQ(pj["total_chunks"], 4);

  auto work = ttg({"worker", "--job", "s1", "--threads", "2", "--worker-id", "w1"});
  ASSERT_EQ(work.exit_code, 0) << work.err;

  auto done = ttg({"status", "s1", "--json"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto dj = nlohmann::json::parse(done.out);
  EXPECT_EQ(dj["state"], "complete");
  EXPECT_EQ(dj["done"], 4);
  EXPECT_EQ(dj["duplicates_suppressed"], 0);

  auto text = ttg({"status", "s1"});
  EXPECT_NE(text.out.find("4/4 done"), std::string::npos) << text.out;

  auto csv = ttg({"results", "s1", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  auto lines = util::split(util::trim(csv.out), '\n');
  ASSERT_EQ(lines.size(), 41u) << csv.out;  // header + one row per parameter
  EXPECT_EQ(lines[0],
            "param_index,param,value,chunk_id,attempt,worker_id,chunk_seconds,completed_at");
  EXPECT_EQ(lines[1].rfind("0,0,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[40].rfind("39,39,", 0), 0u) << lines[40];

  auto jsonl = ttg({"results", "s1", "--format", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0);
  std::set<int64_t> params;
  for (const auto& line : util::split(util::trim(jsonl.out), '\n')) {
    auto row = nlohmann::json::parse(line);
    params.insert(row["param"].get<int64_t>());
    EXPECT_EQ(row["worker_id"], "w1");
  }
  EXPECT_EQ(params.size(), 40u);

  util::TempDir dir = *util::TempDir::create("ttg-results-");
  auto file = ttg({"results", "s1", "--format", "json", "-o", dir.path() + "/r.json"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  auto arr = nlohmann::json::parse(testing::read_file(dir.path() + "/r.json"));
  EXPECT_EQ(arr.size(), 40u);

  ASSERT_EQ(ttg({"submit", "--job", "s2", "--params", "10", "--chunk-size", "10"}).exit_code, 0);
  auto jobs = ttg({"jobs", "--json"});
  ASSERT_EQ(jobs.exit_code, 0);
  auto jj = nlohmann::json::parse(jobs.out);
  ASSERT_EQ(jj.size(), 2u);
  EXPECT_EQ(jj[0]["job"], "s1");
  EXPECT_EQ(jj[1]["job"], "s2");

  auto cancel = ttg({"cancel", "s2"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  auto cj = nlohmann::json::parse(ttg({"status", "s2", "--json"}).out);
  EXPECT_EQ(cj["state"], "cancelled");

  auto forced = ttg({"submit", "--job", "s2", "--params", "30", "--chunk-size", "10", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.out.find("replaced job s2"), std::string::npos) << forced.out;
  auto fj = nlohmann::json::parse(ttg({"status", "s2", "--json"}).out);
  EXPECT_EQ(fj["state"], "pending");
  EXPECT_EQ(fj["total_chunks"], 3);
}

TEST_F(QueueCommandsTest, BadInputExitsTwoAndWritesNothing) {
  int64_t before = dbsize();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"submit", "--params", "0"}, "--params"},
      {{"submit", "--params", "10", "--chunk-size", "0"}, "--chunk-size"},
      {{"submit", "--params", "10", "--kernel", "nope"}, "unknown kernel 'nope'"},
      {{"submit", "--params", "10", "--arg", "bogus=1"},
       "--arg bogus: kernel 'simulate' has no argument or parameter 'bogus'"},
      {{"submit", "--params", "10", "--arg", "novalue"}, "--arg: expected key=value"},
      {{"submit", "--params", "10", "--job", "bad:name"}, "job name"},
      {{"submit", "--params", "10", "--max-attempts", "0"}, "--max-attempts"},
  };
  for (const auto& c : cases) {
    auto r = ttg(c.args);
    EXPECT_EQ(r.exit_code, 2) << util::split(r.err, '\n')[0];
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << "want '" << c.message << "' in: " << r.err;
  }
  EXPECT_EQ(dbsize(), before) << "bad input changed Redis";
}

TEST_F(QueueCommandsTest, UnreachableRedisExitsThree) {
  auto port = redis::pick_free_port();
  ASSERT_TRUE(port);
  auto r = testing::run_ttg({"jobs", "--redis", "redis://127.0.0.1:" + std::to_string(*port)},
                            {"TTG_CONFIG="});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(*port)), std::string::npos) << r.err;
}

TEST_F(QueueCommandsTest, UnknownJobIsAClearError) {
  auto r = ttg({"status", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("job 'nope' does not exist"), std::string::npos) << r.err;
}

// The static worker writes its rows as `ttg results` does: the same header,
// rows in param_index order, and JSON lines too.
TEST(StaticWorkerTest, ComputesItsShareWithoutRedis) {
  util::TempDir dir = *util::TempDir::create("ttg-static-");
  std::vector<std::vector<std::string>> shares;
  for (int i = 0; i < 2; ++i) {
    std::string path = dir.path() + "/w" + std::to_string(i) + ".csv";
    auto r = testing::run_ttg(
        {"worker", "--static", "--index", std::to_string(i), "--count", "2", "--params", "25",
         "--chunk-size", "5", "--work-ms", "0", "--output", path},
        {"TTG_CONFIG=", "TTG_REDIS_URL=redis://127.0.0.1:1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shares.push_back(util::split(util::trim(testing::read_file(path)), '\n'));
  }
  std::vector<int64_t> params;
  std::set<int64_t> chunks;
  for (const auto& lines : shares) {
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0],
              "param_index,param,value,chunk_id,attempt,worker_id,chunk_seconds,completed_at");
    for (size_t row = 1; row < lines.size(); ++row) {
      auto cells = util::split(lines[row], ',');
      ASSERT_EQ(cells.size(), 8u) << lines[row];
      params.push_back(*util::parse_int(cells[0]));
      chunks.insert(*util::parse_int(cells[3]));
    }
  }
  std::vector<int64_t> all(25);
  for (int64_t i = 0; i < 25; ++i) all[static_cast<size_t>(i)] = i;
  EXPECT_EQ(params, all) << "the shares cover every set once, in order";
  EXPECT_EQ(chunks, (std::set<int64_t>{0, 1, 2, 3, 4}));

  std::string jsonl = dir.path() + "/w.jsonl";
  auto r = testing::run_ttg({"worker", "--static", "--index", "0", "--count", "1", "--params", "3",
                             "--work-ms", "0", "--output", jsonl},
                            {"TTG_CONFIG="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = util::split(util::trim(testing::read_file(jsonl)), '\n');
  ASSERT_EQ(lines.size(), 3u);
  auto row = nlohmann::ordered_json::parse(lines[2]);
  EXPECT_EQ(row["param_index"], 2);
  EXPECT_EQ(row["worker_id"], "static-0");
  std::vector<std::string> keys;
  for (auto it = row.begin(); it != row.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"param_index", "param", "value", "chunk_id", "attempt",
                                            "worker_id", "chunk_seconds", "completed_at"}));
}

}  // namespace
}  // namespace ttg

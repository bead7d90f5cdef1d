// `ttg verify`: the demo's computed verdict for a job run by separate
// worker processes, and what makes it fail.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/redis_fixture.h"
#include "support/ttg_process.h"

namespace ttg {
namespace {

using testing::RedisTest;
using testing::RunResult;

class VerifyCommandTest : public RedisTest {
 protected:
  RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  // Submits and completes job `job` (sir, 24 sets in 6 chunks) with one worker.
  void run_job(const std::string& job) {
    auto sub = ttg({"submit", "--job", job, "--kernel", "sir", "--params", "24", "--chunk-size",
                    "4", "--arg", "days=30"});
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
    auto work = ttg({"worker", "--job", job, "--threads", "2", "--worker-id", "w1"});
    ASSERT_EQ(work.exit_code, 0) << work.err;
  }
};

TEST_F(VerifyCommandTest, PassesForACompleteJob) {
  run_job("v1");
  auto text = ttg({"verify", "v1"});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("chunks completed              6/6"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("PASS: every chunk has exactly one result, none is missing, and all 24 "
                          "values equal a single-process recomputation"),
            std::string::npos)
      << text.out;

  auto json = ttg({"verify", "v1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["verdict"], "pass");
  EXPECT_EQ(j["chunks_total"], 6);
  EXPECT_EQ(j["checked_values"], 24);
  EXPECT_EQ(j["missing_results"], 0);
}

TEST_F(VerifyCommandTest, FailsOnAMissingChangedOrDuplicatedResult) {
  run_job("v2");
  auto conn = connect();
  const std::string results = "ttg:{v2}:results";
  auto all = conn.command({"XRANGE", results, "-", "+"});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 6u);
  // The entry of chunk 2, and its fields as a flat list.
  std::string id;
  std::vector<std::string> fields;
  for (const auto& e : all->elements()) {
    const auto& f = e[1].elements();
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].str() == "chunk_id" && f[i + 1].str() == "2") id = e[0].str();
    }
    if (id == e[0].str()) {
      for (const auto& x : f) fields.push_back(x.str());
    }
  }
  ASSERT_FALSE(id.empty());

  // A second result for chunk 2.
  std::vector<std::string> add = {"XADD", results, "*"};
  add.insert(add.end(), fields.begin(), fields.end());
  ASSERT_TRUE(conn.command(add).has_value());
  auto dup = ttg({"verify", "v2"});
  EXPECT_EQ(dup.exit_code, 1) << dup.out;
  EXPECT_NE(dup.out.find("FAIL: chunk 2 has 2 results"), std::string::npos) << dup.out;

  // Only the original, deleted: chunk 2 has no result.
  ASSERT_TRUE(conn.command({"XDEL", results, id}).has_value());
  auto added = conn.command({"XREVRANGE", results, "+", "-", "COUNT", "1"});
  ASSERT_TRUE(added.has_value());
  ASSERT_TRUE(conn.command({"XDEL", results, added->elements()[0][0].str()}).has_value());
  auto missing = ttg({"verify", "v2", "--json"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  auto mj = nlohmann::json::parse(missing.out);
  EXPECT_EQ(mj["verdict"], "fail");
  EXPECT_EQ(mj["missing_results"], 1);
  EXPECT_EQ(mj["verdict_detail"], "FAIL: chunk 2 has no result");

  // Back, with one value changed.
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i] == "result_data") {
      auto data = nlohmann::json::parse(fields[i + 1]);
      data[0]["peak_day"] = -1;
      fields[i + 1] = data.dump();
    }
  }
  std::vector<std::string> changed = {"XADD", results, "*"};
  changed.insert(changed.end(), fields.begin(), fields.end());
  ASSERT_TRUE(conn.command(changed).has_value());
  auto wrong = ttg({"verify", "v2"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("FAIL: chunk 2: value differs from recomputation"), std::string::npos)
      << wrong.out;
}

TEST_F(VerifyCommandTest, UnknownJobIsAnError) {
  auto r = ttg({"verify", "nosuchjob"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("ttg verify:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ttg

// Dead letters a user can act on, through the real binary: a job whose
// program fails on some chunks until a file exists ends with dead chunks;
// `ttg status` and `ttg results` say so and `status --watch` exits 1; `ttg
// dead` lists them (text and JSON); after the fix, `ttg retry --all` puts
// them back once, a worker computes them, and the job completes with
// exactly one result per chunk.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/worker_fixture.h"
#include "util/strings.h"

namespace ttg {
namespace {

using testing::RunResult;

// Fails (exits 3) on every parameter p with p % 4 == 1 while the file named
// by its argument does not exist; else answers {"twice": 2p}.
constexpr const char* kFlakyProgram = R"py(
import json, os, sys
flag = sys.argv[1]
for line in sys.stdin:
    p = json.loads(line)["param"]
    if p % 4 == 1 and not os.path.exists(flag):
        print(f"flaky: param {p} fails until {flag} exists", file=sys.stderr)
        print("second line of the error", file=sys.stderr)
        sys.exit(3)
    print(json.dumps({"twice": 2 * p}), flush=True)
)py";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : util::split(text, '\n')) {
    if (!util::trim(l).empty()) out.push_back(l);
  }
  return out;
}

class DeadRetryTest : public testing::WorkerProcessFixture {
 protected:
  RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="});
  }

  nlohmann::json status_json(const std::string& job) {
    auto r = ttg({"status", job, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // One worker for `job` until the job is finished.
  void work(const std::string& job, const std::string& id) {
    auto r = ttg({"worker", "--job", job, "--allow-exec", "--threads", "2", "--worker-id", id,
                  "--idle-timeout", "60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(DeadRetryTest, DeadChunksAreListedRetriedOnceAndTheJobCompletes) {
  const std::string program = dir_->path() + "/flaky.py";
  const std::string flag = dir_->path() + "/fixed";
  std::ofstream(program) << kFlakyProgram;
  auto sub = ttg({"submit", "--job", "flaky", "--params", "10", "--chunk-size", "1", "--exec",
                  "python3 " + program + " " + flag, "--max-attempts", "2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_NO_FATAL_FAILURE(work("flaky", "w1"));

  // Status says so; --watch tells scripts.
  auto s = status_json("flaky");
  EXPECT_EQ(s["state"], "complete");
  EXPECT_EQ(s["done"], 7);
  EXPECT_EQ(s["dead"], 3);
  EXPECT_EQ(s["complete_with_dead_chunks"], true);
  auto text = ttg({"status", "flaky"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("job flaky: complete with 3 dead chunks"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("see ttg dead flaky"), std::string::npos) << text.out;
  auto watch = ttg({"status", "flaky", "--watch"});
  EXPECT_EQ(watch.exit_code, 1) << watch.out << watch.err;

  // The dead chunks, for people and for programs.
  auto dead = ttg({"dead", "flaky"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  auto rows = lines_of(dead.out);
  ASSERT_EQ(rows.size(), 5u) << dead.out;  // header, 3 chunks, hint
  EXPECT_EQ(rows[0].find("CHUNK"), 0u) << dead.out;
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_NE(rows[i].find("max_attempts"), std::string::npos) << rows[i];
    EXPECT_NE(rows[i].find("w1"), std::string::npos) << rows[i];
    EXPECT_EQ(rows[i].find("second line"), std::string::npos) << "first lines only: " << rows[i];
    // Aligned: every row's reason starts where the header's does.
    EXPECT_EQ(rows[i].find("max_attempts"), rows[0].find("REASON")) << dead.out;
  }
  EXPECT_NE(rows[1].find("fails until"), std::string::npos) << rows[1];
  EXPECT_NE(dead.out.find("ttg retry flaky --all"), std::string::npos) << dead.out;
  auto dead_json = ttg({"dead", "flaky", "--json"});
  ASSERT_EQ(dead_json.exit_code, 0) << dead_json.err;
  auto arr = nlohmann::json::parse(dead_json.out, nullptr, false);
  ASSERT_TRUE(arr.is_array()) << dead_json.out;
  std::set<int64_t> dead_chunks;
  for (const auto& d : arr) {
    dead_chunks.insert(d["chunk"].get<int64_t>());
    EXPECT_EQ(d["reason"], "max_attempts");
    EXPECT_EQ(d["attempts"], 2);
    EXPECT_EQ(d["worker"], "w1");
    EXPECT_EQ(d["retriable"], true);
    EXPECT_GT(d["at_ms"].get<int64_t>(), 0);
    EXPECT_NE(d["last_error"].get<std::string>().find("second line"), std::string::npos)
        << "JSON has the whole error: " << d.dump();
  }
  EXPECT_EQ(dead_chunks, (std::set<int64_t>{1, 5, 9}));

  // Results: the rows there are, and on stderr how many chunks have none.
  auto partial = ttg({"results", "flaky", "--format", "jsonl"});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_EQ(lines_of(partial.out).size(), 7u) << partial.out;
  EXPECT_NE(partial.err.find("3 of 10 chunks have no result (dead): see ttg dead flaky"),
            std::string::npos)
      << partial.err;

  // Fixed: every dead chunk runs again, once.
  std::ofstream(flag) << "fixed\n";
  auto retry = ttg({"retry", "flaky", "--all"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_NE(retry.out.find("retried 3 chunks of flaky (1, 5, 9)"), std::string::npos) << retry.out;
  EXPECT_EQ(status_json("flaky")["state"], "running");
  auto twice = ttg({"retry", "flaky", "--all"});
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_NE(twice.out.find("nothing to retry"), std::string::npos) << twice.out;
  auto one = ttg({"retry", "flaky", "--chunks", "1"});
  EXPECT_EQ(one.exit_code, 1) << one.out;
  EXPECT_NE(one.err.find("chunk 1: not dead (queued or being computed)"), std::string::npos)
      << one.err;

  ASSERT_NO_FATAL_FAILURE(work("flaky", "w2"));
  s = status_json("flaky");
  EXPECT_EQ(s["state"], "complete");
  EXPECT_EQ(s["done"], 10);
  EXPECT_EQ(s["dead"], 0);
  EXPECT_EQ(s["dead_retried"], 3);
  EXPECT_EQ(s["takeovers"], 0);
  EXPECT_EQ(s["complete_with_dead_chunks"], false);
  std::map<int64_t, int> per_chunk;
  auto st = store_->for_each_result("flaky", [&](const queue::ResultRecord& r) {
    ++per_chunk[std::stoll(r.fields.at("chunk_id"))];
  });
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(per_chunk.size(), 10u);
  for (const auto& [chunk, n] : per_chunk) EXPECT_EQ(n, 1) << "chunk " << chunk;
  auto full = ttg({"results", "flaky", "--format", "jsonl"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(full.err, "");
  auto all_rows = lines_of(full.out);
  ASSERT_EQ(all_rows.size(), 10u) << full.out;
  for (size_t i = 0; i < all_rows.size(); ++i) {
    auto row = nlohmann::json::parse(all_rows[i]);
    EXPECT_EQ(row["param_index"], static_cast<int64_t>(i));
    EXPECT_EQ(row["twice"], 2 * static_cast<int64_t>(i));
  }
  EXPECT_EQ(ttg({"status", "flaky", "--watch"}).exit_code, 0);
  auto none = ttg({"dead", "flaky", "--json"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(util::trim(none.out), "[]");
}

}  // namespace
}  // namespace ttg

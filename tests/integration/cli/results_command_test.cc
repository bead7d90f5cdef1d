// `ttg results` as an analyst uses it: a real job computed by real worker
// processes against a private redis-server, then read back as CSV and JSON
// lines. The CSV is checked line by line, and read by Python's csv module
// (as pandas, R and spreadsheets read CSV): every value must come back as
// the JSON lines give it, and writing the rows back gives the same bytes.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "support/scratch_dir.h"
#include "support/worker_fixture.h"
#include "util/process.h"
#include "util/strings.h"

namespace ttg {
namespace {

using std::chrono::milliseconds;

// Reads a CSV file with Python's csv module; prints one JSON object per row
// (header names to the texts read) on the first line, then the file as
// csv.writer writes those rows back.
constexpr const char* kPythonCsv = R"(import csv, json, sys
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
header = rows[0]
print(json.dumps([dict(zip(header, r)) for r in rows[1:]]))
out = open(sys.argv[2], 'w', newline='', encoding='utf-8')
csv.writer(out, lineterminator='\n').writerows(rows)
out.close()
)";

class ResultsCommandTest : public testing::WorkerProcessFixture {
 protected:
  testing::RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  // Runs `job` to the end with two worker processes.
  void run_workers(const std::string& job) {
    for (int i = 0; i < 2; ++i) {
      std::string log = dir_->path() + "/worker-" + std::to_string(i) + ".log";
      logs_.push_back(log);
      workers_.push_back(
          testing::start_ttg({"worker", "--job", job, "--redis", server_->url(), "--threads", "2",
                              "--idle-timeout", "2", "--worker-id", "w" + std::to_string(i)},
                             log, {"TTG_CONFIG="}));
    }
    for (auto& w : workers_) {
      auto status = w.wait_for(milliseconds(60000));
      ASSERT_TRUE(status) << "a worker did not finish";
      EXPECT_EQ(*status, 0);
    }
    auto state = ttg({"status", job, "--json"});
    ASSERT_EQ(state.exit_code, 0) << state.err;
    EXPECT_EQ(nlohmann::json::parse(state.out)["state"], "complete");
  }

  // True when python3 runs; the tests that need it skip otherwise.
  static bool have_python() {
    auto p = util::Process::spawn({"python3", "-c", "import csv, json"});
    if (!p) return false;
    auto status = p->wait_for(milliseconds(30000));
    return status && *status == 0;
  }

  // The CSV at `path` through Python's csv module: the rows it reads, one
  // object each; and writing them back must give the same bytes.
  nlohmann::json python_rows(const std::string& path) {
    std::string script = scratch_.write("read.py", kPythonCsv);
    std::string back = scratch_.path() + "/back.csv";
    util::SpawnOptions so;
    so.stdout_path = scratch_.path() + "/python.out";
    so.stderr_path = scratch_.path() + "/python.err";
    auto p = util::Process::spawn({"python3", script, path, back}, so);
    if (!p) {
      ADD_FAILURE() << p.error();
      return nlohmann::json::array();
    }
    auto status = p->wait_for(milliseconds(30000));
    EXPECT_TRUE(status && *status == 0) << testing::read_file(so.stderr_path);
    EXPECT_EQ(testing::read_file(back), testing::read_file(path))
        << "csv.writer does not write the rows back as ttg wrote them";
    std::string out = testing::read_file(so.stdout_path);
    return nlohmann::json::parse(out.substr(0, out.find('\n')), nullptr, false);
  }

  testing::ScratchDir scratch_{"ttg-results-test-"};
};

// A text read from CSV against the value the JSON lines give.
void expect_same_value(const std::string& text, const nlohmann::json& value,
                       const std::string& where) {
  if (value.is_null()) {
    EXPECT_EQ(text, "") << where;
  } else if (value.is_string()) {
    EXPECT_EQ(text, value.get<std::string>()) << where;
  } else if (value.is_boolean()) {
    EXPECT_EQ(text, value.get<bool>() ? "true" : "false") << where;
  } else if (value.is_number_integer()) {
    EXPECT_EQ(util::parse_int(text), value.get<int64_t>()) << where;
  } else {
    // Python's float() reads the same double back.
    auto d = util::parse_double(text);
    ASSERT_TRUE(d) << where << ": " << text;
    EXPECT_EQ(*d, value.get<double>()) << where;
  }
}

// Every CSV row, read by Python, holds what the JSON lines hold.
void expect_rows_match(const nlohmann::json& csv_rows, const std::string& jsonl) {
  auto lines = util::split(util::trim(jsonl), '\n');
  ASSERT_EQ(csv_rows.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    auto row = nlohmann::ordered_json::parse(lines[i]);
    ASSERT_EQ(csv_rows[i].size(), row.size()) << lines[i];
    for (auto it = row.begin(); it != row.end(); ++it) {
      ASSERT_TRUE(csv_rows[i].contains(it.key())) << it.key();
      expect_same_value(csv_rows[i][it.key()].get<std::string>(), it.value(),
                        "row " + std::to_string(i) + ", " + it.key());
    }
  }
}

TEST_F(ResultsCommandTest, SirSweepReadsInOrderWithParametersOutputsThenBookkeeping) {
  if (!have_python()) GTEST_SKIP() << "python3 is not installed";
  std::string spec = scratch_.write("sir.yaml",
                                    "kernel: sir\n"
                                    "args: {days: 100}\n"
                                    "params:\n"
                                    "  dims:\n"
                                    "    beta: {linspace: {start: 0.1, stop: 0.5, num: 5}}\n"
                                    "    gamma: [0.05, 0.1, 0.2, 0.25]\n");
  auto sub = ttg({"submit", "--spec", spec, "--job", "sir", "--chunk-size", "3"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_NO_FATAL_FAILURE(run_workers("sir"));

  std::string csv_path = scratch_.path() + "/sir.csv";
  auto csv = ttg({"results", "sir", "-o", csv_path});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  auto lines = util::split(util::trim(testing::read_file(csv_path)), '\n');
  ASSERT_EQ(lines.size(), 21u);  // the header and 20 sets
  EXPECT_EQ(lines[0],
            "param_index,beta,gamma,peak_infected,peak_day,final_size,r0,chunk_id,attempt,"
            "worker_id,chunk_seconds,completed_at");
  // Sorted by param_index, whichever worker committed which chunk first;
  // the last dimension varies fastest.
  const double gammas[] = {0.05, 0.1, 0.2, 0.25};
  for (size_t i = 1; i < lines.size(); ++i) {
    auto cells = util::split(lines[i], ',');
    ASSERT_EQ(cells.size(), 12u) << lines[i];
    int64_t index = static_cast<int64_t>(i) - 1;
    EXPECT_EQ(util::parse_int(cells[0]), index) << lines[i];
    double beta = *util::parse_double(cells[1]);
    double gamma = *util::parse_double(cells[2]);
    EXPECT_NEAR(beta, 0.1 + 0.1 * static_cast<double>(index / 4), 1e-12) << lines[i];
    EXPECT_EQ(gamma, gammas[index % 4]) << lines[i];
    EXPECT_NEAR(*util::parse_double(cells[6]), beta / gamma, 1e-12) << "r0: " << lines[i];
    EXPECT_EQ(util::parse_int(cells[7]), index / 3) << "chunk_id: " << lines[i];
    EXPECT_EQ(util::parse_int(cells[8]), 1) << "attempt: " << lines[i];
    EXPECT_TRUE(cells[9] == "w0" || cells[9] == "w1") << lines[i];
    EXPECT_EQ(cells[11].size(), 24u) << "completed_at, e.g. 2025-01-31T12:00:00.000Z: " << lines[i];
  }
  EXPECT_EQ(lines[1].rfind("0,0.1,0.05,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("1,0.1,0.1,", 0), 0u) << lines[2];

  auto jsonl = ttg({"results", "sir", "--format", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  expect_rows_match(python_rows(csv_path), jsonl.out);

  // Chosen columns, in the order given.
  auto chosen = ttg({"results", "sir", "--columns", "r0, beta,param_index"});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  auto chosen_lines = util::split(util::trim(chosen.out), '\n');
  ASSERT_EQ(chosen_lines.size(), 21u);
  EXPECT_EQ(chosen_lines[0], "r0,beta,param_index");
  EXPECT_EQ(chosen_lines[1], "2.0,0.1,0") << chosen_lines[1];

  auto typo = ttg({"results", "sir", "--columns", "beta,gama"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("ttg results: --columns: unknown column 'gama' (did you mean 'gamma'?; "
                          "the columns are param_index, beta, gamma, peak_infected"),
            std::string::npos)
      << typo.err;
  EXPECT_EQ(typo.out, "");
}

// Texts that CSV must quote, booleans and numbers of every size survive the
// trip through Python's csv module.
TEST_F(ResultsCommandTest, AwkwardValuesSurviveCsv) {
  if (!have_python()) GTEST_SKIP() << "python3 is not installed";
  std::string spec = scratch_.write("awkward.json", R"({
  "kernel": "simulate",
  "args": {"work_ms": 0},
  "params": {
    "dims": {
      "label": ["plain", "a,b", "say \"hi\"", "two\nlines", " padded ", "", "naïve ✓"],
      "flag": [true, false],
      "x": [1e-300, 0.1, 12345678901234, -2.5e+20]
    }
  }
})");
  auto sub = ttg({"submit", "--spec", spec, "--job", "awk", "--chunk-size", "5"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_NO_FATAL_FAILURE(run_workers("awk"));

  std::string csv_path = scratch_.path() + "/awk.csv";
  auto csv = ttg({"results", "awk", "-o", csv_path});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::string text = testing::read_file(csv_path);
  EXPECT_EQ(text.rfind("param_index,label,flag,x,value,chunk_id,attempt,worker_id,chunk_seconds,"
                       "completed_at\n0,plain,true,1e-300,",
                       0),
            0u)
      << text.substr(0, 200);
  EXPECT_NE(text.find(",\"a,b\",true,"), std::string::npos);
  EXPECT_NE(text.find(",\"say \"\"hi\"\"\",true,"), std::string::npos);
  EXPECT_NE(text.find(",\"two\nlines\",true,"), std::string::npos);

  auto jsonl = ttg({"results", "awk", "--format", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  auto rows = python_rows(csv_path);
  EXPECT_EQ(rows.size(), 7u * 2u * 4u);
  expect_rows_match(rows, jsonl.out);
}

// `ttg results JOB | head`: the reader stops early, which is not an error
// (no message, exit 0), as the demo's suggested command does.
TEST_F(ResultsCommandTest, AReaderThatStopsEarlyIsNotAnError) {
  auto sub = ttg({"submit", "--job", "many", "--params", "20000", "--chunk-size", "1000", "--arg",
                  "work_ms=0"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_NO_FATAL_FAILURE(run_workers("many"));
  // About 1.5 MB of CSV: far more than a pipe holds, so the writer meets the
  // closed pipe.
  std::string script =
      scratch_.write("head.sh",
                     "\"$1\" results many --redis \"$2\" 2>\"$3\" | head -n 1 >/dev/null\n"
                     "exit ${PIPESTATUS[0]}\n");
  std::string err_path = scratch_.path() + "/results.err";
  auto p = util::Process::spawn({"bash", script, testing::ttg_binary(), server_->url(), err_path});
  ASSERT_TRUE(p) << p.error();
  auto status = p->wait_for(milliseconds(60000));
  ASSERT_TRUE(status) << "ttg results did not finish";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << util::describe_wait_status(*status);
  EXPECT_EQ(testing::read_file(err_path), "");
}

}  // namespace
}  // namespace ttg

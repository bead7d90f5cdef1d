#include "report/results_table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "util/strings.h"

namespace ttg::report {
namespace {

using nlohmann::json;

JobSpec sir_spec() {
  JobSpec spec;
  spec.kernel = "sir";
  spec.args = {{"days", 100}};
  std::vector<Dimension> dims;
  dims.push_back(*Dimension::list("gamma", {json(0.1), json(0.2)}));
  dims.push_back(*Dimension::list("beta", {json(0.3), json(0.4)}));
  spec.set_space(*ParamSpace::grid(std::move(dims)));
  spec.chunk_size = 2;
  return spec;
}

std::string record(int64_t i, double gamma, double beta, double r0) {
  return json{{"param_index", i}, {"gamma", gamma},    {"beta", beta}, {"peak_infected", 0.5},
              {"peak_day", 10},   {"final_size", 0.9}, {"r0", r0}}
      .dump();
}

std::string write(const ResultsTable& table, Format format) {
  std::ostringstream out;
  auto st = table.write(out, format);
  EXPECT_TRUE(st) << st.error().message;
  return out.str();
}

ResultsTable sir_table() {
  auto info = kernels::find_kernel_info("sir", kernels::Registry());
  ResultsTable table(sir_spec(), &*info);
  // Chunks arrive in commit order, not chunk order.
  table.add({1, 2, "w2", 0.25, "2025-01-31T12:00:01.000Z",
             "[" + record(2, 0.2, 0.3, 1.5) + "," + record(3, 0.2, 0.4, 2) + "]"});
  table.add({0, 1, "w1", 0.5, "2025-01-31T12:00:00.000Z",
             "[" + record(0, 0.1, 0.3, 3) + "," + record(1, 0.1, 0.4, 4) + "]"});
  return table;
}

TEST(ResultsTableTest, RowsByParamIndexColumnsInReadingOrder) {
  ResultsTable table = sir_table();
  EXPECT_EQ(table.rows(), 4);
  EXPECT_EQ(write(table, Format::kCsv),
            "param_index,gamma,beta,peak_infected,peak_day,final_size,r0,chunk_id,attempt,"
            "worker_id,chunk_seconds,completed_at\n"
            "0,0.1,0.3,0.5,10,0.9,3.0,0,1,w1,0.5,2025-01-31T12:00:00.000Z\n"
            "1,0.1,0.4,0.5,10,0.9,4.0,0,1,w1,0.5,2025-01-31T12:00:00.000Z\n"
            "2,0.2,0.3,0.5,10,0.9,1.5,1,2,w2,0.25,2025-01-31T12:00:01.000Z\n"
            "3,0.2,0.4,0.5,10,0.9,2.0,1,2,w2,0.25,2025-01-31T12:00:01.000Z\n");
  auto jsonl = util::split(util::trim(write(table, Format::kJsonLines)), '\n');
  ASSERT_EQ(jsonl.size(), 4u);
  EXPECT_EQ(jsonl[0],
            R"({"param_index":0,"gamma":0.1,"beta":0.3,"peak_infected":0.5,"peak_day":10,)"
            R"("final_size":0.9,"r0":3.0,"chunk_id":0,"attempt":1,"worker_id":"w1",)"
            R"("chunk_seconds":0.5,"completed_at":"2025-01-31T12:00:00.000Z"})");
  auto array = json::parse(write(table, Format::kJson));
  ASSERT_EQ(array.size(), 4u);
  EXPECT_EQ(array[3]["param_index"], 3);
  EXPECT_EQ(array[3]["worker_id"], "w2");
}

TEST(ResultsTableTest, ChosenColumnsAndTheClosestNameForAnUnknownOne) {
  ResultsTable table = sir_table();
  ASSERT_TRUE(table.select({"r0", "param_index"}));
  EXPECT_EQ(write(table, Format::kCsv), "r0,param_index\n3.0,0\n4.0,1\n1.5,2\n2.0,3\n");
  auto typo = table.select({"beta", "gama"});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(typo.error().message,
            "unknown column 'gama' (did you mean 'gamma'?; the columns are param_index, gamma, "
            "beta, peak_infected, peak_day, final_size, r0, chunk_id, attempt, worker_id, "
            "chunk_seconds, completed_at)");
  EXPECT_EQ(table.select({"beta", "beta"}).error().message, "column 'beta' is listed twice");
  EXPECT_EQ(table.select({}).error().message, "no columns");
  // A failed choice leaves the last good one.
  EXPECT_EQ(write(table, Format::kCsv).substr(0, 15), "r0,param_index\n");
}

TEST(ResultsTableTest, TheSpecsOutputsAreTheOnesShown) {
  JobSpec spec = sir_spec();
  spec.outputs = {"r0"};
  auto info = kernels::find_kernel_info("sir", kernels::Registry());
  ResultsTable table(spec, &*info);
  table.add({0, 1, "w", 0, "t", "[" + record(0, 0.1, 0.3, 3) + "]"});
  EXPECT_EQ(write(table, Format::kCsv),
            "param_index,gamma,beta,r0,chunk_id,attempt,worker_id,chunk_seconds,completed_at\n"
            "0,0.1,0.3,3.0,0,1,w,0.0,t\n");
  // The others can still be chosen.
  EXPECT_TRUE(table.select({"peak_day"}));
}

TEST(ResultsTableTest, CsvQuotesOnlyWhatItMust) {
  JobSpec spec;
  spec.kernel = "exec";
  spec.args = {{"command", "./model"}, {"outputs", "y"}};
  std::vector<Dimension> dims;
  dims.push_back(*Dimension::list("label", {json("x")}));
  spec.set_space(*ParamSpace::grid(std::move(dims)));
  auto info = kernels::find_kernel_info("exec", kernels::Registry());
  ResultsTable table(spec, &*info);
  json rows = json::array();
  const std::vector<json> labels = {"plain", "a,b", "say \"hi\"", "two\nlines",
                                    " pad ", "",    "naïve",      "x\ry"};
  for (size_t i = 0; i < labels.size(); ++i) {
    rows.push_back({{"param_index", i}, {"label", labels[i]}, {"y", i % 2 == 0}, {"z", nullptr}});
  }
  rows.push_back({{"param_index", 8}, {"label", "list"}, {"y", json::array({1, 2})}});
  table.add({0, 1, "w", 0, "t", rows.dump()});
  EXPECT_EQ(write(table, Format::kCsv),
            "param_index,label,y,z,chunk_id,attempt,worker_id,chunk_seconds,completed_at\n"
            "0,plain,true,,0,1,w,0.0,t\n"
            "1,\"a,b\",false,,0,1,w,0.0,t\n"
            "2,\"say \"\"hi\"\"\",true,,0,1,w,0.0,t\n"
            "3,\"two\nlines\",false,,0,1,w,0.0,t\n"
            "4, pad ,true,,0,1,w,0.0,t\n"
            "5,,false,,0,1,w,0.0,t\n"
            "6,naïve,true,,0,1,w,0.0,t\n"
            "7,\"x\ry\",false,,0,1,w,0.0,t\n"
            "8,list,\"[1,2]\",,0,1,w,0.0,t\n");
  // JSON lines give every column, null when missing.
  auto last = util::split(util::trim(write(table, Format::kJsonLines)), '\n').back();
  EXPECT_EQ(last, R"({"param_index":8,"label":"list","y":[1,2],"z":null,"chunk_id":0,"attempt":1,)"
                  R"("worker_id":"w","chunk_seconds":0.0,"completed_at":"t"})");
}

TEST(ResultsTableTest, OddResultData) {
  JobSpec spec;
  spec.kernel = "noop";
  spec.total_params = 10;
  spec.chunk_size = 5;
  auto info = kernels::find_kernel_info("noop", kernels::Registry());
  ResultsTable table(spec, &*info);
  EXPECT_EQ(table.columns(),
            (std::vector<std::string>{"param_index", "param", "params", "chunk_id", "attempt",
                                      "worker_id", "chunk_seconds", "completed_at"}));
  table.add({1, 1, "w", 0, "t", "[{\"params\":5}]"});
  table.add({0, 1, "w", 0, "t", "not json"});
  table.add({2, 1, "w", 0, "t", "7"});
  EXPECT_EQ(table.rows(), 2);
  EXPECT_EQ(write(table, Format::kCsv),
            "param_index,param,params,value,chunk_id,attempt,worker_id,chunk_seconds,completed_at\n"
            ",,5,,1,1,w,0.0,t\n"
            ",,,7,2,1,w,0.0,t\n");
  // A worker's name that is not UTF-8 does not break JSON.
  ResultsTable odd(spec, nullptr);
  odd.add({0, 1, "w\xff", 0, "t", "[{\"param_index\":0}]"});
  EXPECT_NE(write(odd, Format::kJsonLines).find("\"worker_id\":\"w\xEF\xBF\xBD\""),
            std::string::npos);
}

TEST(ResultsTableTest, ParsesFormatsAndStoredEntries) {
  EXPECT_EQ(*parse_format("csv"), Format::kCsv);
  EXPECT_EQ(*parse_format("jsonl"), Format::kJsonLines);
  EXPECT_EQ(*parse_format("json"), Format::kJson);
  EXPECT_FALSE(parse_format("xml"));
  queue::ResultRecord r;
  r.fields = {{"chunk_id", "7"},        {"attempt", "2"},
              {"worker_id", "pod-1"},   {"duration_seconds", "0.125000"},
              {"completed_at", "when"}, {"result_data", "[]"},
              {"status", "ok"}};
  ChunkRows rows = rows_of(r);
  EXPECT_EQ(rows.chunk_id, 7);
  EXPECT_EQ(rows.attempt, 2);
  EXPECT_EQ(rows.worker_id, "pod-1");
  EXPECT_EQ(rows.seconds, 0.125);
  EXPECT_EQ(rows.completed_at, "when");
  EXPECT_EQ(rows.result_data, "[]");
}

}  // namespace
}  // namespace ttg::report

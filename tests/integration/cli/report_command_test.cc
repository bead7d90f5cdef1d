// `ttg report` on real jobs: computed by real worker processes against a
// private redis-server, then written as one HTML page whose embedded data
// is checked against `ttg results`: the heatmap's grid (its dimensions and
// every value), the line plot, a timeline bar per chunk, the histograms,
// failures on the timeline; the page loads nothing from anywhere; mistakes
// exit 2 naming the closest name and leave Redis as it was.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <csignal>

#include "support/scratch_dir.h"
#include "support/worker_fixture.h"
#include "util/strings.h"

namespace ttg {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

class ReportCommandTest : public testing::WorkerProcessFixture {
 protected:
  testing::RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  // Runs `job` to the end with two worker processes of two threads each.
  void run_workers(const std::string& job) {
    std::vector<size_t> started;
    for (int i = 0; i < 2; ++i) {
      started.push_back(start_worker("w" + std::to_string(i),
                                     {"--job", job, "--threads", "2", "--idle-timeout", "2"},
                                     {"TTG_CONFIG="}));
    }
    for (size_t i : started) {
      auto status = workers_[i].wait_for(milliseconds(60000));
      ASSERT_TRUE(status) << "a worker did not finish";
      EXPECT_EQ(*status, 0);
    }
    auto state = ttg({"status", job, "--json"});
    ASSERT_EQ(state.exit_code, 0) << state.err;
    EXPECT_EQ(json::parse(state.out)["state"], "complete");
  }

  // `ttg report JOB -o FILE EXTRA...`: the page, which must exist.
  std::string report(const std::string& job, std::vector<std::string> extra = {}) {
    std::string path = scratch_.path() + "/" + job + ".html";
    std::vector<std::string> args = {"report", job, "-o", path};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = ttg(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");
    return testing::read_file(path);
  }

  // Every row of `ttg results JOB`, by param_index.
  std::vector<json> results(const std::string& job) {
    auto r = ttg({"results", job, "--format", "jsonl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<json> rows;
    for (const auto& line : util::split(util::trim(r.out), '\n')) rows.push_back(json::parse(line));
    return rows;
  }

  testing::ScratchDir scratch_{"ttg-report-test-"};
};

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// The data the page draws: the text of its application/json script.
json data_of(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  size_t from = page.find(open);
  if (from == std::string::npos) {
    ADD_FAILURE() << "no report data in the page";
    return json::object();
  }
  from += open.size();
  size_t to = page.find("</script>", from);
  return json::parse(page.substr(from, to - from));
}

// Nothing in the page is fetched: no URL in a src or href, no url() in a
// style, no link, no import; and everything it needs is inline.
void expect_self_contained(const std::string& page) {
  for (const char* bad : {"src=\"http", "href=\"http", "src='http", "href='http", "url(http",
                          "url(//", "<link", "@import", "<iframe", "<img"}) {
    EXPECT_EQ(page.find(bad), std::string::npos) << bad;
  }
  static const std::regex kUrlAttribute(R"re(\b(src|href)\s*=\s*["']?\s*(https?:|//))re",
                                        std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, kUrlAttribute));
  EXPECT_NE(page.find("Chart.js v3"), std::string::npos) << "Chart.js is not inlined";
  EXPECT_NE(page.find("global.TTGViews"), std::string::npos) << "views.js is not inlined";
  EXPECT_NE(page.find("TTGViews.render("), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

// The heatmap cell of (x, y) in `grid`, by the axes' values.
json cell(const json& grid, const json& x, const json& y) {
  const auto& xs = grid["xs"];
  const auto& ys = grid["ys"];
  auto i = std::find(xs.begin(), xs.end(), x);
  auto j = std::find(ys.begin(), ys.end(), y);
  if (i == xs.end() || j == ys.end()) {
    ADD_FAILURE() << "no cell at " << x << ", " << y;
    return nullptr;
  }
  return grid["values"][static_cast<size_t>(j - ys.begin())][static_cast<size_t>(i - xs.begin())];
}

// One bar per chunk, each on Redis's clock: queued, then claimed, then
// computed and committed.
void expect_bar_per_chunk(const json& timeline, int64_t chunks) {
  ASSERT_EQ(timeline["bars"].size(), static_cast<size_t>(chunks));
  EXPECT_EQ(timeline["bars_total"], chunks);
  EXPECT_EQ(timeline["bars_omitted"], 0);
  std::set<int64_t> seen;
  for (const auto& b : timeline["bars"]) {
    seen.insert(b["chunk"].get<int64_t>());
    EXPECT_TRUE(b["worker"] == "w0" || b["worker"] == "w1") << b;
    EXPECT_LE(b["start_ms"].get<int64_t>(), b["end_ms"].get<int64_t>()) << b;
    EXPECT_GT(b["queued_ms"].get<int64_t>(), 0) << b;
    EXPECT_GE(b["claimed_ms"].get<int64_t>(), b["queued_ms"].get<int64_t>()) << b;
    EXPECT_GE(b["end_ms"].get<int64_t>(), b["claimed_ms"].get<int64_t>()) << b;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(chunks));
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), chunks - 1);
}

TEST_F(ReportCommandTest, SirSweepIsAHeatmapOverBetaAndGammaEqualToTheResults) {
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
  auto rows = results("sir");
  ASSERT_EQ(rows.size(), 20u);

  std::string page = report("sir");
  expect_self_contained(page);
  json data = data_of(page);
  EXPECT_EQ(data["format"], "ttg-report-1");
  const json& s = data["summary"];
  EXPECT_EQ(s["job"], "sir");
  EXPECT_EQ(s["kernel"], "sir");
  EXPECT_EQ(s["state"], "complete");
  EXPECT_EQ(s["chunks"], 7);
  EXPECT_EQ(s["done"], 7);
  EXPECT_EQ(s["dead"], 0);
  EXPECT_EQ(s["records"], 20);
  EXPECT_EQ(s["parameters"], json::array({"beta", "gamma"}));
  EXPECT_EQ(s["outputs"], json::array({"peak_infected", "peak_day", "final_size", "r0"}));
  EXPECT_GE(s["wall_seconds"].get<double>(), 0);
  int64_t worker_chunks = 0;
  for (const auto& w : s["workers"]) worker_chunks += w["chunks"].get<int64_t>();
  EXPECT_EQ(worker_chunks, 7);

  ASSERT_TRUE(data.contains("grid"));
  EXPECT_FALSE(data.contains("line"));
  const json& g = data["grid"];
  EXPECT_EQ(g["x"], "beta");
  EXPECT_EQ(g["y"], "gamma");
  EXPECT_EQ(g["z"], "peak_infected");
  ASSERT_EQ(g["xs"].size(), 5u);
  ASSERT_EQ(g["ys"], json::array({0.05, 0.1, 0.2, 0.25}));
  ASSERT_EQ(g["values"].size(), 4u);
  for (const auto& row : g["values"]) EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(g["aggregate"], "none");
  EXPECT_EQ(g["empty_cells"], 0);
  EXPECT_EQ(g["skipped"], 0);
  for (const auto& r : rows) {
    EXPECT_EQ(cell(g, r["beta"], r["gamma"]), r["peak_infected"]) << r;
  }

  expect_bar_per_chunk(data["timeline"], 7);
  EXPECT_TRUE(data["timeline"]["events"].empty());
  EXPECT_EQ(data["histograms"]["compute_seconds"]["n"], 7);
  EXPECT_EQ(data["histograms"]["queue_wait_seconds"]["n"], 7);
  int64_t counted = 0;
  for (const auto& c : data["histograms"]["compute_seconds"]["counts"]) counted += c.get<int64_t>();
  EXPECT_EQ(counted, 7);
  EXPECT_TRUE(data["dead"].empty());

  // Other axes and output: the grid turns, and r0 = beta / gamma.
  json turned = data_of(report("sir", {"--x", "gamma", "--y", "beta", "--z", "r0"}))["grid"];
  EXPECT_EQ(turned["x"], "gamma");
  EXPECT_EQ(turned["y"], "beta");
  ASSERT_EQ(turned["xs"].size(), 4u);
  ASSERT_EQ(turned["ys"].size(), 5u);
  for (const auto& r : rows) EXPECT_EQ(cell(turned, r["gamma"], r["beta"]), r["r0"]) << r;

  // -o - writes the same page to standard output.
  auto out = ttg({"report", "sir", "-o", "-"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, page);
}

TEST_F(ReportCommandTest, MistakesExit2WithTheClosestNameAndLeaveRedisAsItWas) {
  ASSERT_EQ(ttg({"submit", "--job", "s", "--spec",
                 scratch_.write("s.yaml",
                                "kernel: sir\nparams:\n  dims:\n    beta: [0.2, 0.3]\n"
                                "    gamma: [0.1]\n")})
                .exit_code,
            0);
  ASSERT_NO_FATAL_FAILURE(run_workers("s"));
  auto before = ttg({"status", "s", "--json"});
  auto keys_before = ttg({"cleanup", "--job", "s", "--dry-run"});
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const std::string out = scratch_.path() + "/never.html";
  const Case cases[] = {
      {{"report", "s", "-o", out, "--x", "bet"},
       2,
       "ttg report: unknown parameter 'bet' for x (did you mean 'beta'?; the parameters are "
       "beta, gamma)"},
      {{"report", "s", "-o", out, "--y", "gama"}, 2, "(did you mean 'gamma'?"},
      {{"report", "s", "-o", out, "--z", "peak_infekted"},
       2,
       "unknown output 'peak_infekted' for z (did you mean 'peak_infected'?; the outputs are "
       "peak_infected, peak_day, final_size, r0)"},
      {{"report", "s", "-o", out, "--x", "beta", "--y", "beta"}, 2, "x and y are both 'beta'"},
      {{"report", "nosuch", "-o", out}, 1, "ttg report: job 'nosuch' does not exist"},
      {{"report", "s"}, 2, "output"},
      {{"report", "s", "-o", scratch_.path() + "/no/such/dir/r.html"}, 1, "cannot write"},
  };
  for (const auto& c : cases) {
    auto r = ttg(c.args);
    EXPECT_EQ(r.exit_code, c.code) << joined(c.args) << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << joined(c.args) << "\n" << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(testing::read_file(out), "") << "a page was written";
  EXPECT_EQ(ttg({"status", "s", "--json"}).out, before.out);
  EXPECT_EQ(ttg({"cleanup", "--job", "s", "--dry-run"}).out, keys_before.out);
}

TEST_F(ReportCommandTest, OneParameterIsALinePlotEqualToTheResults) {
  std::string spec = scratch_.write("line.yaml",
                                    "kernel: sir\n"
                                    "args: {days: 100, gamma: 0.1}\n"
                                    "params:\n"
                                    "  dims:\n"
                                    "    beta: {linspace: {start: 0.1, stop: 0.5, num: 9}}\n");
  ASSERT_EQ(ttg({"submit", "--spec", spec, "--job", "line", "--chunk-size", "2"}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(run_workers("line"));
  auto rows = results("line");
  ASSERT_EQ(rows.size(), 9u);

  std::string page = report("line", {"--z", "final_size"});
  expect_self_contained(page);
  json data = data_of(page);
  EXPECT_FALSE(data.contains("grid"));
  ASSERT_TRUE(data.contains("line"));
  const json& l = data["line"];
  EXPECT_EQ(l["x"], "beta");
  EXPECT_EQ(l["z"], "final_size");
  ASSERT_EQ(l["xs"].size(), 9u);
  ASSERT_EQ(l["zs"].size(), 9u);
  // Sorted by beta, as the rows are by param_index here.
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(l["xs"][i], rows[i]["beta"]);
    EXPECT_EQ(l["zs"][i], rows[i]["final_size"]);
  }
  expect_bar_per_chunk(data["timeline"], 5);

  auto y = ttg({"report", "line", "-o", scratch_.path() + "/y.html", "--y", "gamma"});
  EXPECT_EQ(y.exit_code, 2);
  EXPECT_NE(y.err.find("the job has one parameter ('beta')"), std::string::npos) << y.err;
}

TEST_F(ReportCommandTest, MandelbrotIsTheSetOnItsGrid) {
  std::string spec = scratch_.write("m.yaml",
                                    "kernel: mandelbrot\n"
                                    "args: {max_iter: 60}\n"
                                    "params:\n"
                                    "  dims:\n"
                                    "    y: {linspace: {start: -1.2, stop: 1.2, num: 21}}\n"
                                    "    x: {linspace: {start: -2.1, stop: 0.6, num: 31}}\n");
  ASSERT_EQ(ttg({"submit", "--spec", spec, "--job", "m", "--chunk-size", "40"}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(run_workers("m"));
  auto rows = results("m");
  ASSERT_EQ(rows.size(), 651u);

  // The spec names y first: --x and --y put the real axis across.
  json data = data_of(report("m", {"--x", "x", "--y", "y"}));
  const json& g = data["grid"];
  EXPECT_EQ(g["z"], "iterations");  // the first numeric output (inside is a boolean)
  ASSERT_EQ(g["xs"].size(), 31u);
  ASSERT_EQ(g["ys"].size(), 21u);
  int inside = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(cell(g, r["x"], r["y"]), r["iterations"]) << r;
    if (r["inside"] == true) ++inside;
  }
  EXPECT_GT(inside, 0);
  EXPECT_EQ(g["z_max"], 60.0);
  expect_bar_per_chunk(data["timeline"], 17);

  // A boolean output is drawn as 1 and 0.
  json in = data_of(report("m", {"--x", "x", "--y", "y", "--z", "inside"}))["grid"];
  for (const auto& r : rows) {
    EXPECT_EQ(cell(in, r["x"], r["y"]), r["inside"] == true ? 1.0 : 0.0) << r;
  }
}

TEST_F(ReportCommandTest, RetriesAndDeadChunksAreOnTheTimelineAndListed) {
  auto sub = ttg({"submit", "--job", "f", "--params", "20", "--chunk-size", "5", "--kernel",
                  "faulty", "--arg", "fail_chunks=2", "--max-attempts", "2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_NO_FATAL_FAILURE(run_workers("f"));

  json data = data_of(report("f"));
  EXPECT_EQ(data["summary"]["dead"], 1);
  EXPECT_EQ(data["summary"]["done"], 3);
  ASSERT_TRUE(data.contains("line"));  // --params N: one parameter
  EXPECT_EQ(data["line"]["z"], "value");
  EXPECT_EQ(data["line"]["xs"].size(), 15u);
  EXPECT_EQ(data["timeline"]["bars"].size(), 3u);
  std::map<std::string, int> types;
  for (const auto& e : data["timeline"]["events"]) {
    ++types[e["type"].get<std::string>()];
    EXPECT_EQ(e["chunk"], 2) << e;
    EXPECT_TRUE(e["worker"] == "w0" || e["worker"] == "w1") << e;
  }
  EXPECT_EQ(types["retry"], 1);
  EXPECT_EQ(types["dead"], 1);
  ASSERT_EQ(data["dead"].size(), 1u);
  EXPECT_EQ(data["dead"][0]["chunk"], 2);
  EXPECT_EQ(data["dead"][0]["reason"], "max_attempts");
  EXPECT_EQ(data["dead"][0]["attempts"], 2);
  EXPECT_NE(data["dead"][0]["last_error"].get<std::string>().find("always fails"),
            std::string::npos);
}

// Worker a freezes (SIGSTOP) after computing chunk 0, before committing it;
// b takes the chunk over once a's lease expires and commits it; a, resumed,
// commits too and is suppressed as a duplicate. The timeline marks both, and
// chunk 0's bar is b's second attempt.
TEST_F(ReportCommandTest, TakeoverAndDuplicateAreOnTheTimeline) {
  auto sub = ttg({"submit", "--job", "t", "--params", "4", "--chunk-size", "1", "--kernel",
                  "faulty", "--arg", "work_ms=10", "--arg", "pause_chunks=0"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::vector<std::string> flags = {
      "--job",          "t", "--threads", "1", "--lease-ms", "500", "--reclaim-interval-ms", "100",
      "--idle-timeout", "2"};
  size_t a = start_worker("w0", flags, {"TTG_CONFIG="});
  ASSERT_TRUE(testing::wait_until([&] {
    return testing::read_file(logs_[a]).find("stopping the process") != std::string::npos;
  }));
  size_t b = start_worker("w1", flags, {"TTG_CONFIG="});
  auto status = [&] {
    auto s = store_->status("t");
    return s ? *s : queue::JobStatus{};
  };
  ASSERT_TRUE(testing::wait_until([&] { return status().done == 4; }));
  workers_[a].signal(SIGCONT);
  ASSERT_TRUE(testing::wait_until([&] { return status().duplicates == 1; }));
  for (size_t i : {a, b}) {
    auto code = workers_[i].wait_for(milliseconds(60000));
    ASSERT_TRUE(code) << "a worker did not finish";
    EXPECT_EQ(*code, 0);
  }

  json data = data_of(report("t"));
  EXPECT_EQ(data["summary"]["takeovers"], 1);
  EXPECT_EQ(data["summary"]["duplicates"], 1);
  const json& t = data["timeline"];
  expect_bar_per_chunk(t, 4);
  for (const auto& bar : t["bars"]) {
    if (bar["chunk"] != 0) continue;
    EXPECT_EQ(bar["worker"], "w1");
    EXPECT_EQ(bar["attempt"], 2);
  }
  std::map<std::string, json> by_type;
  for (const auto& e : t["events"]) by_type[e["type"].get<std::string>()] = e;
  ASSERT_EQ(t["events"].size(), 2u) << t["events"];
  EXPECT_EQ(by_type["takeover"]["chunk"], 0);
  EXPECT_EQ(by_type["takeover"]["worker"], "w1");
  EXPECT_EQ(by_type["takeover"]["from"], "w0");
  EXPECT_EQ(by_type["duplicate"]["chunk"], 0);
  EXPECT_EQ(by_type["duplicate"]["worker"], "w0");
  EXPECT_EQ(t["workers"], json::array({"w0", "w1"}));
}

}  // namespace
}  // namespace ttg

#include "report/job_report.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/job.h"

namespace ttg::report {
namespace {

using nlohmann::json;

const std::vector<std::string> kSirParams = {"beta", "gamma"};
const std::vector<std::string> kSirOutputs = {"peak_infected", "peak_day", "final_size", "r0"};

json sir_record() {
  return {{"param_index", 0}, {"beta", 0.1},       {"gamma", 0.05}, {"peak_infected", 0.3},
          {"peak_day", 40.0}, {"final_size", 0.8}, {"r0", 2.0}};
}

TEST(ChooseAxesTest, DefaultsAreTheFirstTwoParametersAndTheFirstNumericOutput) {
  auto a = choose_axes(kSirParams, kSirOutputs, sir_record(), {});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->x, "beta");
  EXPECT_EQ(a->y, "gamma");
  EXPECT_EQ(a->z, "peak_infected");
}

TEST(ChooseAxesTest, FirstNumericOutputSkipsBooleans) {
  json rec = {{"param_index", 0}, {"x", 0.0}, {"y", 0.0}, {"inside", true}, {"iterations", 3}};
  auto a = choose_axes({"x", "y"}, {"inside", "iterations"}, rec, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->z, "iterations");
  // Chosen, a boolean output is plotted as 1 and 0.
  auto chosen = choose_axes({"x", "y"}, {"inside", "iterations"}, rec, {"", "", "inside"});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->z, "inside");
}

TEST(ChooseAxesTest, OutputsOfAnUnknownKernelComeFromTheRecords) {
  json rec = {{"param_index", 3}, {"a", 1}, {"b", "x"}, {"label", "s"}, {"value", 2.5}};
  auto a = choose_axes({"a", "b"}, {}, rec, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->z, "value");
  EXPECT_EQ(plottable_outputs({"a", "b"}, {}, rec), (std::vector<std::string>{"label", "value"}));
}

TEST(ChooseAxesTest, ChosenAxesAndTheOtherDefault) {
  auto a = choose_axes(kSirParams, kSirOutputs, sir_record(), {"gamma", "", "r0"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->x, "gamma");
  EXPECT_EQ(a->y, "beta");
  EXPECT_EQ(a->z, "r0");
  auto y_only = choose_axes(kSirParams, kSirOutputs, sir_record(), {"", "beta", ""});
  ASSERT_TRUE(y_only);
  EXPECT_EQ(y_only->x, "gamma");
  EXPECT_EQ(y_only->y, "beta");
}

TEST(ChooseAxesTest, OneParameterIsALinePlot) {
  json rec = {{"param_index", 0}, {"param", 0}};
  auto a = choose_axes({"param"}, {}, rec, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->x, "param");
  EXPECT_EQ(a->y, "");
  EXPECT_EQ(a->z, "");  // noop: nothing to plot
}

TEST(ChooseAxesTest, NoResultsYetLeaveZEmptyButStillCheckNames) {
  auto a = choose_axes(kSirParams, kSirOutputs, nullptr, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->z, "");
  EXPECT_FALSE(choose_axes(kSirParams, kSirOutputs, nullptr, {"", "", "peak"}));
  // Nothing declared and nothing computed: any name may come.
  auto any = choose_axes({"a", "b"}, {}, nullptr, {"", "", "future"});
  ASSERT_TRUE(any);
  EXPECT_EQ(any->z, "future");
}

TEST(ChooseAxesTest, MistakesNameTheKnownNamesWithTheClosest) {
  struct Case {
    ReportOptions options;
    std::string message;
  };
  const Case cases[] = {
      {{"bet", "", ""},
       "unknown parameter 'bet' for x (did you mean 'beta'?; the parameters are beta, gamma)"},
      {{"", "gama", ""},
       "unknown parameter 'gama' for y (did you mean 'gamma'?; the parameters are beta, gamma)"},
      {{"", "", "peak_infekted"},
       "unknown output 'peak_infekted' for z (did you mean 'peak_infected'?; the outputs are "
       "peak_infected, peak_day, final_size, r0)"},
      {{"", "", "zzz"},
       "unknown output 'zzz' for z (the outputs are peak_infected, peak_day, final_size, r0)"},
      {{"beta", "beta", ""}, "x and y are both 'beta'"},
      {{"", "", "beta"},
       "unknown output 'beta' for z (the outputs are peak_infected, peak_day, final_size, r0)"},
  };
  for (const auto& c : cases) {
    auto a = choose_axes(kSirParams, kSirOutputs, sir_record(), c.options);
    ASSERT_FALSE(a) << c.message;
    EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(a.error().message, c.message);
  }
  auto one = choose_axes({"beta"}, {}, json{{"beta", 1}, {"v", 2}}, {"", "gamma", ""});
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().message,
            "y: the job has one parameter ('beta'): its report is a line plot along x");
}

TEST(RecordsOfTest, ArraysObjectsAndGarbage) {
  EXPECT_EQ(records_of(R"([{"a":1},{"a":2},3])").size(), 2u);
  EXPECT_EQ(records_of(R"({"a":1})").size(), 1u);
  EXPECT_TRUE(records_of("not json").empty());
  EXPECT_TRUE(records_of("").empty());
}

// A 3 x 2 grid whose z is x * 10 + y, added out of order.
TEST(PlotBuilderTest, GridHoldsEveryCellAtItsXAndY) {
  PlotBuilder p({"x", "y", "z"});
  for (double x : {3.0, 1.0, 2.0}) {
    for (double y : {20.0, 10.0}) p.add({{"x", x}, {"y", y}, {"z", x * 10 + y}});
  }
  json g = p.to_json()["grid"];
  EXPECT_EQ(g["xs"], json::array({1.0, 2.0, 3.0}));
  EXPECT_EQ(g["ys"], json::array({10.0, 20.0}));
  ASSERT_EQ(g["values"].size(), 2u);
  for (size_t j = 0; j < 2; ++j) {
    ASSERT_EQ(g["values"][j].size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(g["values"][j][i].get<double>(),
                g["xs"][i].get<double>() * 10 + g["ys"][j].get<double>());
    }
  }
  EXPECT_EQ(g["aggregate"], "none");
  EXPECT_EQ(g["empty_cells"], 0);
  EXPECT_EQ(g["z_min"], 20.0);
  EXPECT_EQ(g["z_max"], 50.0);
  EXPECT_EQ(g["x_binned"], false);
  EXPECT_FALSE(g.contains("x_ranges"));
}

TEST(PlotBuilderTest, RecordsSharingACellAreAveragedAndSaySo) {
  PlotBuilder p({"x", "y", "z"});
  for (int seed = 0; seed < 4; ++seed) {
    p.add({{"x", 1}, {"y", 1}, {"seed", seed}, {"z", seed}});
  }
  p.add({{"x", 2}, {"y", 1}, {"z", 7}});
  p.add({{"x", 1}, {"y", 2}, {"z", 5}});
  json g = p.to_json()["grid"];
  EXPECT_EQ(g["aggregate"], "mean");
  EXPECT_EQ(g["records_per_cell_max"], 4);
  EXPECT_EQ(g["records_per_point_max"], 4);
  EXPECT_EQ(g["values"][0][0], 1.5);
  EXPECT_EQ(g["values"][0][1], 7.0);
  EXPECT_EQ(g["values"][1][0], 5.0);
  EXPECT_TRUE(g["values"][1][1].is_null());
  EXPECT_EQ(g["empty_cells"], 1);
}

TEST(PlotBuilderTest, RecordsWithoutNumbersAreSkippedAndCounted) {
  PlotBuilder p({"x", "y", "z"});
  p.add({{"x", 1}, {"y", 1}, {"z", 1}});
  p.add({{"x", 1}, {"y", 1}, {"z", "text"}});
  p.add({{"x", 1}, {"z", 1}});
  p.add({{"x", json::array({1})}, {"y", 1}, {"z", 1}});
  p.add(json(3));
  p.add({{"x", 2}, {"y", 1}, {"z", true}});
  json g = p.to_json()["grid"];
  EXPECT_EQ(g["skipped"], 4);
  EXPECT_EQ(g["values"][0], json::array({1.0, 1.0}));
}

TEST(PlotBuilderTest, TextAxesKeepTheOrderOfTheSets) {
  PlotBuilder p({"model", "days", "z"});
  for (const char* m : {"sir", "seir", "abc"}) p.add({{"model", m}, {"days", 100}, {"z", 1}});
  EXPECT_EQ(p.to_json()["grid"]["xs"], json::array({"sir", "seir", "abc"}));
}

TEST(PlotBuilderTest, AxesPastTheLimitAreBinnedByRankWithTheirRanges) {
  PlotBuilder p({"x", "y", "z"});
  // 1000 x values on a logarithmic scale, 2 y values; z = x's rank.
  for (int i = 0; i < 1000; ++i) {
    for (int y = 0; y < 2; ++y) p.add({{"x", std::pow(10.0, i / 100.0)}, {"y", y}, {"z", i}});
  }
  json g = p.to_json(300, 5000)["grid"];
  ASSERT_EQ(g["xs"].size(), 300u);
  EXPECT_EQ(g["ys"].size(), 2u);
  EXPECT_EQ(g["x_binned"], true);
  EXPECT_EQ(g["y_binned"], false);
  ASSERT_EQ(g["x_ranges"].size(), 300u);
  // Averaged because bins hold several values, not because of another
  // parameter.
  EXPECT_EQ(g["aggregate"], "mean");
  EXPECT_EQ(g["records_per_point_max"], 1);
  // Every rank lands in exactly one bin, in order, and each bin's mean is
  // the mean of the ranks it holds.
  int64_t next = 0;
  for (size_t b = 0; b < 300; ++b) {
    double lo = g["x_ranges"][b][0].get<double>(), hi = g["x_ranges"][b][1].get<double>();
    int64_t first = std::llround(std::log10(lo) * 100), last = std::llround(std::log10(hi) * 100);
    EXPECT_EQ(first, next) << b;
    EXPECT_EQ(g["xs"][b], g["x_ranges"][b][0]);
    EXPECT_DOUBLE_EQ(g["values"][0][b].get<double>(), (first + last) / 2.0) << b;
    next = last + 1;
  }
  EXPECT_EQ(next, 1000);
}

TEST(PlotBuilderTest, OneParameterIsALineSortedByX) {
  PlotBuilder p({"x", "", "z"});
  p.add({{"x", 3}, {"z", 9}});
  p.add({{"x", 1}, {"z", 1}});
  p.add({{"x", 2}, {"z", 4}});
  p.add({{"x", 2}, {"z", 6}});
  json out = p.to_json();
  ASSERT_TRUE(out.contains("line"));
  EXPECT_FALSE(out.contains("grid"));
  json l = out["line"];
  EXPECT_EQ(l["xs"], json::array({1, 2, 3}));
  EXPECT_EQ(l["zs"], json::array({1.0, 5.0, 9.0}));
  EXPECT_EQ(l["aggregate"], "mean");
  EXPECT_EQ(l["binned"], false);
}

TEST(PlotBuilderTest, NothingToPlotGivesNothing) {
  PlotBuilder p({"x", "y", ""});
  p.add({{"x", 1}, {"y", 1}});
  EXPECT_TRUE(p.to_json().empty());
}

queue::ResultRecord result(int64_t chunk, const std::string& worker, int attempt, double seconds,
                           int64_t completed_ms, int64_t claimed_ms, int64_t queued_ms) {
  queue::ResultRecord r;
  r.entry_id = std::to_string(chunk + 1) + "-0";
  r.fields = {
      {"chunk_id", std::to_string(chunk)},     {"worker_id", worker},
      {"attempt", std::to_string(attempt)},    {"duration_seconds", std::to_string(seconds)},
      {"completed_at", iso8601(completed_ms)}, {"result_data", "[]"}};
  if (claimed_ms > 0) r.fields["claimed_ms"] = std::to_string(claimed_ms);
  if (queued_ms > 0) r.fields["queued_ms"] = std::to_string(queued_ms);
  return r;
}

constexpr int64_t kT0 = 1'700'000'000'000;

TEST(TimingTest, ReadsEveryFieldAndOldEntriesWithoutTheClaim) {
  auto t = timing_of(result(7, "w1", 2, 1.5, kT0 + 2000, kT0 + 400, kT0));
  EXPECT_EQ(t.chunk, 7);
  EXPECT_EQ(t.worker, "w1");
  EXPECT_EQ(t.attempt, 2);
  EXPECT_DOUBLE_EQ(t.seconds, 1.5);
  EXPECT_EQ(t.completed_ms, kT0 + 2000);
  EXPECT_EQ(t.claimed_ms, kT0 + 400);
  EXPECT_EQ(t.queued_ms, kT0);
  auto old = timing_of(result(1, "w", 1, 0.5, kT0, 0, 0));
  EXPECT_EQ(old.claimed_ms, 0);
  EXPECT_EQ(old.queued_ms, 0);
}

queue::ResultRecord event(std::map<std::string, std::string> fields) {
  queue::ResultRecord r;
  r.entry_id = fields["at"] + "-0";
  r.fields = std::move(fields);
  return r;
}

TEST(TimelineTest, ABarPerChunkEndingAtItsCommitAndTheMarkedEvents) {
  std::vector<ChunkTiming> chunks = {
      timing_of(result(0, "w0", 1, 1.0, kT0 + 1500, kT0 + 400, kT0)),
      timing_of(result(1, "w1", 2, 0.25, kT0 + 3000, kT0 + 2000, kT0)),
      timing_of(result(2, "w0", 1, 0.5, kT0 + 2100, kT0 + 1500, kT0))};
  std::vector<queue::ResultRecord> events = {
      event({{"at", std::to_string(kT0 + 2500)},
             {"type", "takeover"},
             {"chunk", "1"},
             {"from", "w9"},
             {"to", "w1"},
             {"reason", "worker gone"}}),
      event({{"at", std::to_string(kT0 + 2600)},
             {"type", "retry"},
             {"chunk", "4"},
             {"worker", "w0"},
             {"attempt", "2"},
             {"error", "boom\nstack"}}),
      event({{"at", std::to_string(kT0 + 2700)}, {"type", "released"}, {"chunk", "5"}}),
      event({{"at", std::to_string(kT0 + 2800)},
             {"type", "dead"},
             {"chunk", "6"},
             {"worker", "w2"},
             {"reason", "max_attempts"}}),
  };
  json t = timeline_json(chunks, events);
  ASSERT_EQ(t["bars"].size(), 3u);
  EXPECT_EQ(t["bars_total"], 3);
  EXPECT_EQ(t["bars_omitted"], 0);
  // Sorted by start.
  EXPECT_EQ(t["bars"][0]["chunk"], 0);
  EXPECT_EQ(t["bars"][0]["start_ms"], kT0 + 500);
  EXPECT_EQ(t["bars"][0]["end_ms"], kT0 + 1500);
  EXPECT_EQ(t["bars"][1]["chunk"], 2);
  EXPECT_EQ(t["bars"][2]["chunk"], 1);
  EXPECT_EQ(t["bars"][2]["start_ms"], kT0 + 2750);
  EXPECT_EQ(t["bars"][2]["attempt"], 2);
  EXPECT_EQ(t["bars"][2]["claimed_ms"], kT0 + 2000);
  EXPECT_EQ(t["bars"][2]["queued_ms"], kT0);
  ASSERT_EQ(t["events"].size(), 3u);  // released is not shown
  EXPECT_EQ(t["events"][0]["type"], "takeover");
  EXPECT_EQ(t["events"][0]["worker"], "w1");
  EXPECT_EQ(t["events"][0]["from"], "w9");
  EXPECT_EQ(t["events"][0]["reason"], "worker gone");
  EXPECT_EQ(t["events"][0]["chunk"], 1);
  EXPECT_EQ(t["events"][1]["type"], "retry");
  EXPECT_EQ(t["events"][1]["attempt"], 2);
  EXPECT_EQ(t["events"][1]["error"], "boom");
  EXPECT_EQ(t["events"][2]["type"], "dead");
  EXPECT_EQ(t["workers"], json::array({"w0", "w1", "w2"}));
  EXPECT_EQ(t["start_ms"], kT0 + 500);
  EXPECT_EQ(t["end_ms"], kT0 + 3000);
}

TEST(TimelineTest, PastTheCapChunksRunAgainStayAndTheRestAreSampledEvenly) {
  std::vector<ChunkTiming> chunks;
  for (int64_t c = 0; c < 1000; ++c) {
    chunks.push_back(timing_of(result(c, "w" + std::to_string(c % 3), c % 100 == 7 ? 2 : 1, 0.01,
                                      kT0 + c * 10 + 10, 0, 0)));
  }
  json t = timeline_json(chunks, {}, 100, 10);
  ASSERT_EQ(t["bars"].size(), 100u);
  EXPECT_EQ(t["bars_total"], 1000);
  EXPECT_EQ(t["bars_omitted"], 900);
  int again = 0;
  int64_t first = -1, last = -1, prev = -1;
  for (const auto& b : t["bars"]) {
    if (b["attempt"] == 2) ++again;
    int64_t s = b["start_ms"].get<int64_t>();
    EXPECT_GE(s, prev);  // still in time order
    prev = s;
    if (b["attempt"] == 1) {
      if (first < 0) first = b["chunk"].get<int64_t>();
      last = b["chunk"].get<int64_t>();
    }
  }
  EXPECT_EQ(again, 10);
  // The sample spans the whole job.
  EXPECT_LT(first, 20);
  EXPECT_GT(last, 950);
}

TEST(TimelineTest, PastTheEventCapTheLatestEventsStay) {
  std::vector<queue::ResultRecord> events;
  for (int i = 0; i < 30; ++i) {
    events.push_back(event({{"at", std::to_string(kT0 + i)},
                            {"type", "duplicate"},
                            {"chunk", std::to_string(i)},
                            {"worker", "w"}}));
  }
  json t = timeline_json({}, events, 10, 10);
  ASSERT_EQ(t["events"].size(), 10u);
  EXPECT_EQ(t["events_total"], 30);
  EXPECT_EQ(t["events_omitted"], 20);
  EXPECT_EQ(t["events"][0]["chunk"], 20);
  EXPECT_TRUE(t["bars"].empty());
}

TEST(HistogramTest, EqualWidthBinsCountEveryValue) {
  std::vector<double> v;
  for (int i = 0; i < 100; ++i) v.push_back(i / 10.0);  // 0 .. 9.9
  json h = histogram_json(v);
  EXPECT_EQ(h["n"], 100);
  ASSERT_EQ(h["counts"].size(), 10u);  // sqrt(100)
  ASSERT_EQ(h["edges"].size(), 11u);
  EXPECT_EQ(h["edges"][0], 0.0);
  EXPECT_EQ(h["edges"][10], 9.9);
  int64_t sum = 0;
  for (const auto& c : h["counts"]) sum += c.get<int64_t>();
  EXPECT_EQ(sum, 100);
  EXPECT_EQ(h["min"], 0.0);
  EXPECT_EQ(h["max"], 9.9);
  EXPECT_DOUBLE_EQ(h["mean"].get<double>(), 4.95);
  EXPECT_DOUBLE_EQ(h["p50"].get<double>(), 4.9);
  EXPECT_DOUBLE_EQ(h["p90"].get<double>(), 8.9);
  EXPECT_DOUBLE_EQ(h["p99"].get<double>(), 9.8);
}

TEST(HistogramTest, BinsAreCappedOneValueIsOneBinNothingIsEmpty) {
  std::vector<double> many(10000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<double>(i);
  EXPECT_EQ(histogram_json(many, 40)["counts"].size(), 40u);
  json same = histogram_json({2.5, 2.5, 2.5});
  EXPECT_EQ(same["counts"], json::array({3}));
  EXPECT_EQ(same["edges"], json::array({2.5, 2.5}));
  json none = histogram_json({NAN, INFINITY});
  EXPECT_EQ(none["n"], 0);
  EXPECT_TRUE(none["counts"].empty());
  EXPECT_TRUE(none["p50"].is_null());
}

TEST(HistogramTest, QueueWaitsNeedBothTimesInOrder) {
  std::vector<ChunkTiming> chunks = {timing_of(result(0, "w", 1, 1.0, kT0 + 5000, kT0 + 1000, kT0)),
                                     timing_of(result(1, "w", 1, 2.0, kT0 + 5000, kT0 + 3000, kT0)),
                                     timing_of(result(2, "w", 1, 3.0, kT0 + 5000, 0, 0)),
                                     timing_of(result(3, "w", 1, 4.0, kT0 + 5000, kT0, kT0 + 10))};
  json h = histograms_json(chunks);
  EXPECT_EQ(h["compute_seconds"]["n"], 4);
  EXPECT_EQ(h["queue_wait_seconds"]["n"], 2);
  EXPECT_EQ(h["queue_wait_seconds"]["min"], 1.0);
  EXPECT_EQ(h["queue_wait_seconds"]["max"], 3.0);
}

}  // namespace
}  // namespace ttg::report

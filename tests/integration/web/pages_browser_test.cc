// TTG's pages in a real browser: headless Chromium (tests/browser/probe.js)
// loads the dashboard of a real `ttg serve` while real workers compute a job
// on a private redis-server, and again once the jobs are done; and opens a
// `ttg report` file from disk. Each checks what the page shows (the job, its
// progress and workers, updates without a reload, charts drawn with
// pixels), that the page raised no error and asked for nothing outside the
// server (or the file), and leaves a screenshot in the test's directory
// (kept, and named in the output, when TTG_TEST_KEEP_SCREENSHOTS is set).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/browser.h"
#include "support/scratch_dir.h"
#include "support/worker_fixture.h"

namespace ttg {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A script that counts the canvas's painted pixels (alpha > 0): a chart
// that drew nothing has none.
std::string painted_pixels(const std::string& selector) {
  return "(function () { var c = document.querySelector(" + json(selector).dump() +
         "); if (!c || !c.width || !c.height) return 0;"
         " var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;"
         " for (var i = 3; i < d.length; i += 4) if (d[i] > 0) ++n; return n; })()";
}

// How many bars of the Chart.js chart on the canvas `selector` are drawn at
// least one pixel long (the timeline's: one per chunk).
std::string chart_bars(const std::string& selector) {
  return "(function () { var c = Chart.getChart(document.querySelector(" + json(selector).dump() +
         ")); if (!c) return -1; var n = 0;"
         " c.data.datasets.forEach(function (d, i) { if (d.type !== 'bar') return;"
         " c.getDatasetMeta(i).data.forEach(function (b) {"
         " if (Math.abs(b.base - b.x) >= 1) ++n; }); }); return n; })()";
}

// The text of the first element matching `selector`, or null.
std::string text_of(const std::string& selector) {
  return "(function () { var e = document.querySelector(" + json(selector).dump() +
         "); return e ? e.textContent.trim() : null; })()";
}

class PagesBrowserTest : public testing::WorkerProcessFixture {
 protected:
  void SetUp() override {
    const std::string why = testing::browser_unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    WorkerProcessFixture::SetUp();
  }

  void TearDown() override {
    if (serve_.valid() && serve_.running()) serve_.stop(milliseconds(5000));
    WorkerProcessFixture::TearDown();
  }

  testing::RunResult ttg(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--redis", server_->url()});
    return testing::run_ttg(args, {"TTG_CONFIG=", "LOG_LEVEL=warn", "LOG_FORMAT="}, 60000);
  }

  void submit(const std::string& job, const std::string& spec_text,
              const std::vector<std::string>& extra = {}) {
    const std::string spec = scratch_.write(job + ".yaml", spec_text);
    std::vector<std::string> args{"submit", "--spec", spec, "--job", job};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = ttg(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  bool complete(const std::string& job) {
    auto s = store_->status(job);
    return s && s->state == JobState::kComplete;
  }

  // Starts `ttg serve` on a free loopback port; returns the port it prints.
  int start_serve() {
    const std::string log = dir_->path() + "/serve.log";
    logs_.push_back(log);
    serve_ = testing::start_ttg(
        {"serve", "--redis", server_->url(), "--port", "0", "--refresh-ms", "200"}, log);
    static const std::regex re(R"(serving http://127\.0\.0\.1:([0-9]+)/)");
    int port = 0;
    EXPECT_TRUE(testing::wait_until(
        [&] {
          std::smatch m;
          const std::string text = testing::read_file(log);
          if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
          return port > 0;
        },
        milliseconds(20000)))
        << "ttg serve never said where it serves";
    return port;
  }

  // Where a screenshot goes: the scratch directory, or, with
  // TTG_TEST_KEEP_SCREENSHOTS=DIR, that directory (for docs/).
  std::string shot(const std::string& name) {
    const char* keep = std::getenv("TTG_TEST_KEEP_SCREENSHOTS");
    const std::string dir = keep != nullptr && *keep != '\0' ? keep : scratch_.path();
    return dir + "/" + name;
  }

  // The probe's report, with what every page must satisfy checked: every
  // step ran, no request left `allowed`, no script error.
  testing::BrowserReport load(const json& plan) {
    auto report = testing::run_browser(plan, scratch_.path());
    EXPECT_TRUE(report.ok) << report.error << "\n" << report.raw;
    EXPECT_TRUE(report.outside.empty()) << "requests outside the page's origin: " << report.raw;
    EXPECT_TRUE(report.page_errors.empty()) << report.raw;
    EXPECT_TRUE(report.console_errors.empty()) << report.raw;
    EXPECT_FALSE(report.requests.empty()) << report.raw;
    return report;
  }

  util::Process serve_;
  testing::ScratchDir scratch_{"ttg-browser-test-"};
};

// The sir model over beta x gamma: a heatmap once done.
const char* kSirSpec =
    "kernel: sir\n"
    "args: {days: 100}\n"
    "params:\n"
    "  dims:\n"
    "    beta: {linspace: {start: 0.1, stop: 0.5, num: 8}}\n"
    "    gamma: {linspace: {start: 0.05, stop: 0.25, num: 6}}\n";

TEST_F(PagesBrowserTest, DashboardFollowsARunningJobThenShowsTheResultsOfAFinishedOne) {
  ASSERT_NO_FATAL_FAILURE(submit("sir", kSirSpec, {"--chunk-size", "4"}));
  // 200 chunks of 200 ms on 4 slots: about 10 s of running to watch.
  ASSERT_NO_FATAL_FAILURE(submit("slow",
                                 "kernel: simulate\n"
                                 "args: {work_ms: 200}\n"
                                 "params:\n"
                                 "  dims:\n"
                                 "    x: {linspace: {start: 0, stop: 1, num: 200}}\n",
                                 {"--chunk-size", "1"}));
  const int port = start_serve();
  ASSERT_GT(port, 0);
  for (const char* name : {"w1", "w2"}) {
    start_worker(name, {"--threads", "2", "--idle-timeout", "3"}, {"TTG_CONFIG="});
  }
  ASSERT_TRUE(testing::wait_until(
      [&] {
        auto s = store_->status("slow");
        return s && s->state == JobState::kRunning && s->done > 0 && s->done < 40;
      },
      milliseconds(30000)))
      << "the job never ran";

  const std::string origin = "http://127.0.0.1:" + std::to_string(port) + "/";
  const std::string row = "tr.job[data-job=\"slow\"]";
  const json live = {
      {"url", origin + "#job=slow"},
      {"allowed", {origin}},
      {"steps",
       {{{"wait_for", row}},
        {{"wait_for", "tr.job[data-job=\"sir\"]"}},
        {{"wait_for", "#job[data-job=\"slow\"]"}},
        {{"wait_until", "document.querySelectorAll('#workers tr.worker').length === 2"}},
        {{"wait_until", painted_pixels("#rate-chart") + " > 0"}},
        {{"eval", text_of(row + " .state")}, {"name", "state"}},
        {{"eval", text_of(row + " .progress-text")}, {"name", "progress"}},
        {{"eval", "document.querySelector('" + row + " .progress > span').style.width"},
         {"name", "bar"}},
        {{"eval", text_of("#job-name")}, {"name", "job_name"}},
        {{"eval", text_of("#workers")}, {"name", "workers"}},
        {{"eval", painted_pixels("#rate-chart")}, {"name", "chart_pixels"}},
        // Live updates without a reload: the marker survives while the
        // progress text changes.
        {{"eval",
          "window.ttgMarker = document.querySelector('" + row + " .progress-text').textContent"},
         {"name", "first"}},
        {{"wait_until", "window.ttgMarker !== undefined && document.querySelector('" + row +
                            " .progress-text').textContent !== window.ttgMarker"}},
        {{"eval", "window.ttgMarker !== undefined"}, {"name", "same_page"}},
        {{"screenshot", shot("dashboard-running.png")}}}}};
  auto running = load(live);
  EXPECT_EQ(running.values["state"], "running") << running.raw;
  EXPECT_TRUE(std::regex_match(running.values.value("progress", std::string()),
                               std::regex(R"([0-9]+/200)")))
      << running.raw;
  EXPECT_NE(running.values.value("bar", std::string()), "") << running.raw;
  EXPECT_EQ(running.values["job_name"], "slow");
  const std::string workers = running.values.value("workers", std::string());
  EXPECT_NE(workers.find("w1"), std::string::npos) << workers;
  EXPECT_NE(workers.find("w2"), std::string::npos) << workers;
  EXPECT_GT(running.values.value("chart_pixels", 0), 0);
  EXPECT_EQ(running.values["same_page"], true) << "the page was reloaded";
  for (const auto& url : running.requests) EXPECT_EQ(url.rfind(origin, 0), 0u) << url;

  ASSERT_TRUE(
      testing::wait_until([&] { return complete("slow") && complete("sir"); }, milliseconds(60000)))
      << "the jobs did not finish";

  // A finished job: its results view (views.js, the report's data) with the
  // heatmap of sir's peak over beta x gamma.
  const json done = {
      {"url", origin + "#job=sir"},
      {"allowed", {origin}},
      {"steps",
       {{{"wait_for", "#job[data-job=\"sir\"]"}},
        {{"wait_until", text_of("tr.job[data-job=\"slow\"] .state") + " === 'complete'"}},
        {{"wait_until", "document.getElementById('results-view').dataset.rendered === 'true'"}},
        {{"wait_for", "#results-view #heatmap canvas"}},
        {{"eval", text_of("tr.job[data-job=\"sir\"] .progress-text")}, {"name", "progress"}},
        {{"eval", painted_pixels("#results-view #heatmap canvas")}, {"name", "heatmap_pixels"}},
        {{"eval", painted_pixels("#results-view #timeline canvas")}, {"name", "timeline_pixels"}},
        {{"eval",
          "document.querySelectorAll('[id]').length === "
          "new Set([...document.querySelectorAll('[id]')].map(e => e.id)).size"},
         {"name", "ids_unique"}},
        {{"screenshot", shot("dashboard-finished.png")}}}}};
  auto finished = load(done);
  EXPECT_EQ(finished.values["progress"], "12/12") << finished.raw;
  EXPECT_GT(finished.values.value("heatmap_pixels", 0), 0) << finished.raw;
  EXPECT_GT(finished.values.value("timeline_pixels", 0), 0) << finished.raw;
  EXPECT_EQ(finished.values["ids_unique"], true) << "two elements share an id";
  for (const auto& url : finished.requests) EXPECT_EQ(url.rfind(origin, 0), 0u) << url;
}

TEST_F(PagesBrowserTest, ReportOpensFromDiskOfflineWithEveryPicture) {
  ASSERT_NO_FATAL_FAILURE(submit("sir", kSirSpec, {"--chunk-size", "4"}));
  ASSERT_NO_FATAL_FAILURE(submit("line",
                                 "kernel: simulate\n"
                                 "args: {work_ms: 0}\n"
                                 "params:\n"
                                 "  dims:\n"
                                 "    x: {linspace: {start: 0, stop: 1, num: 30}}\n",
                                 {"--chunk-size", "3"}));
  start_worker("w1", {"--threads", "2", "--idle-timeout", "2"}, {"TTG_CONFIG="});
  ASSERT_TRUE(
      testing::wait_until([&] { return complete("sir") && complete("line"); }, milliseconds(60000)))
      << "the jobs did not finish";

  for (const std::string job : {"sir", "line"}) {
    SCOPED_TRACE(job);
    const std::string path = scratch_.path() + "/" + job + ".html";
    auto r = ttg({"report", job, "-o", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string url = "file://" + path;
    const std::string plot = job == "sir" ? "#heatmap canvas" : "#line canvas";
    const json plan = {
        {"url", url},
        {"allowed", {url}},
        {"steps",
         {{{"wait_until", "document.getElementById('report').dataset.rendered === 'true'"}},
          {{"wait_for", plot}},
          {{"wait_for", "#timeline canvas"}},
          {{"wait_for", "#hist-compute canvas"}},
          {{"wait_for", "#hist-wait canvas"}},
          {{"eval", text_of(".summary")}, {"name", "summary"}},
          {{"eval", painted_pixels(plot)}, {"name", "plot"}},
          {{"eval", painted_pixels("#timeline canvas")}, {"name", "timeline"}},
          {{"eval", chart_bars("#timeline canvas")}, {"name", "bars"}},
          {{"eval", painted_pixels("#hist-compute canvas")}, {"name", "compute"}},
          {{"eval", painted_pixels("#hist-wait canvas")}, {"name", "wait"}},
          {{"screenshot", shot("report-" + job + ".png")}}}}};
    auto page = load(plan);
    // The file itself is the only thing it loads.
    for (const auto& u : page.requests) EXPECT_EQ(u, url);
    EXPECT_NE(page.values.value("summary", std::string()).find(job), std::string::npos) << page.raw;
    // One bar per chunk, each at least 2 pixels long however short the chunk.
    EXPECT_EQ(page.values.value("bars", 0), job == "sir" ? 12 : 10) << page.raw;
    for (const char* picture : {"plot", "timeline", "compute", "wait"}) {
      EXPECT_GT(page.values.value(picture, 0), 0) << picture << " drew nothing: " << page.raw;
    }
  }
}

}  // namespace
}  // namespace ttg

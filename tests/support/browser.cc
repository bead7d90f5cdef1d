#include "support/browser.h"

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

#include "support/metrics.h"
#include "support/ttg_process.h"
#include "util/process.h"

namespace ttg::testing {
namespace {

const std::string kChromium = "/usr/bin/chromium";

std::string browser_dir() { return std::string(TTG_SOURCE_DIR) + "/tests/browser"; }

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

}  // namespace

std::string browser_unavailable() {
  if (find_on_path("node").empty()) return "node is not installed (scripts/setup.sh installs it)";
  if (!exists(kChromium)) return "chromium is not installed (Debian package chromium)";
  if (!exists(browser_dir() + "/node_modules/playwright-core/package.json")) {
    return "tests/browser/node_modules is missing (scripts/setup.sh runs npm ci there)";
  }
  return "";
}

BrowserReport run_browser(const nlohmann::json& plan, const std::string& dir, int timeout_ms) {
  static std::atomic<int> counter{0};
  const int n = ++counter;
  BrowserReport report;
  const std::string plan_path = dir + "/browser-plan-" + std::to_string(n) + ".json";
  const std::string out_path = dir + "/browser-report-" + std::to_string(n) + ".json";
  const std::string err_path = dir + "/browser-stderr-" + std::to_string(n) + ".txt";
  nlohmann::json full = plan;
  if (!full.contains("chromium")) full["chromium"] = kChromium;
  {
    std::ofstream f(plan_path);
    f << full.dump(2);
    if (!f) {
      report.error = "cannot write " + plan_path;
      return report;
    }
  }
  util::SpawnOptions options;
  options.stdout_path = out_path;
  options.stderr_path = err_path;
  auto probe =
      util::Process::spawn({find_on_path("node"), browser_dir() + "/probe.js", plan_path}, options);
  if (!probe) {
    report.error = "cannot start node: " + probe.error();
    return report;
  }
  auto status = probe->wait_for(std::chrono::milliseconds(timeout_ms));
  if (!status) {
    probe->stop(std::chrono::milliseconds(2000));
    report.error = "the browser probe did not finish within " + std::to_string(timeout_ms) + " ms";
  }
  report.raw = read_file(out_path);
  const std::string stderr_text = read_file(err_path);
  auto j = nlohmann::json::parse(report.raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (report.error.empty()) {
      report.error = "the browser probe printed no report (" +
                     (status ? util::describe_wait_status(*status) : std::string("killed")) +
                     "); stderr: " + stderr_text;
    }
    return report;
  }
  report.ok = j.value("ok", false) && report.error.empty();
  if (report.error.empty()) report.error = j.value("error", "");
  if (!stderr_text.empty()) report.raw += "\nstderr: " + stderr_text;
  report.requests = strings(j, "requests");
  report.outside = strings(j, "outside");
  report.console_errors = strings(j, "console_errors");
  report.page_errors = strings(j, "page_errors");
  if (j.contains("values")) report.values = j["values"];
  return report;
}

}  // namespace ttg::testing

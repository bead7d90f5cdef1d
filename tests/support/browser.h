#pragma once
// Headless Chromium for the tests of TTG's pages: tests/browser/probe.js
// (playwright-core driving Debian's /usr/bin/chromium) loads a page, runs a
// plan of steps (wait for an element, wait until a script is true, read a
// value, take a screenshot) and reports every request the page made. The
// probe only observes; the tests judge its report.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ttg::testing {

// Why the browser tests cannot run on this machine (node, chromium or
// tests/browser/node_modules missing: scripts/setup.sh installs them), or ""
// when they can. Tests skip with this reason.
std::string browser_unavailable();

struct BrowserReport {
  bool ok = false;                                   // every step ran
  std::string error;                                 // which step failed and why
  std::vector<std::string> requests;                 // every URL the page asked for
  std::vector<std::string> outside;                  // those outside the plan's `allowed`: aborted
  std::vector<std::string> console_errors;           // console.error and failed loads
  std::vector<std::string> page_errors;              // uncaught exceptions
  nlohmann::json values = nlohmann::json::object();  // the `eval` steps' results
  std::string raw;  // the probe's whole output, for failure messages
};

// Runs the probe with `plan` (tests/browser/probe.js says its fields),
// writing the plan into `dir`. Bounded: the probe is killed after
// `timeout_ms`. A probe that could not run or printed no report gives
// ok = false with the reason in `error`.
BrowserReport run_browser(const nlohmann::json& plan, const std::string& dir,
                          int timeout_ms = 120000);

}  // namespace ttg::testing

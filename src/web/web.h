#pragma once
// The files of TTG's web pages (the `ttg serve` dashboard, the `ttg report`
// page), compiled into the binary from src/web/assets/ and Debian's
// libjs-chart.js (src/web/CMakeLists.txt lists them). Read-only data with
// static lifetime: safe from any thread.

#include <string_view>
#include <vector>

namespace ttg::web {

struct Asset {
  std::string_view name;          // "chart.js", "dashboard.html", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view data;          // the file's bytes
};

// The asset called `name`, or nullptr.
const Asset* asset(std::string_view name);

// Every asset, in the order src/web/CMakeLists.txt lists them.
std::vector<const Asset*> assets();

}  // namespace ttg::web

#pragma once
// The page of `ttg report`: report data (build_report(), job_report.h) as
// one self-contained HTML file. ttg.css, Chart.js and views.js (web::asset)
// are inlined, the data is a `<script type="application/json">`, and a
// last script calls TTGViews.render(); a Content-Security-Policy forbids
// every request, so the page opened from disk (file://) loads nothing from
// anywhere.

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace ttg::report {

// Writes the page of `data` to `out`. Every text of `data` is escaped: no
// value can close the script that holds it or inject markup. Errors: kIo
// when `out` fails.
[[nodiscard]] Status write_report_html(const nlohmann::json& data, std::ostream& out);

// `json` as text safe inside a <script> element: '<', '>' and '&' written
// as \u003c, \u003e, \u0026 (the same JSON value); bytes that are not UTF-8
// become U+FFFD.
std::string script_safe_json(const nlohmann::json& json);

}  // namespace ttg::report

#include "report/report_html.h"

#include <ostream>
#include <string>
#include <string_view>

#include "web/web.h"

namespace ttg::report {

namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool starts_with_ci(std::string_view s, size_t at, std::string_view word) {
  if (s.size() - at < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = s[at + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

// The text of an inlined script or style, so that nothing in it ends its
// element early or opens a comment the parser would honour: "</script"
// (or "</style") becomes "<\/script", "<!--" becomes "<\!--". In JavaScript
// strings, regular expressions and comments, and in CSS, both mean the
// same; Chart.js and TTG's files hold neither.
std::string element_safe(std::string_view text, std::string_view tag) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size()) {
      if (text[i + 1] == '/' && starts_with_ci(text, i + 2, tag)) {
        out += "<\\/";
        ++i;
        continue;
      }
      if (text.substr(i, 4) == "<!--") {
        out += "<\\!--";
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string_view asset_text(const char* name) {
  const web::Asset* a = web::asset(name);
  // The assets are compiled in (src/web/CMakeLists.txt lists them).
  return a == nullptr ? std::string_view() : a->data;
}

// What the report page adds to ttg.css.
constexpr const char* kPageStyle = R"(
main.ttg-report { max-width: 1100px; }
)";

}  // namespace

std::string script_safe_json(const nlohmann::json& json) {
  std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  // '<', '>' and '&' occur only inside strings in JSON text, where the
  // escapes mean the same characters.
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

Status write_report_html(const nlohmann::json& data, std::ostream& out) {
  std::string job;
  if (data.contains("summary") && data["summary"].is_object()) {
    job = data["summary"].value("job", "");
  }
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         // Nothing may be fetched: scripts and styles are the inline ones.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
         "<title>TTG report: "
      << html_escape(job) << "</title>\n<style>\n"
      << element_safe(asset_text("ttg.css"), "style") << element_safe(kPageStyle, "style")
      << "</style>\n</head>\n<body>\n<header><h1>TTG report: " << html_escape(job)
      << "</h1></header>\n<main id=\"report\"><noscript>This report draws its pictures with "
         "JavaScript: allow scripts for this file.</noscript></main>\n"
         "<script type=\"application/json\" id=\"report-data\">"
      << script_safe_json(data) << "</script>\n<script>\n"
      << element_safe(asset_text("chart.js"), "script") << "\n</script>\n<script>\n"
      << element_safe(asset_text("views.js"), "script")
      << "\n</script>\n<script>\nTTGViews.render(document.getElementById('report'), "
         "JSON.parse(document.getElementById('report-data').textContent));\n</script>\n"
         "</body>\n</html>\n";
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, "write failed");
  return {};
}

}  // namespace ttg::report

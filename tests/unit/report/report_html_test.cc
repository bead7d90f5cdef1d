#include "report/report_html.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "web/web.h"

namespace ttg::report {
namespace {

using nlohmann::json;

std::string page_of(const json& data) {
  std::ostringstream out;
  auto st = write_report_html(data, out);
  EXPECT_TRUE(st) << st.error().message;
  return out.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ReportHtmlTest, PageInlinesItsScriptsStylesAndDataAndCallsRender) {
  json data = {{"format", "ttg-report-1"}, {"summary", {{"job", "sir"}}}};
  std::string page = page_of(data);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* name : {"chart.js", "views.js", "ttg.css"}) {
    const web::Asset* a = web::asset(name);
    ASSERT_NE(a, nullptr) << name;
    // The file's text is there whole (no escaping was needed in these).
    EXPECT_NE(page.find(a->data), std::string::npos) << name;
  }
  EXPECT_NE(page.find("<title>TTG report: sir</title>"), std::string::npos);
  EXPECT_NE(page.find("<script type=\"application/json\" id=\"report-data\">"), std::string::npos);
  EXPECT_NE(page.find("TTGViews.render(document.getElementById('report')"), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  // Four scripts (data, Chart.js, views.js, the call): each closed once.
  EXPECT_EQ(count(page, "<script"), 4u);
  EXPECT_EQ(count(page, "</script>"), 4u);
}

TEST(ReportHtmlTest, NothingIsLoadedFromAnywhere) {
  std::string page = page_of({{"summary", {{"job", "j"}}}});
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find(" href="), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("<iframe"), std::string::npos);
}

TEST(ReportHtmlTest, NoValueCanCloseItsScriptOrInjectMarkup) {
  const std::string hostile = "</script><script>alert(1)</script><!-- & \"x\" 'y'";
  json data = {{"summary", {{"job", hostile}, {"workers", json::array({{{"name", hostile}}})}}}};
  std::string page = page_of(data);
  EXPECT_EQ(count(page, "</script>"), 4u);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<!-- &"), std::string::npos);
  // The title and heading are escaped text.
  EXPECT_NE(page.find("<title>TTG report: &lt;/script&gt;&lt;script&gt;alert(1)"),
            std::string::npos);
  // The data reads back as the same value.
  std::string open = "<script type=\"application/json\" id=\"report-data\">";
  size_t from = page.find(open) + open.size();
  size_t to = page.find("</script>", from);
  json back = json::parse(page.substr(from, to - from));
  EXPECT_EQ(back, data);
}

TEST(ReportHtmlTest, ScriptSafeJsonIsTheSameValue) {
  json v = {{"a", "<b>&</b>"}, {"n", 1.5}, {"bad", std::string("\xff")}};
  std::string text = script_safe_json(v);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  json back = json::parse(text);
  EXPECT_EQ(back["a"], "<b>&</b>");
  EXPECT_EQ(back["bad"], "\xEF\xBF\xBD");  // U+FFFD
}

TEST(ReportHtmlTest, AFailedStreamIsAnError) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  auto st = write_report_html(json::object(), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kIo);
}

TEST(ViewsJsTest, DefinesTTGViewsAndTheStableIdsAndLoadsNothing) {
  const web::Asset* v = web::asset("views.js");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->content_type, "text/javascript; charset=utf-8");
  const std::string js(v->data);
  EXPECT_NE(js.find("global.TTGViews = {render: render}"), std::string::npos);
  for (const char* id : {"'heatmap'", "'timeline'", "'hist-compute'", "'hist-wait'",
                         "className: 'summary'", "'line'"}) {
    EXPECT_NE(js.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(js.find("http"), std::string::npos);
  EXPECT_EQ(js.find("fetch("), std::string::npos);
  EXPECT_EQ(js.find("XMLHttpRequest"), std::string::npos);
  EXPECT_EQ(js.find("</script"), std::string::npos);
}

}  // namespace
}  // namespace ttg::report

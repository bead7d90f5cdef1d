#include "web/web.h"

#include <gtest/gtest.h>

#include <string>

namespace ttg::web {
namespace {

TEST(WebAssets, ChartJsIsDebiansLibraryCompiledIn) {
  const Asset* chart = asset("chart.js");
  ASSERT_NE(chart, nullptr);
  EXPECT_EQ(chart->content_type, "text/javascript; charset=utf-8");
  // Debian's chart.min.js is the UMD build: it defines the global Chart.
  EXPECT_GT(chart->data.size(), 100000U);
  EXPECT_NE(chart->data.find("Chart"), std::string_view::npos);
  // The embedded bytes end where the file ends: no terminator is counted.
  EXPECT_NE(chart->data.back(), '\0');
}

TEST(WebAssets, UnknownNameIsNull) {
  EXPECT_EQ(asset("no-such-file.js"), nullptr);
  EXPECT_EQ(asset(""), nullptr);
}

TEST(WebAssets, EveryAssetHasATypeAndBytes) {
  const auto all = assets();
  ASSERT_FALSE(all.empty());
  for (const Asset* a : all) {
    EXPECT_FALSE(a->name.empty());
    EXPECT_FALSE(a->content_type.empty()) << a->name;
    EXPECT_FALSE(a->data.empty()) << a->name;
    EXPECT_EQ(asset(a->name), a) << "two assets named " << a->name;
  }
}

}  // namespace
}  // namespace ttg::web

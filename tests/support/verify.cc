#include "support/verify.h"

#include <gtest/gtest.h>

#include "verify/verdict.h"

namespace ttg::testing {

ExactlyOnceReport expect_exactly_once_and_correct(queue::JobStore& store, const std::string& job,
                                                  const JobSpec& spec,
                                                  const std::set<int64_t>& without_result) {
  ExactlyOnceReport report;
  // The dead-letter count is each test's own assertion; here only results.
  verify::CheckOptions options;
  options.without_result = without_result;
  options.dead = static_cast<int64_t>(without_result.size());
  auto v = verify::check_job(store, job, spec, options);
  EXPECT_TRUE(v) << v.error().message;
  if (!v) return report;
  report.results = v->results;
  report.missing = v->missing;
  report.twice = v->duplicate_results;
  report.wrong = v->mismatched;
  report.unexpected = v->unexpected;
  EXPECT_EQ(report.missing, 0) << "chunks without a result";
  EXPECT_EQ(report.twice, 0) << "chunks with more than one result, or results of no chunk";
  EXPECT_EQ(report.wrong, 0) << "results that differ from a recomputation";
  EXPECT_EQ(report.unexpected, 0) << "results of chunks that should have none";
  int64_t want_entries = spec.total_chunks() - static_cast<int64_t>(without_result.size());
  EXPECT_EQ(report.results, want_entries) << "entries in the results stream";
  EXPECT_TRUE(v->pass) << verify::verdict_text(*v);
  return report;
}

}  // namespace ttg::testing

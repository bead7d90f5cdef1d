#include "support/verify.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "kernels/kernel.h"
#include "util/strings.h"

namespace ttg::testing {

ExactlyOnceReport expect_exactly_once_and_correct(queue::JobStore& store, const std::string& job,
                                                  const JobSpec& spec,
                                                  const std::set<int64_t>& without_result) {
  ExactlyOnceReport report;
  std::map<int64_t, std::vector<std::string>> by_chunk;
  auto read = store.for_each_result(job, [&](const queue::ResultRecord& r) {
    ++report.results;
    auto chunk = r.fields.find("chunk_id");
    auto data = r.fields.find("result_data");
    int64_t c = chunk == r.fields.end() ? -1 : util::parse_int(chunk->second).value_or(-1);
    by_chunk[c].push_back(data == r.fields.end() ? "" : data->second);
  });
  EXPECT_TRUE(read) << read.error().message;
  auto kernel = kernels::make_kernel(kernels::reference_spec(spec));
  EXPECT_TRUE(kernel) << kernel.error().message;
  if (!read || !kernel) return report;
  kernels::CancelFlag cancel{false};
  for (int64_t c = 0; c < spec.total_chunks(); ++c) {
    auto it = by_chunk.find(c);
    if (without_result.count(c) != 0) {
      if (it != by_chunk.end()) ++report.unexpected;
      continue;
    }
    if (it == by_chunk.end()) {
      ++report.missing;
      continue;
    }
    if (it->second.size() != 1) ++report.twice;
    auto want = (*kernel)->run(
        {job, c, spec.chunk_begin(c), spec.chunk_end(c), 1, kernels::points_for(spec)}, cancel);
    EXPECT_TRUE(want) << "recomputing chunk " << c << ": " << want.error().message;
    if (!want || it->second[0] != *want) ++report.wrong;
  }
  EXPECT_EQ(report.missing, 0) << "chunks without a result";
  EXPECT_EQ(report.twice, 0) << "chunks with more than one result";
  EXPECT_EQ(report.wrong, 0) << "results that differ from a recomputation";
  EXPECT_EQ(report.unexpected, 0) << "results of chunks that should have none";
  int64_t want_entries = spec.total_chunks() - static_cast<int64_t>(without_result.size());
  EXPECT_EQ(report.results, want_entries) << "entries in the results stream";
  EXPECT_EQ(by_chunk.count(-1), 0u) << "results that name no chunk";
  return report;
}

}  // namespace ttg::testing

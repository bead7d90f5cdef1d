#include "verify/verdict.h"

#include <map>
#include <vector>

#include "util/strings.h"

namespace ttg::verify {

Result<Verdict> check_job(queue::JobStore& store, const std::string& job, const JobSpec& spec,
                          const CheckOptions& options) {
  Verdict v;
  v.total = spec.total_chunks();
  v.dead = options.dead;
  auto note = [&](const std::string& problem) {
    if (v.first_problem.empty()) v.first_problem = problem;
  };
  std::map<int64_t, std::vector<std::string>> by_chunk;
  TTG_TRY(store.for_each_result(job, [&](const queue::ResultRecord& r) {
    ++v.results;
    auto it = r.fields.find("chunk_id");
    int64_t c = it == r.fields.end() ? -1 : util::parse_int(it->second).value_or(-1);
    auto d = r.fields.find("result_data");
    by_chunk[c].push_back(d == r.fields.end() ? "" : d->second);
  }));
  const JobSpec reference = kernels::reference_spec(spec);
  TTG_TRY_ASSIGN(auto kernel, options.plugins ? kernels::make_kernel(reference, *options.plugins)
                                              : kernels::make_kernel(reference));
  const kernels::PointFn point = kernels::points_for(spec);
  kernels::CancelFlag cancel{false};
  for (int64_t c = 0; c < v.total; ++c) {
    auto it = by_chunk.find(c);
    if (options.without_result.count(c) != 0) {
      if (it != by_chunk.end()) {
        ++v.unexpected;
        note("chunk " + std::to_string(c) + " has a result but should have none");
      }
      continue;
    }
    if (it == by_chunk.end()) {
      ++v.missing;
      note("chunk " + std::to_string(c) + " has no result");
      continue;
    }
    ++v.with_result;
    if (it->second.size() > 1) {
      ++v.duplicate_results;
      note("chunk " + std::to_string(c) + " has " + std::to_string(it->second.size()) + " results");
    }
    auto want = kernel->run({job, c, spec.chunk_begin(c), spec.chunk_end(c), 1, point}, cancel);
    if (!want)
      return tl::unexpected(want.error().with_context("recomputing chunk " + std::to_string(c)));
    for (const auto& got : it->second) {
      if (got != *want) {
        ++v.mismatched;
        note("chunk " + std::to_string(c) + ": value differs from recomputation");
      }
    }
    v.checked_values += spec.chunk_end(c) - spec.chunk_begin(c);
  }
  for (auto& [c, list] : by_chunk) {
    if (c < 0 || c >= v.total) {
      v.duplicate_results += static_cast<int64_t>(list.size());
      note("a result names no chunk of the job");
    }
  }
  const auto expected_dead = static_cast<int64_t>(options.without_result.size());
  if (v.dead != expected_dead) {
    note(std::to_string(v.dead) + " chunks were dead-lettered" +
         (expected_dead > 0 ? " (expected " + std::to_string(expected_dead) + ")" : ""));
  }
  v.pass = v.missing == 0 && v.duplicate_results == 0 && v.unexpected == 0 && v.mismatched == 0 &&
           v.dead == expected_dead;
  return v;
}

std::string verdict_text(const Verdict& v) {
  return v.pass
             ? "PASS: every chunk has exactly one result, none is missing, and all " +
                   std::to_string(v.checked_values) + " values equal a single-process recomputation"
             : "FAIL: " + v.first_problem;
}

}  // namespace ttg::verify

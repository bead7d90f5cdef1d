#include "cli/verdict.h"

#include <map>
#include <vector>

#include "util/strings.h"

namespace ttg::cli {

Result<Verdict> compute_verdict(queue::JobStore& store, const std::string& job, const JobSpec& spec,
                                int64_t dead, const kernels::Registry* plugins) {
  Verdict v;
  v.total = spec.total_chunks();
  v.dead = dead;
  std::map<int64_t, std::vector<std::string>> by_chunk;
  TTG_TRY(store.for_each_result(job, [&](const queue::ResultRecord& r) {
    auto it = r.fields.find("chunk_id");
    int64_t c = it == r.fields.end() ? -1 : util::parse_int(it->second).value_or(-1);
    auto d = r.fields.find("result_data");
    by_chunk[c].push_back(d == r.fields.end() ? "" : d->second);
  }));
  const JobSpec reference = kernels::reference_spec(spec);
  TTG_TRY_ASSIGN(auto kernel, plugins ? kernels::make_kernel(reference, *plugins)
                                      : kernels::make_kernel(reference));
  const kernels::PointFn point = kernels::points_for(spec);
  kernels::CancelFlag cancel{false};
  for (int64_t c = 0; c < v.total; ++c) {
    auto it = by_chunk.find(c);
    if (it == by_chunk.end()) {
      ++v.missing;
      if (v.first_problem.empty())
        v.first_problem = "chunk " + std::to_string(c) + " has no result";
      continue;
    }
    ++v.with_result;
    if (it->second.size() > 1) {
      ++v.duplicate_results;
      if (v.first_problem.empty())
        v.first_problem =
            "chunk " + std::to_string(c) + " has " + std::to_string(it->second.size()) + " results";
    }
    auto want = kernel->run({job, c, spec.chunk_begin(c), spec.chunk_end(c), 1, point}, cancel);
    if (!want)
      return tl::unexpected(want.error().with_context("recomputing chunk " + std::to_string(c)));
    for (const auto& got : it->second) {
      if (got != *want) {
        ++v.mismatched;
        if (v.first_problem.empty())
          v.first_problem = "chunk " + std::to_string(c) + ": value differs from recomputation";
      }
    }
    v.checked_values += spec.chunk_end(c) - spec.chunk_begin(c);
  }
  for (auto& [c, list] : by_chunk) {
    if (c < 0 || c >= v.total) {
      ++v.duplicate_results;
      if (v.first_problem.empty()) v.first_problem = "a result names no chunk of the job";
    }
  }
  if (v.dead > 0 && v.first_problem.empty())
    v.first_problem = std::to_string(v.dead) + " chunks were dead-lettered";
  // Dead letters are reported; a run without injected kernel faults has none.
  v.pass = v.missing == 0 && v.duplicate_results == 0 && v.mismatched == 0 && v.dead == 0;
  return v;
}

std::string verdict_text(const Verdict& v) {
  return v.pass
             ? "PASS: every chunk has exactly one result, none is missing, and all " +
                   std::to_string(v.checked_values) + " values equal a single-process recomputation"
             : "FAIL: " + v.first_problem;
}

}  // namespace ttg::cli

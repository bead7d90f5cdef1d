// Fuzzes the parameter-table readers, ParamSpace::from_csv and from_jsonl
// (src/core/param_space.h), and detect_table_format (src/cli/spec_file.h).
// The whole input is the table's text; both readers see it, as does the
// format detection. A table they accept has sane points at every index
// tried; a table they reject gets a kInvalidArgument "SOURCE:LINE: ...".

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/spec_file.h"
#include "core/param_space.h"
#include "fuzz_check.h"
#include "util/strings.h"

namespace {

constexpr const char* kSource = "fuzz.table";

void check_table(const ttg::ParamSpace& space) {
  TTG_FUZZ_CHECK(space.is_table());
  int64_t n = space.size();
  TTG_FUZZ_CHECK(n >= 1);
  const auto& names = space.names();
  TTG_FUZZ_CHECK(!names.empty());
  for (const auto& name : names) TTG_FUZZ_CHECK(ttg::validate_param_name(name).has_value());
  for (int64_t i : {int64_t{0}, int64_t{1}, n / 2, n - 2, n - 1}) {
    if (i < 0 || i >= n) continue;
    auto point = space.point(i);
    TTG_FUZZ_CHECK(point.is_object());
    TTG_FUZZ_CHECK(point.size() == names.size());
    for (const auto& name : names) {
      auto it = point.find(name);
      TTG_FUZZ_CHECK(it != point.end());
      TTG_FUZZ_CHECK(it->is_number() || it->is_string() || it->is_boolean());
      if (it->is_number_float()) TTG_FUZZ_CHECK(std::isfinite(it->get<double>()));
    }
    // Points go to kernels and results as JSON text.
    TTG_FUZZ_CHECK(nlohmann::json::parse(point.dump()) == point);
  }
  // Stored in the job's spec and read back by every worker.
  auto back = ttg::ParamSpace::from_json(nlohmann::json::parse(space.to_json().dump()));
  TTG_FUZZ_CHECK(back.has_value());
  TTG_FUZZ_CHECK(back->size() == n);
  TTG_FUZZ_CHECK(back->point(n - 1) == space.point(n - 1));
  TTG_FUZZ_CHECK(!space.describe().empty());
}

void check_result(const ttg::Result<ttg::ParamSpace>& table) {
  if (table) {
    check_table(*table);
    return;
  }
  TTG_FUZZ_CHECK(table.error().code == ttg::ErrorCode::kInvalidArgument);
  TTG_FUZZ_CHECK(ttg::util::starts_with(table.error().message, std::string(kSource) + ":"));
}

void check(std::string_view text) {
  check_result(ttg::ParamSpace::from_csv(text, kSource));
  check_result(ttg::ParamSpace::from_jsonl(text, kSource));
  // Extensions decide before the content does.
  TTG_FUZZ_CHECK(ttg::cli::detect_table_format("t.csv", text) == ttg::cli::TableFormat::kCsv);
  TTG_FUZZ_CHECK(ttg::cli::detect_table_format("t.JSONL", text) ==
                 ttg::cli::TableFormat::kJsonLines);
  auto by_content = ttg::cli::detect_table_format("table", text);
  std::string_view rest = ttg::util::trim(text);
  if (rest.empty()) TTG_FUZZ_CHECK(by_content == ttg::cli::TableFormat::kCsv);
  if (!rest.empty() && rest.front() == '{') {
    TTG_FUZZ_CHECK(by_content == ttg::cli::TableFormat::kJsonLines);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ttg::fuzz::run_guarded([&] { check(ttg::fuzz::as_text(data, size)); });
  return 0;
}

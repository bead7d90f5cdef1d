// Fuzzes the job spec parser, ttg::cli::parse_spec (src/cli/spec_file.h):
// any text, read as YAML and as JSON, gives a SpecFile that obeys the
// documented rules, or a kInvalidArgument "SOURCE:LINE: message" whose line
// is in the text; it never throws.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/spec_file.h"
#include "fuzz_check.h"
#include "util/strings.h"

namespace {

constexpr const char* kYamlSource = "fuzz.yaml";
constexpr const char* kJsonSource = "fuzz.json";

// A point is an object with exactly the space's names, each a scalar, and
// survives the JSON text it is stored and sent as.
void check_point(const ttg::ParamSpace& space, int64_t index) {
  auto point = space.point(index);
  TTG_FUZZ_CHECK(point.is_object());
  TTG_FUZZ_CHECK(point.size() == space.names().size());
  for (const auto& name : space.names()) {
    auto it = point.find(name);
    TTG_FUZZ_CHECK(it != point.end());
    TTG_FUZZ_CHECK(it->is_number() || it->is_string() || it->is_boolean());
  }
  TTG_FUZZ_CHECK(nlohmann::json::parse(point.dump()) == point);
}

void check_space(const ttg::ParamSpace& space) {
  int64_t n = space.size();
  TTG_FUZZ_CHECK(n >= 1);
  TTG_FUZZ_CHECK(!space.names().empty());
  for (int64_t i : {int64_t{0}, n / 2, n - 1}) check_point(space, i);
  // The spec stores the space as JSON; reading it back gives the same space.
  auto back = ttg::ParamSpace::from_json(nlohmann::json::parse(space.to_json().dump()));
  TTG_FUZZ_CHECK(back.has_value());
  TTG_FUZZ_CHECK(back->size() == n);
  TTG_FUZZ_CHECK(back->names() == space.names());
  TTG_FUZZ_CHECK(back->point(n - 1) == space.point(n - 1));
}

void check(std::string_view text, const std::string& source) {
  auto spec = ttg::cli::parse_spec(text, source);
  if (!spec) {
    TTG_FUZZ_CHECK(spec.error().code == ttg::ErrorCode::kInvalidArgument);
    const std::string& message = spec.error().message;
    TTG_FUZZ_CHECK(ttg::util::starts_with(message, source + ":"));
    // The line it names is one of the text's.
    auto line = ttg::util::parse_int(std::string_view(message).substr(
        source.size() + 1, message.find(':', source.size() + 1) - source.size() - 1));
    if (line) {
      TTG_FUZZ_CHECK(*line >= 1);
      TTG_FUZZ_CHECK(*line <= 1 + std::count(text.begin(), text.end(), '\n'));
    }
    return;
  }
  if (spec->chunk_size) TTG_FUZZ_CHECK(*spec->chunk_size >= 1);
  if (spec->max_attempts) {
    TTG_FUZZ_CHECK(*spec->max_attempts >= 1 && *spec->max_attempts <= 1000);
  }
  if (spec->args) {
    TTG_FUZZ_CHECK(spec->args->is_object());
    // Arguments are stored in the job's spec as JSON text.
    TTG_FUZZ_CHECK(nlohmann::json::parse(spec->args->dump()) == *spec->args);
  }
  if (spec->exec) {
    TTG_FUZZ_CHECK(!spec->kernel || *spec->kernel == "exec");
    TTG_FUZZ_CHECK(!spec->args || !spec->args->contains("command"));
  }
  if (spec->outputs) {
    auto names = *spec->outputs;
    TTG_FUZZ_CHECK(!names.empty());
    std::sort(names.begin(), names.end());
    TTG_FUZZ_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  }
  if (spec->params) check_space(*spec->params);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ttg::fuzz::run_guarded([&] {
    check(ttg::fuzz::as_text(data, size), kYamlSource);
    check(ttg::fuzz::as_text(data, size), kJsonSource);
  });
  return 0;
}

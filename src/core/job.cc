#include "core/job.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "util/strings.h"

namespace ttg {

void JobSpec::set_space(ParamSpace s) {
  total_params = s.size();
  space = std::move(s);
}

Result<ParamSpace> JobSpec::param_space() const {
  if (space) return *space;
  return ParamSpace::count(total_params);
}

nlohmann::json JobSpec::point(int64_t index) const {
  if (space) return space->point(index);
  return nlohmann::json{{"param", index}};
}

std::vector<std::string> JobSpec::param_names() const {
  if (space) return space->names();
  return {"param"};
}

nlohmann::json JobSpec::to_json() const {
  nlohmann::json j{{"kernel", kernel},
                   {"args", args},
                   {"total_params", total_params},
                   {"chunk_size", chunk_size},
                   {"max_attempts", max_attempts}};
  if (space) j["space"] = space->to_json();
  if (!outputs.empty()) j["outputs"] = outputs;
  return j;
}

Result<JobSpec> JobSpec::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "job spec: not an object");
  JobSpec spec;
  auto get_int = [&](const char* key, auto& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number_integer()) {
      return make_error(ErrorCode::kInvalidArgument,
                        std::string("job spec: '") + key + "' must be an integer");
    }
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return {};
  };
  TTG_TRY(get_int("total_params", spec.total_params));
  TTG_TRY(get_int("chunk_size", spec.chunk_size));
  TTG_TRY(get_int("max_attempts", spec.max_attempts));
  if (auto it = j.find("kernel"); it != j.end()) {
    if (!it->is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "job spec: 'kernel' must be a string");
    }
    spec.kernel = it->get<std::string>();
  }
  if (auto it = j.find("args"); it != j.end()) {
    if (!it->is_object()) {
      return make_error(ErrorCode::kInvalidArgument, "job spec: 'args' must be an object");
    }
    spec.args = *it;
  }
  if (auto it = j.find("space"); it != j.end()) {
    auto space = ParamSpace::from_json(*it);
    if (!space) return tl::unexpected(space.error().with_context("job spec"));
    if (j.contains("total_params") && spec.total_params != space->size()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "job spec: 'total_params' is " + std::to_string(spec.total_params) +
                            " but the space has " + std::to_string(space->size()) + " points");
    }
    spec.set_space(std::move(*space));
  }
  if (j.contains("outputs")) {
    const nlohmann::json& outputs = j.at("outputs");
    bool strings = outputs.is_array();
    for (size_t i = 0; strings && i < outputs.size(); ++i) strings = outputs[i].is_string();
    if (!strings) {
      return make_error(ErrorCode::kInvalidArgument,
                        "job spec: 'outputs' must be an array of strings");
    }
    spec.outputs = outputs.get<std::vector<std::string>>();
  }
  TTG_TRY(spec.validate());
  return spec;
}

Status JobSpec::validate() const {
  if (total_params < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "total params must be at least 1, got " + std::to_string(total_params));
  }
  if (space && space->size() != total_params) {
    return make_error(ErrorCode::kInvalidArgument, "total params is " +
                                                       std::to_string(total_params) +
                                                       " but the parameter space has " +
                                                       std::to_string(space->size()) + " points");
  }
  if (chunk_size < 1 || chunk_size > kMaxChunkSize) {
    return make_error(ErrorCode::kInvalidArgument, "chunk size must be from 1 to " +
                                                       std::to_string(kMaxChunkSize) + ", got " +
                                                       std::to_string(chunk_size));
  }
  if (total_chunks() > kMaxChunks) {
    return make_error(ErrorCode::kInvalidArgument, std::to_string(total_params) + " points make " +
                                                       std::to_string(total_chunks()) +
                                                       " chunks of " + std::to_string(chunk_size) +
                                                       ", more than " + std::to_string(kMaxChunks) +
                                                       "; use larger chunks");
  }
  if (max_attempts < 1 || max_attempts > 1000) {
    return make_error(ErrorCode::kInvalidArgument,
                      "max attempts must be from 1 to 1000, got " + std::to_string(max_attempts));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].empty()) {
      return make_error(ErrorCode::kInvalidArgument, "outputs: names must not be empty");
    }
    if (std::find(outputs.begin(), outputs.begin() + static_cast<std::ptrdiff_t>(i), outputs[i]) !=
        outputs.begin() + static_cast<std::ptrdiff_t>(i)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "outputs: '" + outputs[i] + "' is listed twice");
    }
  }
  return {};
}

Status validate_job_name(std::string_view name) {
  if (name.empty() || name.size() > 100) {
    return make_error(ErrorCode::kInvalidArgument, "job name must have 1 to 100 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "job name '" + std::string(name) + "' may only hold letters, digits, '.', '_' and '-'");
    }
  }
  return {};
}

std::string generate_job_name() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return std::string("job-") + buf + "-" + suffix;
}

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::kSubmitting:
      return "submitting";
    case JobState::kPending:
      return "pending";
    case JobState::kRunning:
      return "running";
    case JobState::kComplete:
      return "complete";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (auto s : {JobState::kSubmitting, JobState::kPending, JobState::kRunning, JobState::kComplete,
                 JobState::kCancelled}) {
    if (job_state_name(s) == text) return s;
  }
  return std::nullopt;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string generate_run_id() {
  std::random_device rd;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", static_cast<unsigned>(rd()),
                static_cast<unsigned>(rd()));
  return buf;
}

std::vector<std::string> spec_differences(const JobSpec& stored, const JobSpec& given) {
  std::vector<std::string> out;
  const nlohmann::json a = stored.to_json();
  const nlohmann::json b = given.to_json();
  auto show = [](const nlohmann::json* v) {
    return v == nullptr ? std::string("(none)") : v->dump();
  };
  auto compare = [&](const std::string& name, const nlohmann::json* x, const nlohmann::json* y) {
    if (x != nullptr && y != nullptr && *x == *y) return;
    if (x == nullptr && y == nullptr) return;
    std::string sx = show(x), sy = show(y);
    constexpr size_t kShown = 60;
    if (sx.size() > kShown) sx = sx.substr(0, kShown) + "...";
    if (sy.size() > kShown) sy = sy.substr(0, kShown) + "...";
    out.push_back(name + ": " + sx + " stored, " + sy + " given");
  };
  auto field = [](const nlohmann::json& j, const std::string& key) -> const nlohmann::json* {
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  };
  std::vector<std::string> keys;
  for (const auto& j : {a, b}) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
    }
  }
  for (const auto& key : keys) {
    const nlohmann::json* x = field(a, key);
    const nlohmann::json* y = field(b, key);
    if (key == "args" && x != nullptr && y != nullptr && x->is_object() && y->is_object()) {
      std::vector<std::string> names;
      for (const auto& j : {*x, *y}) {
        for (auto it = j.begin(); it != j.end(); ++it) {
          if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
            names.push_back(it.key());
          }
        }
      }
      for (const auto& n : names) compare("args." + n, field(*x, n), field(*y, n));
      continue;
    }
    compare(key, x, y);
  }
  return out;
}

std::string iso8601(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string iso8601_now() { return iso8601(unix_ms()); }

Result<std::vector<int64_t>> parse_chunk_list(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "'" + util::clip(text, 60) + "' is not a list of chunks such as 3,5-7: " + why);
  };
  std::vector<int64_t> out;
  if (util::trim(text).empty()) return bad("it is empty");
  for (const auto& raw : util::split(text, ',')) {
    const std::string part(util::trim(raw));
    if (part.empty()) return bad("an empty part (two commas, or one at an end)");
    auto dash = part.find('-', 1);
    int64_t from = 0, to = 0;
    if (dash == std::string::npos) {
      auto v = util::parse_int(part);
      if (!v || *v < 0) return bad("'" + util::clip(part, 30) + "' is not a chunk number");
      from = to = *v;
    } else {
      auto a = util::parse_int(util::trim(std::string_view(part).substr(0, dash)));
      auto b = util::parse_int(util::trim(std::string_view(part).substr(dash + 1)));
      if (!a || !b || *a < 0 || *b < 0) {
        return bad("'" + util::clip(part, 30) + "' is not a range of chunks such as 5-7");
      }
      if (*b < *a) return bad("the range '" + part + "' ends before it starts");
      from = *a;
      to = *b;
    }
    if (to - from >= kMaxChunkList - static_cast<int64_t>(out.size())) {
      return bad("more than " + std::to_string(kMaxChunkList) + " chunks");
    }
    for (int64_t c = from; c <= to; ++c) out.push_back(c);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string format_chunk_list(const std::vector<int64_t>& chunks, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < chunks.size();) {
    size_t j = i;
    while (j + 1 < chunks.size() && chunks[j + 1] == chunks[j] + 1) ++j;
    if (!out.empty()) out += separator;
    if (j - i >= 2) {
      out += std::to_string(chunks[i]) + "-" + std::to_string(chunks[j]);
    } else {
      out += std::to_string(chunks[i]);
      if (j > i) out += std::string(separator) + std::to_string(chunks[j]);
    }
    i = j + 1;
  }
  return out;
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS.mmmZ": digits everywhere but the separators.
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto num = [&](size_t at, size_t len) {
    int64_t v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int64_t y0 = num(0, 4), m = num(5, 2), d = num(8, 2);
  const int64_t hh = num(11, 2), mm = num(14, 2), ss = num(17, 2), ms = num(20, 3);
  if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  // Civil date to days since the epoch (Hinnant's days_from_civil).
  const int64_t y = m <= 2 ? y0 - 1 : y0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return ((days * 24 + hh) * 60 + mm) * 60 * 1000 + ss * 1000 + ms;
}

}  // namespace ttg

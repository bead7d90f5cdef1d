#include "kernels/answer_reader.h"

#include "util/strings.h"

namespace ttg::kernels {

void LineBuffer::append(std::string_view bytes) { buf_.append(bytes); }

Result<std::optional<std::string>> LineBuffer::next_line() {
  size_t nl = buf_.find('\n', scanned_);
  if (nl == std::string::npos) {
    scanned_ = buf_.size();
    if (buf_.size() > max_line_) return tl::unexpected(too_long());
    return std::optional<std::string>();
  }
  if (nl > max_line_) return tl::unexpected(too_long());
  std::string line = buf_.substr(0, nl);
  buf_.erase(0, nl + 1);
  scanned_ = 0;
  return std::optional<std::string>(std::move(line));
}

Status LineBuffer::check_limit() const {
  if (buf_.size() > max_line_) return tl::unexpected(too_long());
  return {};
}

void LineBuffer::clear() {
  buf_.clear();
  scanned_ = 0;
}

Error LineBuffer::too_long() const {
  constexpr size_t kMiB = size_t{1} << 20;
  std::string limit = max_line_ > 0 && max_line_ % kMiB == 0
                          ? std::to_string(max_line_ / kMiB) + " MiB"
                          : std::to_string(max_line_) + " bytes";
  return Error{ErrorCode::kKernelFailed, "it wrote more than " + limit + " without a newline"};
}

Result<nlohmann::json> parse_answer(std::string_view line,
                                    const std::vector<std::string>& outputs) {
  // The parser itself is not recursive; only the depth has to be watched.
  // A container starts at `depth` 0 outermost, so it is at level depth + 1.
  using Event = nlohmann::json::parse_event_t;
  bool too_deep = false;
  auto watch_depth = [&](int depth, Event event, nlohmann::json&) {
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxAnswerDepth) {
      too_deep = true;
    }
    return true;
  };
  auto answer = nlohmann::json::parse(line, watch_depth, /*allow_exceptions=*/false);
  auto failed = [&](const std::string& what) {
    return make_error(ErrorCode::kKernelFailed, what + ": " + util::clip(line));
  };
  if (answer.is_discarded()) return failed("its answer is not JSON");
  if (too_deep) {
    return failed("its answer is nested more than " + std::to_string(kMaxAnswerDepth) + " deep");
  }
  if (!answer.is_object()) return failed("its answer is not a JSON object");
  for (const auto& name : outputs) {
    if (!answer.contains(name)) return failed("its answer has no output '" + name + "'");
  }
  return answer;
}

}  // namespace ttg::kernels

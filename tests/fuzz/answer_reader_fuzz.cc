// Fuzzes the exec kernel's reading side (src/kernels/answer_reader.h): the
// program's output cut into lines by LineBuffer, each line checked by
// parse_answer.
//
// Input: two header bytes, then the program's output. Byte 0 sets the line
// limit (1 + byte, or 255: the real 16 MiB), byte 1 the size of the pieces
// the output arrives in (1 + byte), as reads from a pipe would split it.
//
// Lines come out in order, without '\n', none longer than the limit, and
// joined with '\n' they are the output read so far; a line over the limit
// is an error and nothing more is read (the kernel stops the program).
// parse_answer gives a JSON object with the outputs, or one of its four
// errors; neither throws.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "kernels/answer_reader.h"
#include "util/strings.h"

namespace {

void check_answer(const std::string& line) {
  for (const std::vector<std::string>& outputs :
       {std::vector<std::string>{"y"}, std::vector<std::string>{}}) {
    auto answer = ttg::kernels::parse_answer(line, outputs);
    if (answer) {
      TTG_FUZZ_CHECK(answer->is_object());
      for (const auto& name : outputs) TTG_FUZZ_CHECK(answer->contains(name));
      // Results are stored as JSON text.
      TTG_FUZZ_CHECK(nlohmann::json::parse(answer->dump()) == *answer);
      continue;
    }
    const auto& e = answer.error();
    TTG_FUZZ_CHECK(e.code == ttg::ErrorCode::kKernelFailed);
    TTG_FUZZ_CHECK(
        ttg::util::starts_with(e.message, "its answer is not JSON: ") ||
        ttg::util::starts_with(e.message, "its answer is nested more than 1000 deep: ") ||
        ttg::util::starts_with(e.message, "its answer is not a JSON object: ") ||
        ttg::util::starts_with(e.message, "its answer has no output 'y': "));
    // The line is quoted, cut to 200 bytes.
    TTG_FUZZ_CHECK(e.message.size() <= 64 + 200 + 3);
  }
}

void check(const uint8_t* data, size_t size) {
  if (size < 2) return;
  size_t max_line = data[0] == 255 ? ttg::kernels::kMaxAnswerLine : size_t{1} + data[0];
  size_t piece = size_t{1} + data[1];
  std::string_view output = ttg::fuzz::as_text(data + 2, size - 2);

  ttg::kernels::LineBuffer buffer(max_line);
  TTG_FUZZ_CHECK(buffer.max_line() == max_line);
  size_t taken = 0;  // bytes of the lines so far, each with its '\n'
  size_t fed = 0;
  bool failed = false;
  while (fed < output.size() && !failed) {
    size_t n = std::min(piece, output.size() - fed);
    buffer.append(output.substr(fed, n));
    fed += n;
    for (;;) {
      auto line = buffer.next_line();
      if (!line) {
        TTG_FUZZ_CHECK(line.error().code == ttg::ErrorCode::kKernelFailed);
        TTG_FUZZ_CHECK(ttg::util::starts_with(line.error().message, "it wrote more than "));
        // The first buffered line, complete or not, is over the limit.
        std::string_view rest = output.substr(taken, fed - taken);
        TTG_FUZZ_CHECK(rest.size() == buffer.size());
        TTG_FUZZ_CHECK(std::min(rest.find('\n'), rest.size()) > max_line);
        failed = true;
        break;
      }
      if (!*line) {
        // No complete line: what is left is a partial line within the limit.
        TTG_FUZZ_CHECK(buffer.size() <= max_line);
        TTG_FUZZ_CHECK(buffer.check_limit().has_value());
        break;
      }
      const std::string& text = **line;
      TTG_FUZZ_CHECK(text.find('\n') == std::string::npos);
      TTG_FUZZ_CHECK(text.size() <= max_line);
      // The line is the output's next bytes, up to its newline.
      TTG_FUZZ_CHECK(output.substr(taken, text.size()) == text);
      TTG_FUZZ_CHECK(output.substr(taken + text.size(), 1) == "\n");
      taken += text.size() + 1;
      check_answer(text);
    }
    // Lines and what is still buffered are exactly the output read so far.
    TTG_FUZZ_CHECK(taken + buffer.size() == fed);
  }
  if (!failed) {
    TTG_FUZZ_CHECK(output.substr(taken).find('\n') == std::string_view::npos);
  }
  buffer.clear();
  TTG_FUZZ_CHECK(buffer.size() == 0);
  auto none = buffer.next_line();
  TTG_FUZZ_CHECK(none.has_value() && !none->has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ttg::fuzz::run_guarded([&] { check(data, size); });
  return 0;
}

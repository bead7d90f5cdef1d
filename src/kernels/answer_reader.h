#pragma once
// Inside the kernels module: the reading side of the exec kernel's line
// protocol (command.cc). A program's stdout is cut into lines by LineBuffer,
// and each answer line is checked by parse_answer(). Both are pure (no I/O),
// so they are unit-tested and fuzzed without a program.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace ttg::kernels {

// The longest answer line the exec kernel accepts.
inline constexpr size_t kMaxAnswerLine = size_t{16} << 20;
// The deepest nesting of arrays and objects accepted in an answer: JSON
// text is written recursively, so a deeper answer could overflow the stack
// of the thread that records it.
inline constexpr int kMaxAnswerDepth = 1000;

// Bytes read from a program, cut into lines at '\n'. Holds whatever has been
// appended and not yet taken. Not thread-safe: one per program.
class LineBuffer {
 public:
  // Lines longer than `max_line` bytes (without their '\n') are errors.
  explicit LineBuffer(size_t max_line = kMaxAnswerLine) : max_line_(max_line) {}

  // Appends `bytes` as they were read: any bytes, split anywhere.
  void append(std::string_view bytes);

  // Takes the first complete line out of the buffer and returns it without
  // its '\n' (a '\r' before it stays). nullopt when no line is complete yet.
  // kKernelFailed "it wrote more than 16 MiB without a newline" (the limit
  // as given) when the first line, complete or not, is longer than
  // `max_line`; the buffer is then left as it was.
  [[nodiscard]] Result<std::optional<std::string>> next_line();

  // kKernelFailed with next_line()'s message when more than `max_line` bytes
  // are buffered, complete lines or not: a reader that is not taking lines
  // yet stops reading there, so the buffer stays bounded.
  [[nodiscard]] Status check_limit() const;

  // Bytes buffered.
  size_t size() const { return buf_.size(); }
  size_t max_line() const { return max_line_; }
  void clear();

 private:
  Error too_long() const;

  size_t max_line_;
  std::string buf_;
  // buf_[0, scanned_) holds no '\n': a line arriving in many pieces is
  // searched once, not once per piece.
  size_t scanned_ = 0;
};

// Checks one answer `line` of the exec kernel: a JSON object holding every
// name of `outputs`, nested at most kMaxAnswerDepth deep. Returns the
// object, else kKernelFailed with one of
//   its answer is not JSON: LINE
//   its answer is nested more than 1000 deep: LINE
//   its answer is not a JSON object: LINE
//   its answer has no output 'NAME': LINE
// where LINE is the line cut to its first 200 bytes. Never throws (but
// std::bad_alloc).
[[nodiscard]] Result<nlohmann::json> parse_answer(std::string_view line,
                                                  const std::vector<std::string>& outputs);

}  // namespace ttg::kernels

#pragma once
// Syntax errors of YAML and JSON text in plain words, on the line where the
// mistake most likely is. Parsers report where they noticed a problem, which
// is often a line or more after the mistake (an unclosed bracket is noticed
// at the end of the file, a missing ':' on the next line); these functions
// look at the text to find the mistake's own line.

#include <cstddef>
#include <string>
#include <string_view>

namespace ttg::util {

struct SyntaxError {
  // The line of the mistake, from 1.
  int line = 1;
  // What is wrong, in plain words, without the location: "the '[' on this
  // line is never closed".
  std::string message;
};

// Explains a YAML parser's error: `parser_message` is the parser's own text
// (yaml-cpp's, e.g. "end of sequence flow not found"), `mark_line` and
// `mark_column` where it stopped (from 0; negative when unknown), `text` the
// whole document. An error it does not recognise keeps the parser's line
// and reads "not valid YAML: <parser_message>".
SyntaxError explain_yaml_error(std::string_view text, std::string_view parser_message,
                               int mark_line, int mark_column);

// Explains why `text`, which a strict JSON parser (RFC 8259) refused, is not
// JSON: a trailing comma, a missing comma or colon, an unclosed bracket or
// string, a comment, single quotes, an unquoted name, NaN, text after the
// value. `error_byte` is where that parser stopped (1-based, as
// nlohmann::json::parse_error::byte), used with `parser_message` only when
// the text shows no mistake of those kinds.
SyntaxError explain_json_error(std::string_view text, size_t error_byte,
                               std::string_view parser_message);

}  // namespace ttg::util

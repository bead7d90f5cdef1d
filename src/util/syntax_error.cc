#include "util/syntax_error.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace ttg::util {

namespace {

// Line numbers of offsets into a text.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  // The line (from 1) holding offset `pos`.
  int line_of(size_t pos) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
    return static_cast<int>(it - starts_.begin());
  }
  int count() const { return static_cast<int>(starts_.size()); }
  // Line `line` (from 1) without its end.
  std::string_view line(int line) const {
    if (line < 1 || line > count()) return {};
    size_t begin = starts_[static_cast<size_t>(line - 1)];
    size_t end = static_cast<size_t>(line) < starts_.size() ? starts_[static_cast<size_t>(line)] - 1
                                                            : text_.size();
    std::string_view s = text_.substr(begin, end - begin);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string quoted_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    static const char* kHex = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
  }
  return "'" + std::string(1, c) + "'";
}

// ---- JSON ------------------------------------------------------------------

// A strict JSON reader that only looks for the first mistake. Iterative, so
// that deep nesting cannot overflow the stack.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : s_(text), lines_(text) {}

  std::optional<SyntaxError> check() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    for (;;) {
      if (auto e = skip_space()) return e;
      if (pos_ >= s_.size()) {
        if (!stack_.empty()) {
          const Frame& f = stack_.back();
          return at(f.open_at, "the '" + std::string(1, f.open) +
                                   "' on this line is never closed (add '" + closer(f.open) + "')");
        }
        if (want_ == Want::kEnd) return std::nullopt;
        return at(pos_, "no JSON value: the file is empty");
      }
      std::optional<SyntaxError> error;
      switch (want_) {
        case Want::kValue:
          error = value();
          break;
        case Want::kKey:
          error = key();
          break;
        case Want::kColon:
          error = colon();
          break;
        case Want::kCommaOrEnd:
          error = comma_or_end();
          break;
        case Want::kEnd:
          error = at(pos_, "more text after the end of the JSON value");
          break;
      }
      if (error) return error;
    }
  }

 private:
  enum class Want { kValue, kKey, kColon, kCommaOrEnd, kEnd };

  struct Frame {
    char open;       // '{' or '['
    size_t open_at;  // its offset
    // A comma not yet followed by a member or value.
    std::optional<size_t> comma_at;
    // No member or value yet.
    bool empty = true;
  };

  static std::string closer(char open) { return open == '{' ? "}" : "]"; }

  SyntaxError at(size_t pos, std::string message) const {
    size_t last = s_.empty() ? 0 : s_.size() - 1;
    return SyntaxError{lines_.line_of(std::min(pos, last)), std::move(message)};
  }

  // A value, a member or a container just ended at pos_ - 1.
  void ended() {
    value_end_ = pos_ == 0 ? 0 : pos_ - 1;
    want_ = stack_.empty() ? Want::kEnd : Want::kCommaOrEnd;
  }

  std::optional<SyntaxError> close() {
    ++pos_;
    stack_.pop_back();
    ended();
    return std::nullopt;
  }

  std::optional<SyntaxError> trailing_comma(const Frame& f, char c) const {
    return at(*f.comma_at, "a comma before '" + std::string(1, c) +
                               "': JSON allows none after the last " +
                               (f.open == '[' ? "value" : "member"));
  }

  std::optional<SyntaxError> value() {
    const char c = s_[pos_];
    if (!stack_.empty()) {
      Frame& f = stack_.back();
      if (c == ']' && f.open == '[') {
        if (f.comma_at) return trailing_comma(f, c);
        if (f.empty) return close();
      }
      if (c == '}' && f.open == '{') return at(pos_, "a value is missing after ':'");
      f.comma_at.reset();
      f.empty = false;
    }
    if (c == '{' || c == '[') {
      stack_.push_back(Frame{c, pos_, std::nullopt, true});
      ++pos_;
      want_ = c == '{' ? Want::kKey : Want::kValue;
      return std::nullopt;
    }
    if (auto e = scalar()) return e;
    ended();
    return std::nullopt;
  }

  std::optional<SyntaxError> key() {
    const char c = s_[pos_];
    Frame& f = stack_.back();
    if (c == '}') {
      if (f.comma_at) return trailing_comma(f, c);
      return close();
    }
    f.comma_at.reset();
    f.empty = false;
    if (c == '"') {
      key_at_ = pos_;
      if (auto e = string()) return e;
      key_end_ = pos_;
      want_ = Want::kColon;
      return std::nullopt;
    }
    if (c == '\'') return at(pos_, "names take double quotes (\"), not single");
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string word = token();
      return at(pos_, "the name '" + word + "' needs double quotes: \"" + word + "\"");
    }
    return at(pos_, "expected a name in double quotes, found " + quoted_char(c));
  }

  std::optional<SyntaxError> colon() {
    if (s_[pos_] != ':') {
      return at(key_at_, "missing ':' after the name " +
                             std::string(s_.substr(key_at_, key_end_ - key_at_)));
    }
    ++pos_;
    want_ = Want::kValue;
    return std::nullopt;
  }

  std::optional<SyntaxError> comma_or_end() {
    const char c = s_[pos_];
    Frame& f = stack_.back();
    if (c == ',') {
      f.comma_at = pos_;
      ++pos_;
      want_ = f.open == '{' ? Want::kKey : Want::kValue;
      return std::nullopt;
    }
    if (c == ']' || c == '}') {
      if (closer(f.open)[0] != c) {
        return at(pos_, "'" + std::string(1, c) + "' closes the '" + std::string(1, f.open) +
                            "' opened on line " + std::to_string(lines_.line_of(f.open_at)));
      }
      return close();
    }
    if (lines_.line_of(pos_) > lines_.line_of(value_end_)) {
      return at(value_end_, "missing ',' at the end of this line");
    }
    return at(pos_, "missing ',' before " + quoted_char(c));
  }

  std::optional<SyntaxError> skip_space() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (is_space(c)) {
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < s_.size() &&
                              (s_[pos_ + 1] == '/' || s_[pos_ + 1] == '*'))) {
        return at(pos_, "a comment: JSON has none");
      } else {
        break;
      }
    }
    return std::nullopt;
  }

  // The characters from pos_ up to the next delimiter, for messages.
  std::string token() const {
    size_t end = pos_;
    while (end < s_.size() && !is_space(s_[end]) &&
           std::string_view(",:[]{}\"").find(s_[end]) == std::string_view::npos) {
      ++end;
    }
    return std::string(s_.substr(pos_, std::min<size_t>(end - pos_, 40)));
  }

  std::optional<SyntaxError> scalar() {
    const char c = s_[pos_];
    if (c == '"') return string();
    if (c == '\'') return at(pos_, "strings take double quotes (\"), not single");
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
    if (std::isalpha(static_cast<unsigned char>(c))) {
      std::string word = token();
      if (word == "true" || word == "false" || word == "null") {
        pos_ += word.size();
        return std::nullopt;
      }
      if (word == "NaN" || word == "Infinity" || word == "nan" || word == "inf") {
        return at(pos_, "'" + word + "' is not a JSON number");
      }
      return at(pos_, "'" + word + "' is not a JSON value: put text in double quotes");
    }
    if (c == ',') return at(pos_, "a value is missing before ','");
    if (c == '.' || c == '+') return at(pos_, "'" + token() + "' is not a JSON number");
    return at(pos_, "unexpected " + quoted_char(c));
  }

  std::optional<SyntaxError> number() {
    const size_t start = pos_;
    size_t i = pos_;
    auto digits = [&] {
      size_t from = i;
      while (i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i]))) ++i;
      return i > from;
    };
    bool ok = true;
    if (s_[i] == '-') ++i;
    if (i < s_.size() && s_[i] == '0') {
      ++i;
    } else {
      ok = digits();
    }
    if (ok && i < s_.size() && s_[i] == '.') {
      ++i;
      ok = digits();
    }
    if (ok && i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
      ++i;
      if (i < s_.size() && (s_[i] == '+' || s_[i] == '-')) ++i;
      ok = digits();
    }
    pos_ = i;
    if (ok && token().empty()) return std::nullopt;
    pos_ = start;
    return at(start, "'" + token() + "' is not a JSON number");
  }

  // Reads a string; pos_ ends after its closing quote.
  std::optional<SyntaxError> string() {
    const size_t start = pos_++;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return std::nullopt;
      }
      if (c == '\n') return at(start, "the string that starts here is not closed on its line");
      if (static_cast<unsigned char>(c) < 0x20) {
        return at(pos_, "a control character (" + quoted_char(c) +
                            ") inside a string: write it escaped, e.g. \\t for a tab");
      }
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        const char e = s_[pos_ + 1];
        if (e == 'u') {
          for (size_t k = 2; k < 6; ++k) {
            if (pos_ + k >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[pos_ + k]))) {
              return at(pos_, "'\\u' must be followed by four hexadecimal digits");
            }
          }
          pos_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return at(pos_, "unknown escape '\\" + std::string(1, e) +
                              "' in a string (write '\\\\' for a backslash)");
        }
        pos_ += 2;
        continue;
      }
      ++pos_;
    }
    return at(start, "the string that starts here is never closed");
  }

  std::string_view s_;
  Lines lines_;
  size_t pos_ = 0;
  Want want_ = Want::kValue;
  std::vector<Frame> stack_;
  size_t key_at_ = 0, key_end_ = 0;  // the last name read: from its opening quote to past its end
  size_t value_end_ = 0;             // the last character of the last value
};

// ---- YAML ------------------------------------------------------------------

struct Unclosed {
  int line;           // where the bracket opens
  char open;          // '[' or '{'
  int closed_on = 0;  // the line of a wrong closing bracket, else 0
  char wrong = 0;     // that bracket
};

// The first flow collection ('[' or '{') of a YAML text that is never closed,
// or closed by the wrong bracket. A light scan, not a parser: it knows
// comments, quoted scalars on one line, and where a flow collection may
// start (at the start of a value); brackets inside plain scalars of block
// context ("run[1]") do not count.
std::optional<Unclosed> find_unclosed_flow(const Lines& lines) {
  struct Open {
    char c;
    int line;
  };
  std::vector<Open> stack;
  for (int n = 1; n <= lines.count(); ++n) {
    std::string_view line = lines.line(n);
    bool value_start = true;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      const bool space_after = i + 1 >= line.size() || line[i + 1] == ' ' || line[i + 1] == '\t';
      if (c == ' ' || c == '\t') continue;
      if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) break;
      if ((c == '"' || c == '\'') && value_start) {
        size_t j = i + 1;
        while (j < line.size() && line[j] != c) j += (c == '"' && line[j] == '\\') ? 2 : 1;
        if (j >= line.size()) break;  // a quoted scalar over several lines: not followed
        i = j;
        value_start = false;
        continue;
      }
      if (!stack.empty()) {
        if (c == '[' || c == '{') {
          stack.push_back({c, n});
          value_start = true;
        } else if (c == ']' || c == '}') {
          char want = stack.back().c == '[' ? ']' : '}';
          if (c != want) return Unclosed{stack.back().line, stack.back().c, n, c};
          stack.pop_back();
          value_start = false;
        } else {
          value_start = c == ',' || c == ':';
        }
      } else if ((c == '[' || c == '{') && value_start) {
        stack.push_back({c, n});
        value_start = true;
      } else {
        value_start = (c == '-' || c == ':' || c == '?') && space_after;
      }
    }
  }
  if (stack.empty()) return std::nullopt;
  return Unclosed{stack.back().line, stack.back().c};
}

bool blank_or_comment(std::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

size_t indent_of(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// True when `line` holds a "key:" (a ':' followed by a space or the end),
// outside quotes and comments.
bool has_key(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ')) {
      return false;
    } else if (c == ':' && (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t')) {
      return true;
    }
  }
  return false;
}

// The last line before `line` that holds something.
int previous_content_line(const Lines& lines, int line) {
  for (int n = line - 1; n >= 1; --n) {
    if (!blank_or_comment(lines.line(n))) return n;
  }
  return 0;
}

bool tab_in_indentation(std::string_view line) {
  for (char c : line) {
    if (c == '\t') return true;
    if (c != ' ') return false;
  }
  return false;
}

bool starts_with_text(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

SyntaxError explain_json_error(std::string_view text, size_t error_byte,
                               std::string_view parser_message) {
  if (auto found = JsonChecker(text).check()) return *found;
  Lines lines(text);
  size_t pos = error_byte == 0 ? 0 : error_byte - 1;
  std::string_view what = parser_message;
  if (auto at = what.find("syntax error while parsing"); at != std::string_view::npos) {
    what = what.substr(at);
  }
  // What follows quotes the text, which may not be printable.
  what = what.substr(0, what.find("; last read"));
  return SyntaxError{lines.line_of(std::min(pos, text.empty() ? 0 : text.size() - 1)),
                     "not valid JSON: " + std::string(what)};
}

SyntaxError explain_yaml_error(std::string_view text, std::string_view parser_message,
                               int mark_line, int mark_column) {
  (void)mark_column;
  Lines lines(text);
  // yaml-cpp counts lines from 0; past the last line means the end of the text.
  int line = mark_line < 0 ? 1 : std::min(mark_line + 1, lines.count());
  std::string_view here = lines.line(line);
  const std::string parser(parser_message);

  if (parser == "end of sequence flow not found" || parser == "end of map flow not found" ||
      parser == "illegal flow end") {
    if (auto u = find_unclosed_flow(lines)) {
      const std::string open(1, u->open);
      const std::string close = u->open == '[' ? "]" : "}";
      if (u->closed_on != 0) {
        return {u->closed_on, "'" + std::string(1, u->wrong) + "' closes the '" + open +
                                  "' opened on line " + std::to_string(u->line) + "; expected '" +
                                  close + "'"};
      }
      return {u->line, "the '" + open + "' on this line is never closed (add '" + close + "')"};
    }
    // Every bracket is closed: a comma is missing between two entries.
    const char* closing = parser == "end of map flow not found" ? "'}'" : "']'";
    if (int before = previous_content_line(lines, line); before != 0) {
      std::string_view prev = trim(lines.line(before));
      if (!prev.empty() && std::string_view(",{[").find(prev.back()) == std::string_view::npos) {
        return {before, std::string("missing ',' at the end of this line (or ") + closing +
                            " on the next)"};
      }
    }
    return {line, std::string("expected ',' or ") + closing + " before this"};
  }
  if (starts_with_text(parser, "illegal tab") || tab_in_indentation(here)) {
    return {line, "a tab in the indentation: YAML indents with spaces"};
  }
  if (parser == "illegal map value") {
    int before = previous_content_line(lines, line);
    std::string_view prev = lines.line(before);
    std::string_view prev_text = prev.substr(indent_of(prev));
    if (before != 0 && !has_key(prev) && !starts_with_text(prev_text, "- ") && prev_text != "-" &&
        indent_of(here) > indent_of(prev)) {
      std::string word(prev_text.substr(0, prev_text.find_first_of(" #")));
      return {before, "'" + word + "' has no ':' after it (write '" + word + ":')"};
    }
    return {line,
            "a 'key: value' where none can be: check that this line lines up with the keys "
            "above it, and quote a value that holds ': '"};
  }
  if (parser == "end of map not found" || parser == "end of sequence not found") {
    std::string_view content = here.substr(indent_of(here));
    if (parser == "end of map not found" && (starts_with_text(content, "- ") || content == "-")) {
      return {line, "a list item ('- ') where a 'key: value' is expected: check its indentation"};
    }
    return {line,
            "this line does not line up with the lines above it: keys of one mapping, and "
            "items of one list, start in the same column"};
  }
  if (parser == "the referenced anchor is not defined") {
    return {line, "an alias (*name) names no anchor (&name) defined before it"};
  }
  if (starts_with_text(parser, "unknown escape character: ")) {
    return {line, "unknown escape '\\" + parser.substr(26) +
                      "' in a double-quoted string (write '\\\\' for a backslash, or use "
                      "single quotes)"};
  }
  if (parser == "illegal EOF in scalar") {
    return {line, "a quoted string is never closed"};
  }
  if (parser == "illegal block entry") {
    return {line, "a list item ('- ') where none can be: check its indentation"};
  }
  if (parser == "illegal map key") {
    return {line, "a '? key' where none can be: check the indentation"};
  }
  return {line, "not valid YAML: " + parser};
}

}  // namespace ttg::util

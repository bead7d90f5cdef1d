#include "kernels/command_line.h"

namespace ttg::kernels {

Result<std::vector<std::string>> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started, even if it is still empty ("")
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) {
        return make_error(ErrorCode::kInvalidArgument, "command line ends with a backslash");
      }
      word += line[i];
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return make_error(ErrorCode::kInvalidArgument, "command line has an unterminated ' quote");
      }
      word.append(line.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == line.size()) {
          return make_error(ErrorCode::kInvalidArgument,
                            "command line has an unterminated \" quote");
        }
        char q = line[i];
        if (q == '"') break;
        if (q == '\\' && i + 1 < line.size()) {
          char next = line[i + 1];
          if (next == '"' || next == '\\' || next == '$' || next == '`') {
            word += next;
            ++i;
            continue;
          }
        }
        word += q;
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return make_error(ErrorCode::kInvalidArgument, "command line is empty");
  return words;
}

}  // namespace ttg::kernels

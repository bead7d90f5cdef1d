#pragma once
// An owned copy of one Redis reply, independent of hiredis, so code that
// parses replies (XREADGROUP, XAUTOCLAIM, ...) is testable without a server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ttg::redis {

class Reply {
 public:
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };

  Reply() = default;  // nil
  static Reply nil() { return Reply(); }
  static Reply string(std::string s) { return Reply(Type::kString, std::move(s)); }
  static Reply status(std::string s) { return Reply(Type::kStatus, std::move(s)); }
  static Reply error(std::string s) { return Reply(Type::kError, std::move(s)); }
  static Reply integer(int64_t v);
  static Reply array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_array() const { return type_ == Type::kArray; }

  // Text of a string, status or error reply; empty for other types.
  const std::string& str() const { return str_; }
  // Value of an integer reply; 0 for other types.
  int64_t integer() const { return integer_; }
  // Elements of an array reply; empty for other types.
  const std::vector<Reply>& elements() const { return elements_; }
  size_t size() const { return elements_.size(); }
  const Reply& operator[](size_t i) const { return elements_.at(i); }

  // The integer value of an integer reply, or of a string reply holding a
  // decimal integer; nullopt otherwise.
  std::optional<int64_t> as_int() const;

  // A compact readable rendering, e.g. `["a", 1, nil]`, for logs and tests.
  // It is one line: in texts, quotes, backslashes and bytes outside printable
  // ASCII are escaped (`\"`, `\\`, `\n`, `\x00`).
  std::string debug_string() const;

 private:
  Reply(Type type, std::string s) : type_(type), str_(std::move(s)) {}
  Type type_ = Type::kNil;
  std::string str_;
  int64_t integer_ = 0;
  std::vector<Reply> elements_;
};

}  // namespace ttg::redis

#include "redis/reply.h"

#include "util/strings.h"

namespace ttg::redis {

namespace {

// `text` with quotes, backslashes and bytes outside printable ASCII escaped,
// so one reply stays on one log line and binary data stays readable.
std::string escaped(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

}  // namespace

Reply Reply::integer(int64_t v) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = v;
  return r;
}

Reply Reply::array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::optional<int64_t> Reply::as_int() const {
  if (type_ == Type::kInteger) return integer_;
  if (type_ == Type::kString || type_ == Type::kStatus) return util::parse_int(str_);
  return std::nullopt;
}

std::string Reply::debug_string() const {
  switch (type_) {
    case Type::kNil:
      return "nil";
    case Type::kString:
      return "\"" + escaped(str_) + "\"";
    case Type::kStatus:
      return escaped(str_);
    case Type::kError:
      return "(error) " + escaped(str_);
    case Type::kInteger:
      return std::to_string(integer_);
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements_[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace ttg::redis
